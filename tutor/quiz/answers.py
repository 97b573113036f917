"""Judging a typed answer against its key: right, wrong or skipped, and a line saying why.

Deterministic on purpose: the verdict feeds the learner's memory. In order:

1. a pass ("skip") is no evidence; "I don't know" is wrong; a pasted passage or a list of
   terms is wrong whatever it holds (`reply_problem`);
2. hedges and fillers around an answer are dropped ("I think it's", ", I guess");
3. the key itself, or one of its forms (case, articles, plurals, hyphens, spelling, its
   acronym or expansion) is right, unless the answer negates it ("not PCA") or hedges
   between it and another ("CNNs or RNNs", "GAN and/or VAE");
4. a part of the key is right when it keeps what distinguishes it ("K-means" for K-means
   clustering, "Unity Catalog" for Databricks Unity Catalog), wrong when only a generic
   head is left ("learning" for supervised learning);
5. another known term is wrong and named ("unsupervised learning"), however alike it is
   spelt; a near spelling of the key is right only when what differs is a misspelling,
   not another word ("data lake" for Delta Lake, "decoder" for encoder are other words).

`tutor.corpus.glossary.Glossary` says which terms and words exist; without one, the field's
built-in glossary is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from tutor.corpus.field_terms import GENERIC_HEADS, QUALIFIERS
from tutor.corpus.forms import (
    FUNCTION_WORDS,
    acronym_key,
    expansion_key,
    initials,
    norm,
    squashed,
    stem,
)
from tutor.corpus.glossary import Glossary
from tutor.quiz.replies import (
    hedged_parts,
    is_give_up,
    is_pass,
    negated,
    reply_problem,
    without_fillers,
)

CheckResult = Literal["right", "wrong", "skipped"]

FUZZY_MATCH = 0.8
"""A reply this similar (character level) to the key may be a misspelling of it..."""
WORD_MATCH = 0.6
"""...if each differing word is this similar to the key's word and not a word itself."""
MIN_FUZZY_CHARS = 5
"""Shorter keys must be spelt right: "RAG" and "RAM" are not one term."""

