"""Item-writing flaws: what makes a quiz question unfair or useless, checked on every item.

Every question, offline or model-made, passes through `FlawChecker.flaws` before a learner
sees it (the quiz graph's `verify` node; the offline bank also filters with it when it
builds). Each flaw has a name, so a rejection can be counted and explained:

- generic blank: the key is a vague or common word ("layer", "readiness"), names people
  ("candidates") or a sort ("unsupervised techniques"), not a concept.
- all options fit: the stem gives no context that tells the options apart (fewer than
  `MIN_CONTEXT_WORDS` checkable words), or the material says the stem of every distractor.
- another option fits: the material says the stem of some distractor too: two keys.
- another term fits: the claim points to another term of the material, not the key
  ("Which technique can provide labelled insights for a supervised classifier?" for
  k-means clustering; `tutor.quiz.rivals`).
- cue in stem: the stem holds the key, its acronym or expansion, or a word of the key
  (a word every option shares gives nothing away).
- length cue: the key is much longer or shorter than every distractor.
- negative stem: "Which is NOT ...", "all EXCEPT".
- dangling reference: the stem opens with a pronoun or a demonstrative ("It is the _____").
- duplicate stem: the stem means nearly what a question already asked in this quiz
  said (embedding cosine at least `DUPLICATE_COSINE`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tutor.corpus.sentences import Embed
from tutor.quiz.cloze import BLANK, TOO_COMMON
from tutor.quiz.facts import content_words
from tutor.quiz.questions import Question
from tutor.quiz.rhetoric import FIGURATIVE, VAGUE_CLAIM
from tutor.quiz.rivals import Rivals
from tutor.quiz.support import Support
from tutor.quiz.wording import FUNCTION_WORDS, GENERIC, VAGUE, nounish
from tutor.text import STOPWORDS

Flaw = str
GENERIC_BLANK = "generic blank"
ALL_OPTIONS_FIT = "all options fit"
ANOTHER_OPTION_FITS = "another option fits"
ANOTHER_TERM_FITS = "another term fits"
CUE_IN_STEM = "cue in stem"
LENGTH_CUE = "length cue"
NEGATIVE_STEM = "negative stem"
DANGLING_REFERENCE = "dangling reference"
DUPLICATE_STEM = "duplicate stem"
FLAWS = (
    GENERIC_BLANK,
    ALL_OPTIONS_FIT,
    ANOTHER_OPTION_FITS,
    ANOTHER_TERM_FITS,
    CUE_IN_STEM,
    LENGTH_CUE,
    NEGATIVE_STEM,
    DANGLING_REFERENCE,
    DUPLICATE_STEM,
)

DUPLICATE_COSINE = 0.85
"""Two stems this close (MiniLM cosine) ask the same thing in other words."""
LENGTH_RATIO = 2.0
"""A key this many times longer (or shorter) than every distractor stands out."""
MIN_CONTEXT_WORDS = 2
"""A stem with fewer checkable words than this fits any option of the kind."""

_TAILS = re.compile(r"\s*(?:Which term fills the blank\?|Which option.*\?)\s*$")
_TF_HEAD = re.compile(r"^True or false\?\s*", re.IGNORECASE)
_NEGATIVE = re.compile(
    r"\b(?:NOT|EXCEPT|NEVER)\b|(?i:\bwhich\b(?:\s+\w+){0,3}?\s+(?:is|are|does|do)\s+not\b|"
    r"\ball\s+(?:of\s+the\s+following\s+)?except\b)"
)
_ACRONYM_QUESTION = re.compile(r"\bacronym\b.*\b(?:short|stand)s?\s+for\b", re.IGNORECASE)
_OPENING_REFERENCE = re.compile(
    r"^(?:it|its|they|them|their|this|these|those|that|such|he|she|here)\b", re.IGNORECASE
)
_VAGUE_KEYS = GENERIC | VAGUE | VAGUE_CLAIM | FIGURATIVE | TOO_COMMON
_PEOPLE = frozenset({"candidate", "candidates", "engineer", "engineers", "practitioner",
                     "practitioners", "learner", "learners", "user", "users", "developer",
                     "developers", "people", "team", "teams", "organization", "organizations",
                     "human", "humans", "student", "students"})  # fmt: skip
"""Who learns or uses a thing, never what is learnt ("What does retrieval-augmented
generation teach?" keyed "candidates")."""
_SORTS = frozenset({"techniques", "methods", "approaches", "algorithms", "tools"})
"""Plural heads that name a sort of things, not one thing of the material."""


def stem_of(question: Question) -> str:
    """The question without its fixed wrapping ("True or false?", "Which term fills the
    blank?")."""
    return _TAILS.sub("", _TF_HEAD.sub("", question.prompt)).strip()


def _has(text: str, phrase: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE))


