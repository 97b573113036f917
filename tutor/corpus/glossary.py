"""What the grader knows about terms: acronyms and their expansions, and which terms exist.

A `Glossary` is built from the material (`Glossary.from_records` over the catalog's chunks,
with the topic map) on top of the field's built-in one (`tutor.corpus.field_terms`). It
answers the grader's questions about a term:

- is this an acronym of that (`expansion_match`): from definitions in the material,
  "long form (ACR)", "ACR (long form)", "long form, commonly known as ACR", matched letter
  by letter on the content words ("reinforcement learning with human feedback (RLHF)"),
  and the built-in list;
- is this a term in its own right (`known`), and what kind (`kind_of`): acronyms, names
  written in capitals inside sentences (Unity Catalog), topic keywords, and the field's
  terms with their easily confused siblings;
- is this a word at all (`is_word`): every word of the material and of the field, so a
  "typo" that spells another real word ("data lake" for "Delta Lake") is not taken for one;
- how specific is this sentence (`specificity`): how rare its words are in the material,
  so offline answers can prefer the sentence that states particulars over one that talks
  about the subject in general words.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutor.corpus.field_terms import ACRONYMS, GENERIC_HEADS, SIBLINGS, TERMS
from tutor.corpus.forms import (
    FUNCTION_WORDS,
    acronym_key,
    expansion_key,
    norm,
    stem,
    words,
)
from tutor.corpus.topics import TopicMap
from tutor.text import STOPWORDS

_ACR = r"[A-Z][A-Za-z]{0,6}[A-Z](?:s\b)?"
_LONG_THEN_ACR = re.compile(rf"((?:[\w'-]+[ \t]+){{1,12}})\(({_ACR})\)")
_ACR_THEN_LONG = re.compile(rf"\b({_ACR})\s*\(([^()]{{4,90}})\)")
_KNOWN_AS = re.compile(
    rf"((?:[\w'-]+[ \t]+){{1,12}}?[\w'-]+),?\s+(?:commonly |also |often |usually )?"
    rf"(?:known as|called|referred to as|abbreviated(?: as| to)?)\s+({_ACR})"
)
_ACRONYM_WORD = re.compile(r"\b(?:[A-Z]{2,}[a-z]?s?|[A-Z][a-z]+[A-Z][A-Za-z]*)\b")
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)(?<!\n)\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,3})\b")
MIN_TERM_CHARS = 4
GLOSS_CHARS = 60
"""A gloss is a few words: the reason it goes into stays one line."""
_GENERIC = frozenset(stem(w) for w in GENERIC_HEADS)


@dataclass(frozen=True)
class Glossary:
    """Acronyms, known terms and words: see the module's doc. Build with `builtin()`,
    `build(texts, topics)` or `from_records(records, topics)`."""

    expansions: dict[str, frozenset[str]] = field(default_factory=dict)
    """Acronym (`acronym_key`) -> its expansions (`expansion_key`)."""
    shown: dict[str, str] = field(default_factory=dict)
    """Comparable form (`norm`, or `acronym_key` of an acronym) -> the term as written."""
    known_terms: frozenset[str] = frozenset()
    """`norm` of every known term, acronyms and expansions included."""
    kinds: dict[str, str] = field(default_factory=dict)
    """`norm` of a term -> what it is ("metric"), for terms of a sibling group."""
    siblings: dict[str, frozenset[str]] = field(default_factory=dict)
    """`norm` of a term -> `norm` of the terms it is easily confused with."""
    vocabulary: frozenset[str] = frozenset()
    """Stems of the words of the material and of the field."""
    glosses: dict[str, str] = field(default_factory=dict)
    """`norm` of a term -> a few words saying what it is, where the material says so (the
    opening of a topic's description: "Unsupervised learning works when no labels exist")."""
    passages_with: dict[str, int] = field(default_factory=dict)
    """Stem of a content word -> how many of the material's passages use it."""
    passages: int = 0
    """How many passages of the material the glossary was built from."""

    @classmethod
    def builtin(cls) -> Glossary:
        """The built-in glossary of the field, without any material."""
        return _field_glossary()

    @classmethod
    def from_records(cls, records: Iterable, topics: TopicMap | None = None) -> Glossary:
        """From chunk records (anything with `.text` and `.heading`) and the topic map."""
        return cls.build((f"{getattr(r, 'heading', '')}\n{r.text}" for r in records), topics=topics)

    @classmethod
    def build(cls, texts: Iterable[str], topics: TopicMap | None = None) -> Glossary:
        """The field's glossary plus what the texts and the topic map define."""
        builder = _Builder()
        builder.add_field()
        for text in texts:
            builder.add_text(text)
        for topic in topics.topics if topics is not None else ():
            builder.add_text(f"{topic.title}.\n{topic.description}", vocabulary=False)
            for keyword in topic.keywords:
                if len(keyword) >= MIN_TERM_CHARS and keyword not in STOPWORDS:
                    builder.add_term(keyword)
            parts = re.split(r",|:| and ", topic.title)
            builder.add_gloss(topic.description, [topic.title, *parts, *topic.keywords])
        return builder.glossary()

    # --- questions the grader asks -------------------------------------------------------

    def expansion_match(self, a: str, b: str) -> tuple[str, str] | None:
        """(acronym, expansion) as written when one of `a`, `b` is the other's acronym."""
        for short, long in ((a, b), (b, a)):
            found = self.expansions.get(acronym_key(short))
            if found and " " not in short.strip() and _headless(expansion_key(long)) & found:
                return self.shown.get(acronym_key(short), short.strip()), long.strip()
        return None

    def acronym_meaning(self, text: str) -> str | None:
        """What an acronym stands for, as written, if the glossary knows it."""
        found = self.expansions.get(acronym_key(text))
        if not found or " " in text.strip():
            return None
        return self.shown.get(next(iter(sorted(found))), next(iter(sorted(found))))

    def known(self, text: str) -> str | None:
        """The term as written when `text` is a known term, else None."""
        key = norm(text)
        if key in self.known_terms:
            return self.shown.get(key, text.strip())
        acronym = acronym_key(text)
        if " " not in text.strip() and acronym in self.expansions:
            return self.shown.get(acronym, text.strip())
        return None

    def kind_of(self, text: str) -> str:
        """What kind of term it is ("metric"), or "term"."""
        return next((self.kinds[f] for f in self._forms(text) if f in self.kinds), "term")

    def confusable(self, a: str, b: str) -> bool:
        """`a` and `b` are sibling terms (supervised/unsupervised learning, GAN/VAE), as
        written or by their acronyms or expansions (CNN, recurrent neural network)."""
        theirs = self._forms(b)
        return any(self.siblings.get(f, frozenset()) & theirs for f in self._forms(a))

    def _forms(self, text: str) -> set[str]:
        """`norm` of the term, of its expansions and of the acronyms it expands."""
        forms = {norm(text)}
        if " " not in text.strip():
            forms |= {
                norm(self.shown.get(e, e)) for e in self.expansions.get(acronym_key(text), ())
            }
        long = expansion_key(text)
        forms |= {a for a, longs in self.expansions.items() if long in longs}
        return forms

    def gloss(self, text: str) -> str | None:
        """What the material says the term is, in a few words, if it says so."""
        return next((self.glosses[f] for f in self._forms(text) if f in self.glosses), None)

    def is_word(self, word: str) -> bool:
        return stem(word.lower()) in self.vocabulary

    def specificity(self, sentence: str) -> float:
        """The mean inverse passage frequency of the sentence's content words (0 without
        material): high for "human evaluators rank outputs", low for "the importance of
        this cannot be overstated"."""
        found = _content_stems(sentence)
        if not found or not self.passages:
            return 0.0
        rarity = [math.log((self.passages + 1) / (self.passages_with.get(w, 0) + 1)) for w in found]
        return sum(rarity) / len(rarity)


class _Builder:
    def __init__(self) -> None:
        self.expansions: dict[str, set[str]] = {}
        self.shown: dict[str, str] = {}
        self.known: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.siblings: dict[str, set[str]] = {}
        self.vocabulary: set[str] = set()
        self.glosses: dict[str, str] = {}
        self.passages_with: Counter[str] = Counter()
        self.passages = 0

    def add_field(self) -> None:
        for acronym, longs in ACRONYMS.items():
            for long in longs:
                self.add_acronym(acronym, long)
        for kind, group in SIBLINGS:
            for term in group:
                self.add_term(term)
                self.kinds.setdefault(norm(term), kind)
                self.siblings.setdefault(norm(term), set()).update(
                    norm(t) for t in group if norm(t) != norm(term)
                )
        for term in TERMS:
            self.add_term(term)

    def add_term(self, term: str) -> None:
        key = norm(term)
        if len(key.replace(" ", "")) < 2:
            return
        self.known.add(key)
        self.shown.setdefault(key, term.strip())
        self.vocabulary.update(stem(w) for w in words(term))

    def add_acronym(self, acronym: str, long: str) -> None:
        key = acronym_key(acronym)
        self.expansions.setdefault(key, set()).add(expansion_key(long))
        self.shown.setdefault(key, acronym.rstrip("s") if acronym[-1:] == "s" else acronym)
        self.shown.setdefault(expansion_key(long), long.strip())
        self.add_term(long)
        self.known.add(key)

    def add_gloss(self, description: str, names: list[str]) -> None:
        """The opening of a description that starts with one of the names, as its gloss."""
        first = re.split(r"(?<=[.!?])\s", " ".join(description.split()), maxsplit=1)[0]
        for name in sorted(names, key=len, reverse=True):
            name = re.sub(r"\s*\(.*?\)", "", name).strip()
            if len(name) < MIN_TERM_CHARS or not first.lower().startswith(name.lower() + " "):
                continue
            rest = re.sub(r"^\(.*?\)\s*", "", first[len(name) :].strip())
            longer = norm(f"{name} {rest.split()[0] if rest.split() else ''}")
            if any(k == longer or k.startswith(longer + " ") for k in self.known):
                continue  # the name goes on: "retrieval-augmented" of "… generation"
            rest = re.sub(r"^(?:models?|systems?)\s+", "", rest)
            clause = re.split(r"[,:;\u2014]|\s-\s", rest, maxsplit=1)[0].strip(" .")
            if len(clause) > GLOSS_CHARS:
                clause = clause[: GLOSS_CHARS + 1].rsplit(" ", 1)[0] + "\u2026"
            if clause:
                self.glosses.setdefault(norm(name), clause)
            return

    def add_text(self, text: str, *, vocabulary: bool = True) -> None:
        if vocabulary:
            self.vocabulary.update(stem(w) for w in words(text) if len(w) >= 2)
            self.passages_with.update(set(_content_stems(text)))
            self.passages += 1
        flat = " ".join(text.split())
        for match in _LONG_THEN_ACR.finditer(flat):
            long = defining_words(match.group(1).split(), match.group(2))
            if long:
                self.add_acronym(match.group(2), long)
        for match in _ACR_THEN_LONG.finditer(flat):
            inside = match.group(2).split()
            if spells(inside, match.group(1)):
                self.add_acronym(match.group(1), " ".join(inside))
        for match in _KNOWN_AS.finditer(flat):
            long = defining_words(match.group(1).split(), match.group(2))
            if long:
                self.add_acronym(match.group(2), long)
        for match in _ACRONYM_WORD.finditer(flat):
            if len(match.group(0)) >= 2:
                self.known.add(acronym_key(match.group(0)))
                self.shown.setdefault(acronym_key(match.group(0)), match.group(0))
        for line in text.splitlines():
            for match in _CAPITALISED.finditer(line.lstrip("# ")):
                phrase = match.group(1).split()
                while phrase and phrase[0].lower() in STOPWORDS:
                    phrase = phrase[1:]
                if len(phrase) >= 2:
                    self.add_term(" ".join(phrase))

    def glossary(self) -> Glossary:
        return Glossary(
            expansions={k: frozenset(v) for k, v in self.expansions.items()},
            shown=dict(self.shown),
            known_terms=frozenset(self.known),
            kinds=dict(self.kinds),
            siblings={k: frozenset(v) for k, v in self.siblings.items()},
            vocabulary=frozenset(self.vocabulary),
            glosses=dict(self.glosses),
            passages_with=dict(self.passages_with),
            passages=self.passages,
        )


def _content_stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if len(w) > 2 and w not in STOPWORDS]


