"""What the material states about its key terms: the claims an exam item can be made from.

An exam item asks what the material *defines*, not whatever sentence holds a rare word. A
fact is a clause whose subject is a key term of the material (a name, a phrase, or a topic
keyword) followed by its verb: "MLflow manages the lifecycle of models", "Unity Catalog
tracks lineage, secures access, and ensures compliance", "Unlike model-based approaches,
Q-learning does not require complete knowledge of the environment", and the em-dash
definition "the lakehouse model—a hybrid architecture unifying ..." read as "The lakehouse
model is a hybrid architecture unifying ...".

Not facts: rhetoric (a copula or a verb followed by a figure of speech: "deep learning is the
beating heart", "the crescendo of complexity arrives"), a claim with too few checkable
words, a clause that leans on the previous sentence ("this foundation", "Here, ...", an
object "them"); a sentence opening with "It"/"They" is read with the previous sentence's
subject when that is a key term of the right number, and dropped otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tutor.corpus.sentences import split_sentences
from tutor.quiz.categories import BROAD
from tutor.quiz.rhetoric import EXTRA_VERBS as _EXTRA_VERBS
from tutor.quiz.rhetoric import FIGURATIVE, RHETORICAL_VERBS, VAGUE_CLAIM
from tutor.quiz.terms import Material
from tutor.quiz.wording import VERBS, head_noun, is_plural, nounish, readable
from tutor.text import STOPWORDS

MIN_CLAIM_WORDS = 2
"""A predicate needs this many content words besides figures of speech and vague words
to be checkable."""

RICH_CLAIM_WORDS = 4
"""A predicate with this many checkable words needs no key term in it to be a claim."""
_COPULAS = frozenset({"is", "are", "becomes", "become", "remains", "remain", "represents",
                      "represent", "forms", "form", "embodies", "embody", "serves", "serve",
                      "acts", "act", "stands", "stand"})  # fmt: skip
_AUXILIARIES = frozenset({"can", "may", "does", "do", "also", "not", "often", "thus", "then",
                          "must", "will", "cannot", "directly", "itself", "themselves", "be",
                          "been", "being", "only", "first", "still"})  # fmt: skip
_CONNECTOR = re.compile(
    r"^(?:similarly|moreover|yet|however|indeed|instead|likewise|additionally|also|"
    r"in addition|in practice|on the practical side|on the creative side)\s*,?\s+",
    re.IGNORECASE,
)
_FRAME = re.compile(
    r"^((?:within|in|on|for|at|across|inside|unlike|beyond|throughout|by|before)\b[^,]{1,80}),\s+",
    re.IGNORECASE,
)
_DEICTIC = re.compile(r"\b(?:this|these|those|such|here|another)\b", re.IGNORECASE)
# Where a predicate ends and another clause begins: ", but ...", "; ...", or ", and" with
# a new subject and its auxiliary ("..., and association rules can guide ...").
_CLAUSE_AFTER = re.compile(
    r",\s+but\s|;\s|,?\s+so\s+that\s|\s+not\s+only\s|,\s+(?:and|while|whereas)\s+(?=(?:(?!that\b|which\b|who\b)[\w-]+\s+){1,4}"
    r"(?:can|could|may|might|will|would|must|should|is|are|was|were|do|does|has|have)\b)"
)
# Comparisons that measure nothing: "extend far beyond simple analysis", "more than theory".
_LOOSE_COMPARISON = re.compile(r"\b(?:far beyond|more than|beyond|less than)\b", re.IGNORECASE)
_DEMONSTRATIVE_NP = re.compile(
    r"^(?:this|that)\s+(?:approach|technique|method|framework|tool|architecture|model|"
    r"formalism|innovation)\b",
    re.IGNORECASE,
)
_MODAL_PASSIVE = re.compile(r"\b(?:can|could|may|might)\s+(?:\w+ly\s+)?be\b", re.IGNORECASE)
_CONTRAST = re.compile(r"\bnot\b.*\bbut\b", re.IGNORECASE)
_APPOSITIVE = re.compile(r"\s*(?:[\u2014\u2013]\s*|,\s+)(?=(?:a|an)\s)|,\s+which\s+", re.IGNORECASE)
_OBJECT_PRONOUN = re.compile(r"\b(?:it|they|them|he|she|him|her)\b", re.IGNORECASE)
_GENERIC_HEADS = frozenset({"model", "architecture", "approach", "framework", "platform"})
"""A term followed by one of these is still the term ("the lakehouse model")."""
_PRONOUN_SUBJECT = {"it": False, "they": True}


def _them_from_frame(frame: str, body: str) -> str:
    """ "In an era where datasets contain thousands of variables, PCA condenses them into
    ...": "them" is the frame's last noun when that is plural ("the variables")."""
    last = re.findall(r"[a-z][a-z-]+", frame.lower())[-1:] or [""]
    if not (last[0].endswith("s") and is_plural(last[0]) and nounish(last[0])):
        return body
    if len(re.findall(r"\bthem\b", body)) != 1 or _OBJECT_PRONOUN.search(body.replace("them", "")):
        return body
    return re.sub(r"\bthem\b", f"the {last[0]}", body)