@dataclass
class FlawChecker:
    """Checks questions for item-writing flaws. `support` (the material's claims) enables
    the option checks, `aliases` (acronym <-> expansion) the cue check's other names,
    `terms` (the material's concept keys) the generic-blank check's vocabulary, `embed`
    the duplicate check, and `rivals` the check that no other term fits the claim."""

    support: Support | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    terms: frozenset[str] = frozenset()
    embed: Embed | None = None
    rivals: Rivals | None = None

    def flaws(self, question: Question, asked: Sequence[str] = ()) -> list[Flaw]:
        """The flaws of a question, given the prompts already asked in this quiz."""
        stem = stem_of(question)
        found: list[Flaw] = []
        if question.kind in ("mc", "cloze", "short") and self.generic(
            question.answer, common=question.kind != "short"
        ):
            found.append(GENERIC_BLANK)
        if question.kind == "mc":
            found += self._option_flaws(question, stem)
        if question.kind != "tf" and self.cued(stem, question.answer, question.options):
            found.append(CUE_IN_STEM)
        elif question.kind != "tf" and self.points_elsewhere(question, stem):
            found.append(ANOTHER_TERM_FITS)
        if question.kind in ("mc", "short") and _NEGATIVE.search(stem):
            found.append(NEGATIVE_STEM)
        if _OPENING_REFERENCE.match(stem):
            found.append(DANGLING_REFERENCE)
        if asked and self.duplicate(question.prompt, asked):
            found.append(DUPLICATE_STEM)
        return found

    # --- single checks ------------------------------------------------------------------

    def generic(self, key: str, *, common: bool = True) -> bool:
        """A one-word key that names no concept of the material, or a vague word; with
        `common`, also a word the material uses everywhere ("Databricks": fine as the
        answer to a question about the exam's vendor, no blank worth filling)."""
        words = key.lower().split()
        if all(w in _PEOPLE or w in STOPWORDS for w in words):
            return True
        if len(words) > 1 and words[-1] in _SORTS:
            return True  # "unsupervised techniques": a sort of things, asked as if one
        if len(words) != 1:
            return all(w in _VAGUE_KEYS or w in STOPWORDS for w in words)
        word = words[0]
        if re.fullmatch(r"[\d.,]+", word):
            return False  # a number: the exam's 92 questions
        if word in _VAGUE_KEYS - (frozenset() if common else TOO_COMMON):
            return True
        if not common and word in TOO_COMMON:
            return False
        named = re.search(r"[A-Z]", key) is not None
        return not named and bool(self.terms) and word not in self.terms

    def cued(self, stem: str, key: str, options: Sequence[str] = ()) -> bool:
        """The stem gives the key away: it, its acronym or expansion, or a content word of
        it that not every option shares."""
        names = {key.lower(), self.aliases.get(key.lower(), key.lower())}
        if _ACRONYM_QUESTION.search(stem):
            names = {key.lower()}  # the acronym is the question; its expansion the key
        if any(_has(stem, n) or _has(stem, n.rstrip("s")) for n in names if len(n) > 2):
            return True
        shared = set.intersection(*(content_words(o) for o in options)) if options else set()
        words = content_words(key) - shared  # a word of the key (the alias only whole)
        stem_words = content_words(stem.replace(BLANK, " "))
        return any(len(w) > 3 and w in stem_words for w in words)

    def points_elsewhere(self, question: Question, stem: str) -> bool:
        """The claim reads as about another term than the key (what an acronym stands for
        is not a claim)."""
        if self.rivals is None or _ACRONYM_QUESTION.search(stem):
            return False
        claim = _strip(stem)
        # "Which of these ...?" is a choice among the options; a blanked claim of the
        # material must be about its key whatever the options
        among = question.options if question.kind == "mc" and BLANK not in stem else None
        return self.rivals.rival(question.answer, claim, stem, among) is not None

    def _option_flaws(self, question: Question, stem: str) -> list[Flaw]:
        found: list[Flaw] = []
        distractors = [o for o in question.options if o != question.answer]
        if distractors:
            lengths = [len(o) for o in distractors]
            if len(question.answer) >= LENGTH_RATIO * max(lengths) or (
                LENGTH_RATIO * len(question.answer) <= min(lengths)
            ):
                found.append(LENGTH_CUE)
        claim = stem.replace(BLANK, " ")
        context = [
            w
            for w in content_words(claim)
            if w not in FIGURATIVE | VAGUE_CLAIM | GENERIC | FUNCTION_WORDS
            and len(w) > 3
            and nounish(w)
        ]
        if len(context) < MIN_CONTEXT_WORDS:
            return [*found, ALL_OPTIONS_FIT]
        if self.support is not None and distractors:
            fitting = [
                d for d in distractors if self.support.says(d, claim, besides=question.answer)
            ]
            if len(fitting) == len(distractors):
                found.append(ALL_OPTIONS_FIT)
            elif fitting:
                found.append(ANOTHER_OPTION_FITS)
        return found

    def duplicate(self, prompt: str, asked: Sequence[str]) -> bool:
        """Whether the prompt asks nearly what one of `asked` did."""
        plain = _TF_HEAD.sub("", prompt)
        if any(_TF_HEAD.sub("", a) == plain for a in asked):
            return True
        if self.embed is None:
            return False
        texts = [_strip(plain), *(_strip(_TF_HEAD.sub("", a)) for a in asked)]
        vectors = np.asarray(self.embed(texts))
        return bool((vectors[1:] @ vectors[0] >= DUPLICATE_COSINE).any())


def _strip(prompt: str) -> str:
    return _TAILS.sub("", prompt).replace(BLANK, " ").strip()