NO_ANSWER = "No answer given."
NO_MATCH = "That doesn't match the answer."
NEGATED = "A negated answer: it says what the answer is not."
HEDGED = "Two candidate answers: give one."
_PREFIXES = (
    "un", "non", "semi", "self", "de", "en", "dis", "in", "im", "ir", "il", "anti", "pre",
    "post", "sub", "super", "multi", "re", "auto", "co", "out", "over", "under", "up", "down",
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    result: CheckResult
    reason: str
    """One line for the learner: why it is right or wrong."""
    open: bool = False
    """No rule decided it: a wrong verdict another judge (meaning) may still overturn."""


def judge(reply: str, answer: str, glossary: Glossary | None = None) -> Verdict:
    """The verdict on a typed reply to a question whose key is `answer` (see the module)."""
    if is_pass(reply):
        return Verdict("skipped", "Skipped.")
    if is_give_up(reply):
        return Verdict("wrong", NO_ANSWER)
    glossary = glossary or Glossary.builtin()
    problem = reply_problem(reply, answer)
    if problem is not None and not glossary.expansion_match(reply, answer):
        return Verdict("wrong", problem[0].upper() + problem[1:] + ".")
    return _Judge(without_fillers(reply), answer, glossary).verdict()


def judge_reply(
    reply: str, answer: str, glossary: Glossary | None = None
) -> tuple[CheckResult, str]:
    """`judge`'s result and reason."""
    verdict = judge(reply, answer, glossary)
    return verdict.result, verdict.reason


def grade_reply(reply: str, answer: str, glossary: Glossary | None = None) -> CheckResult:
    """Right, wrong or skipped (see `judge`)."""
    return judge(reply, answer, glossary).result


class _Judge:
    def __init__(self, reply: str, answer: str, glossary: Glossary) -> None:
        self.reply, self.answer, self.g = reply.strip(), answer.strip(), glossary
        self.given, self.key = norm(self.reply), norm(self.answer)

    def verdict(self) -> Verdict:
        if not self.given:
            return Verdict("wrong", NO_ANSWER)
        if self._same(self.reply, self.answer):
            return Verdict("right", "Right: that's the answer.")
        if negated(self.reply, self.answer):
            return Verdict("wrong", NEGATED)
        parts = hedged_parts(self.reply, self.answer, self._term)
        if len(parts) > 1:
            if all(_Judge(p, self.answer, self.g).names_key() for p in parts):
                return Verdict("right", "Right: both name the answer.")
            return Verdict("wrong", HEDGED)
        return self.named() or self.part() or self.other() or Verdict("wrong", NO_MATCH, True)

    def _term(self, text: str) -> bool:
        return bool(self.g.known(text)) or _Judge(text, self.answer, self.g).names_key()

    def names_key(self) -> bool:
        found = self._same(self.reply, self.answer) or self.named()
        return bool(found) and (found is True or found.result == "right")

    def _same(self, a: str, b: str) -> bool:
        return norm(a) == norm(b) or squashed(a) == squashed(b)

    def named(self) -> Verdict | None:
        """The key, or its acronym or expansion, as the answer or inside it."""
        match = self.g.expansion_match(self.reply, self.answer)
        if match:
            return Verdict("right", f"Right: {match[0]} is the acronym of {match[1]}.")
        given = expansion_key(self.reply).split()
        for form in self._forms():
            at = _find(given, form)
            if at is None:
                continue
            other = self._around(given, at, len(form))
            if other:
                return self._different(other)
            return Verdict("right", "Right: you named it.")
        return None

    def _forms(self) -> list[list[str]]:
        forms = [expansion_key(self.answer)]
        forms += self.g.expansions.get(_acronym(self.answer), ())
        long = expansion_key(self.answer)
        forms += [a for a, longs in self.g.expansions.items() if long in longs]
        return [f.split() for f in dict.fromkeys(forms) if f]

    def _around(self, given: list[str], at: int, size: int) -> str | None:
        """A longer known term the key is part of in the reply ("semi-supervised")."""
        before = given[at - 1] if at > 0 else ""
        if before in ("un", "non", "semi", "self", "anti", "sub", "multi", "pre", "post"):
            return self.reply
        for start in range(max(0, at - 3), at + 1):
            for end in range(at + size, min(len(given), at + size + 3) + 1):
                if (start, end) != (at, at + size):
                    phrase = " ".join(given[start:end])
                    if phrase in self.g.known_terms and phrase not in _key_phrases(self):
                        return self.g.shown.get(phrase, phrase)
        return None

    def part(self) -> Verdict | None:
        """A run of the key's words: its distinguishing part, or only a generic head."""
        given, key = self.given.split(), self.key.split()
        at = _find(key, given) if len(given) < len(key) else None
        if at is None:
            return None
        lead, tail = key[:at], key[at + len(given) :]
        content = [w for w in given if w not in FUNCTION_WORDS]
        if not content or all(w in _GENERIC for w in content):
            return Verdict("wrong", f"Too general: which {' '.join(content) or self.reply}?")
        if all(w in _GENERIC for w in tail) and all(w in _QUALIFIERS for w in lead):
            return Verdict("right", f"Right: {self.reply} is short for {self.answer}.")
        known = self.g.known(self.reply)
        if known and self.g.confusable(self.reply, self.answer):
            return self._different(known)
        return Verdict("wrong", "Part of the answer is missing.")

    def other(self) -> Verdict | None:
        """Another known term, a misspelling of the key, or its initials."""
        known = self.g.known(self.reply)
        if known and norm(known) not in _key_phrases(self):
            return self._different(known)
        if self._near():
            different = self._different_word()
            if different is None:
                return Verdict("right", f"Right, with a small misspelling: {self.answer}.")
            return self._different(self.reply)
        # An acronym the glossary does not know: its letters against the other's initials.
        short, long = sorted((self.reply, self.answer), key=lambda t: len(t.split()))
        if (
            len(long.split()) > 1
            and squashed(short) == initials(long)
            and not self.g.acronym_meaning(short)
        ):
            return Verdict("right", f"Right: {short} stands for {long}.")
        return None

    def _near(self) -> bool:
        if len(self.key.replace(" ", "")) < MIN_FUZZY_CHARS:
            return False
        spaced = _ratio(self.given, self.key)
        return max(spaced, _ratio(squashed(self.reply), squashed(self.answer))) >= FUZZY_MATCH

    def _different_word(self) -> str | None:
        """The first word of the reply that is another word, not a misspelling, or None."""
        given, key = self.given.split(), self.key.split()
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, given, key, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            ours, theirs = given[i1:i2], key[j1:j2]
            if "".join(ours) == "".join(theirs):
                continue  # spacing: "retrievalaugmented"
            if len(ours) != len(theirs):
                extra = [w for w in ours + theirs if w not in FUNCTION_WORDS]
                if extra and _ratio("".join(ours), "".join(theirs)) < FUZZY_MATCH:
                    return " ".join(ours) or " ".join(theirs)
                continue
            for a, b in zip(ours, theirs, strict=True):
                if self._another_word(a, b):
                    return a
        return None

    def _another_word(self, a: str, b: str) -> bool:
        if stem(a) == stem(b):
            return False
        if _ratio(a, b) < WORD_MATCH or _prefixed(a, b):
            return True
        return self.g.is_word(a)

    def _different(self, term: str) -> Verdict:
        kind = self.g.kind_of(term) if self.g.confusable(term, self.answer) else "term"
        meaning = self.g.acronym_meaning(term)
        gloss = self.g.gloss(term)
        if meaning and meaning.lower() != term.lower():
            shown = f"{term} ({meaning})"
        elif gloss:
            shown = f"{term}, which {gloss}" if _is_verb_phrase(gloss) else f"{term} ({gloss})"
        else:
            shown = term
        end = "" if shown.endswith("\u2026") else "."
        return Verdict("wrong", f"You named a different {kind}: {shown}{end}")


_GENERIC = frozenset(stem(w) for w in GENERIC_HEADS)
_QUALIFIERS = frozenset(stem(w) for w in QUALIFIERS)


def _key_phrases(judge: _Judge) -> set[str]:
    """The key's own forms (`norm`), so a term is never "different" from itself."""
    phrases = {judge.key, expansion_key(judge.answer)}
    phrases |= set(judge.g.expansions.get(_acronym(judge.answer), ()))
    for acronym, longs in judge.g.expansions.items():
        if expansion_key(judge.answer) in longs:
            phrases.add(acronym)
    return phrases


def _acronym(text: str) -> str:
    return acronym_key(text) if " " not in text.strip() else ""


def _is_verb_phrase(gloss: str) -> bool:
    """A gloss that opens with a verb ("works when no labels exist") reads after "which"."""
    first = gloss.split()[0].lower() if gloss.split() else ""
    return first.endswith("s") and not first.endswith("ss")


def _find(words: list[str], run: list[str]) -> int | None:
    if not run:
        return None
    for at in range(len(words) - len(run) + 1):
        if words[at : at + len(run)] == run:
            return at
    return None


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _prefixed(a: str, b: str) -> bool:
    """`a` and `b` differ by a prefix that makes another word: unsupervised/supervised,
    nonlinear/linear, decoder/encoder, underfitting/overfitting."""
    for p in _PREFIXES:
        if (a == p + b or b == p + a) and len(a) > len(p) + 2 and len(b) > len(p) + 2:
            return True
    for p in _PREFIXES:
        for q in _PREFIXES:
            if p != q and a.startswith(p) and b.startswith(q) and a[len(p) :] == b[len(q) :]:
                return len(a) - len(p) >= 3
    return False