@dataclass(frozen=True)
class Fact:
    """A claim of the material about one key term."""

    material: Material
    sentence: str
    """The sentence of the material it comes from, as written there."""
    statement: str
    """The claim as it can be asked: the clause, with a leading pronoun resolved."""
    key: str
    """The subject term's key (lowercase)."""
    surface: str
    """The subject as written in `statement`."""
    verb: str
    """The verb group after the subject ("manages", "can optimize"); "" for a "where" fact."""
    predicate: str
    """What follows the verb, without the closing full stop (a "where" fact: the clause)."""

    @property
    def claim(self) -> str:
        """The statement without its subject: what it says about the term."""
        return f"{self.verb} {self.predicate}"


def content_words(text: str) -> set[str]:
    """Lowercase content words, crudely singular: what a claim's support is measured on."""
    words = re.findall(r"[a-z][a-z0-9-]+", text.lower())
    return {head_noun(w) for w in words if w not in STOPWORDS and len(w) > 2}


class FactFinder:
    """The facts of passages, given the corpus's key terms (key -> how it is written) and
    `is_subject(key)`, which says which of them may be a fact's subject."""

    def __init__(self, texts: dict[str, str], is_subject: Callable[[str], bool]) -> None:
        self.is_subject = is_subject
        self._texts = texts
        """How each key is usually written."""
        self._longest = max((len(k.split()) for k in texts), default=1)

    def find(self, material: Material) -> list[Fact]:
        facts: list[Fact] = []
        previous: tuple[str, bool] | None = None  # the last sentence's subject and number
        last: str | None = None  # the last sentence's last key term
        for raw in split_sentences(material.text):
            sentence = readable(raw)
            if sentence is None:
                previous = None
                continue
            resolved = self._resolve_demonstrative(sentence, last)
            found = list(self._facts_of(material, resolved, previous, sentence))
            facts.extend(found)
            last = self._last_concept(sentence)
            body = _CONNECTOR.sub("", sentence)
            body = body[_FRAME.match(body).end() :] if _FRAME.match(body) else body
            subject = self._subject_at(body)
            previous = (subject[0], is_plural(subject[1])) if subject else None
            if found:
                previous = (found[0].key, is_plural(found[0].surface))
        return facts

    # --- one sentence -------------------------------------------------------------------

    def _resolve_demonstrative(self, sentence: str, last: str | None) -> str:
        """ "This approach has become central ..." read with the key term the previous
        sentence ended on ("... commonly known as RLHF."), if there was one."""
        match = _DEMONSTRATIVE_NP.match(sentence)
        if match is None or last is None:
            return sentence
        return self._texts.get(last, last) + sentence[match.end() :]

    def _last_concept(self, sentence: str) -> str | None:
        lowered = sentence.lower()
        found = [
            (m.end(), k)
            for k in self._concepts(lowered)
            for m in re.finditer(rf"(?<![\w-]){re.escape(k)}(?![\w-])", lowered)
        ]
        return max(found)[1] if found else None

    def _facts_of(
        self,
        material: Material,
        sentence: str,
        previous: tuple[str, bool] | None,
        original: str | None = None,
    ) -> Iterator[Fact]:
        body = _CONNECTOR.sub("", sentence).rstrip(".")
        frame = ""
        match = _FRAME.match(body)
        if match:
            frame, body = match.group(1), body[match.end() :]
            if _DEICTIC.search(frame):
                frame = ""
            body = _them_from_frame(frame, body)
        if _DEICTIC.match(body):
            return
        clauses = self._clauses(body, previous) or self._appositive(body)
        if not clauses and frame:  # "At the core of X lies Y, a formalism that ..."
            clauses = self._appositive(f"{frame}, {body}")
        if clauses and clauses is not None and frame and not self._clauses(body, previous):
            frame = ""  # an appositive stands without the sentence's frame
        # A contrast defines its terms: "Unlike model-based approaches, Q-learning ...", "A
        # generator strives to ..., while a discriminator ...".
        contrast = frame.lower().startswith("unlike ") or len({c[0] for c in clauses}) > 1
        for i, (key, surface, verb, predicate) in enumerate(clauses):
            if not self._checkable(verb, predicate, definitional=contrast):
                continue
            lead = f"{frame}, " if frame and i == 0 and len(clauses) == 1 else ""
            if verb:
                statement = f"{lead}{surface} {verb} {predicate}."
            else:  # "X, where no examples guide the model" -> "In X, no examples ..."
                statement = f"In {surface}, {predicate}."
            statement = statement[:1].upper() + statement[1:]
            subject = re.sub(r"^(?:the|a|an)\s+", "", surface, flags=re.IGNORECASE)
            yield Fact(material, original or sentence, statement, key, subject, verb, predicate)
        for key, surface, clause in self._where(body):
            if self._checkable("", clause, definitional=True):
                statement = f"In {surface}, {clause}."
                yield Fact(material, original or sentence, statement, key, surface, "", clause)

    def _clauses(
        self, body: str, previous: tuple[str, bool] | None
    ) -> list[tuple[str, str, str, str]]:
        """(key, surface, verb, predicate) of each clause led by a key term and a verb:
        "MLflow manages X, Unity Catalog enforces Y, and vector search opens Z" has three."""
        starts: list[tuple[int, str, str, int, str]] = []
        for m in re.finditer(r"(?:^|,\s+(?:and\s+|while\s+|whereas\s+)?|;\s+)", body):
            at = m.end()
            # "X does A; it does B", "X does A, and it does B": not after a bare comma
            first = (starts[0][1], is_plural(starts[0][2])) if starts else None
            joined = at == 0 or m.group(0).strip() != ","
            head = self._subject_at(body[at:], previous if at == 0 else first if joined else None)
            if head is None:
                continue
            key, surface, length = head
            verb_at = at + length
            verb = self._verb_at(body, verb_at)
            if verb is None:
                continue
            starts.append((at, key, surface, verb[0], verb[1]))
        if not starts or starts[0][0] != 0:
            return []  # a clause inside another ("Imagine a workflow where X does Y")
        clauses = []
        for n, (at, key, surface, verb, after) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(body)
            predicate = re.sub(r"(?:,\s*(?:and|while|whereas)?|;)\s*$", "", body[after:end])
            predicate = _CLAUSE_AFTER.split(predicate)[0]
            if at == 0 or body[:at].strip():
                clauses.append((key, surface, verb, predicate.strip()))
        return clauses

    def _where(self, body: str) -> list[tuple[str, str, str]]:
        """Terms defined by "X, where ...": "zero-shot prompting, where no examples guide
        the model; few-shot prompting, where ..." (key, surface, the clause)."""
        found = []
        for m in re.finditer(
            r"([\w'-]+(?:\s+[\w'-]+){0,3}),\s+where\s+([^;]+?)(?=;|$|,\s+and\s)", body
        ):
            words = m.group(1).split()
            for n in range(len(words), 0, -1):
                surface = " ".join(words[-n:])
                # the term, or the term and its head ("zero-shot" + "prompting")
                for key in (surface.lower(), " ".join(words[-n:-1]).lower()):
                    if key in self._texts and self.is_subject(key) and key not in BROAD:
                        found.append((key, surface, m.group(2).strip()))
                        break
                else:
                    continue
                break
        return found

    def _appositive(self, body: str) -> list[tuple[str, str, str, str]]:
        """A key term defined where it stands: "the lakehouse model—a hybrid architecture
        ...", "the Markov Decision Process, a formalism that ...", "LangChain, which
        allow for ..." read as "<term> is a ..." / "<term> allows for ..."."""
        for m in _APPOSITIVE.finditer(body):
            before = re.findall(r"[\w'-]+", body[: m.start()])
            tail = 1 if before and before[-1].lower() in _GENERIC_HEADS else 0
            for n in range(min(self._longest, len(before) - tail), 0, -1):
                words = before[len(before) - tail - n : len(before) - tail]
                key = " ".join(words).lower()
                if key not in self._texts or not self.is_subject(key):
                    continue
                surface = " ".join(before[len(before) - tail - n :])
                if len(before) > tail + n and before[-tail - n - 1].lower() == "the":
                    surface = f"the {surface}"
                rest = re.split(r"\s*[\u2014\u2013]\s*", body[m.end() :])[0].strip()
                if "which" in m.group(0).lower():
                    verb, _, predicate = rest.partition(" ")
                    if not is_plural(surface) and not verb.endswith("s"):
                        verb = verb + "s"
                    return [(key, surface, verb, predicate)]
                if not re.search(r"\b(?:that|which|who)\b", rest) and "\u2014" not in m.group(0):
                    break  # ", a ..." without a relative clause: a list, not a definition
                return [(key, surface, "is", rest)]
        return []

    def _subject_at(
        self, text: str, previous: tuple[str, bool] | None = None
    ) -> tuple[str, str, int] | None:
        """The key term opening `text` (after "the"), or a pronoun standing for
        `previous`: (key, surface, characters taken)."""
        words = re.match(r"(?:(?:the|a|an)\s+)?", text, re.IGNORECASE)
        skip = words.end() if words else 0
        tokens = re.findall(r"[\w'-]+|\S", text[skip:])[: self._longest]
        pronoun = tokens[0].lower() if tokens else ""
        if skip == 0 and pronoun in _PRONOUN_SUBJECT and previous is not None:
            key, plural = previous
            if plural == _PRONOUN_SUBJECT[pronoun] and self.is_subject(key):
                return key, self._texts.get(key, key), len(tokens[0])
            return None
        for n in range(len(tokens), 0, -1):
            candidate = " ".join(tokens[:n])
            if candidate.lower() in self._texts and self.is_subject(candidate.lower()):
                span = re.match(r"\s*" + r"\s*".join(map(re.escape, tokens[:n])), text[skip:])
                if span is None:
                    return None
                article = text[:skip].strip().lower()
                surface = f"{article} {span.group(0).strip()}" if article else span.group(0).strip()
                return candidate.lower(), surface, skip + span.end()
        return None

    def _verb_at(self, body: str, at: int) -> tuple[str, int] | None:
        """The verb right after a subject ending at `at` (past an aside in commas or
        parentheses, adverbs and auxiliaries): (the verb group, where its object starts)."""
        rest = body[at:]
        aside = re.match(r"\s*(?:\([^)]*\)|,[^,]{1,60},)", rest)
        offset = aside.end() if aside else 0
        group: list[str] = []
        for m in re.finditer(r"\s*([A-Za-z-]+)", rest[offset:]):
            word = m.group(1)
            low = word.lower()
            if low in _AUXILIARIES or (low.endswith("ly") and len(low) > 4):
                group.append(word)
                continue
            if low in VERBS or low in _EXTRA_VERBS or low in _COPULAS or low in ("has", "have"):
                group.append(word)
                return " ".join(group), at + offset + m.end() + 1
            return None
        return None

    def _checkable(self, verb: str, predicate: str, *, definitional: bool = False) -> bool:
        """A claim that can be checked against the material: no figure of speech after a
        copula, enough content words, nothing that needs the previous sentence. A
        `definitional` one (a contrast, "X, where ...") needs no key term in a short claim:
        its form says it defines the term."""
        words = re.findall(r"[a-z][a-z'-]+", predicate.lower())
        if _DEICTIC.search(predicate) or _OBJECT_PRONOUN.search(predicate):
            return False
        if not words or words[-1] in STOPWORDS or words[-1] in _COPULAS:
            return False  # cut short: "ensures that deep learning models are"
        if _MODAL_PASSIVE.search(verb):
            return False  # what one may do with a term ("can be deployed to ..."), not what it is
        last = verb.split()[-1].lower() if verb else ""
        if last in RHETORICAL_VERBS or last in ("play", "plays") or _CONTRAST.search(predicate):
            return False
        if last in _COPULAS and "not" in verb.lower().split():
            return False  # "is not a metaphorical abstraction": a definition by negation
        if _LOOSE_COMPARISON.search(predicate) or any(w in FIGURATIVE for w in words[:4]):
            return False
        figures = [w for w in words if w in FIGURATIVE]
        if last in _COPULAS and any(w in FIGURATIVE for w in words[:6]):
            return False
        if len(figures) >= 2:
            return False
        plain = [w for w in content_words(predicate) if w not in FIGURATIVE | VAGUE_CLAIM]
        if len(plain) < MIN_CLAIM_WORDS:
            return False
        if len(plain) >= RICH_CLAIM_WORDS or definitional:
            return True
        # ... and a short one names something the material is about: one of its key terms
        lowered = " ".join(words)
        return any(
            k in lowered and re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", lowered)
            for k in self._concepts(lowered)
        )

    def _concepts(self, text: str) -> list[str]:
        """The keys (not vague words) that may occur in a lowercase text."""
        words = set(re.findall(r"[\w-]+", text))
        return [
            k
            for k in self._texts
            if k.split()[0] in words
            and k not in FIGURATIVE
            and k not in VAGUE_CLAIM
            and self.is_subject(k)
        ]