def _headless(long: str) -> set[str]:
    """The expansion, and without a generic head ("long short-term memory networks")."""
    found = {long}
    parts = long.split()
    while len(parts) > 2 and parts[-1] in _GENERIC:
        parts = parts[:-1]
        found.add(" ".join(parts))
    return found


def defining_words(before: list[str], acronym: str) -> str | None:
    """The shortest run of words at the end of `before` that the acronym abbreviates."""
    for start in range(len(before) - 1, -1, -1):
        run = [w.strip(",;:\"'") for w in before[start:]]
        if run and run[0].lower() in FUNCTION_WORDS:
            continue
        if spells(run, acronym):
            return " ".join(run)
    return None


def spells(run: list[str], acronym: str) -> bool:
    """Whether the acronym's letters are the initials of the run's content words (each
    word, or each part of a hyphenated word, gives its first letter; an acronym inside
    the run gives all its capitals; "with", "of" and the like may give none)."""
    letters = [c.lower() for c in acronym if c.isupper() or c.isdigit()]
    if acronym.endswith("s") and not acronym[-2:-1].islower():
        letters = [c.lower() for c in acronym[:-1] if c.isupper() or c.isdigit()]
    if len(letters) < 2:
        return False
    return _spell(tuple(w for w in run if w), tuple(letters))


@functools.cache
def _spell(run: tuple[str, ...], letters: tuple[str, ...]) -> bool:
    if not run:
        return not letters
    word, rest = run[0], run[1:]
    options: list[str] = []
    if word.isupper() and len(word) > 1:
        options.append(word.lower().rstrip("s") if word.endswith("s") else word.lower())
    parts = [p for p in re.split(r"[-/]", word) if p]
    if parts:
        options.append(parts[0][0].lower())
        if len(parts) > 1:
            options.append("".join(p[0].lower() for p in parts))
    if word.lower() in FUNCTION_WORDS:
        options.append("")
    return any(
        tuple(letters[: len(o)]) == tuple(o) and _spell(rest, letters[len(o) :]) for o in options
    )


@functools.cache
def _field_glossary() -> Glossary:
    builder = _Builder()
    builder.add_field()
    return builder.glossary()
