"""The sentences an offline answer highlights: the ones that state the answer.

Meaning alone picks sentences *about* the subject, and the study page is full of them
("understanding RLHF is both a technical and philosophical imperative", "for candidates
preparing for this certification, the importance of deep learning cannot be overstated").
A sentence that names what is asked (itself, or through "it"/"they" right after a sentence
that does) and says what it is or does (a definition, a mechanism, its parts) is
preferred, and so is one whose words are rarer in the material (it states particulars);
one led by a figure of speech, or talking about the exam and its candidates when the
question does not, is held back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from graphs.chat.state import PassageRef
from tutor.corpus.forms import norm
from tutor.corpus.glossary import Glossary
from tutor.corpus.query import compared, defines, query_terms
from tutor.corpus.sentences import (
    CARRIES_ON,
    Embed,
    KeySentence,
    key_sentences,
    split_sentences,
)
from tutor.quiz.rhetoric import FIGURATIVE

NAMES_TERM = 0.0
"""For a sentence naming an asked term (or its other name): merely mentioning it earns
nothing (on the tuning questions any bonus for it displaced answers that say "it")."""
STATES_TERM = 0.06
"""For one saying what the term is or does."""
NAMES_OTHER_TERMS = 0.06
"""For each term of the field or the material a sentence names besides the asked ones (at
most `MAX_OTHER_TERMS`): "a generator ..., while a discriminator ..." says what a GAN is
made of, "GANs fuel industries that thrive on imagination" names nothing."""
MAX_OTHER_TERMS = 2
MIN_TERM_CHARS = 4
FIGURE = 0.06
"""Less for a sentence with a figure of speech ("the lantern that illuminates ...")."""
NOT_SIMPLY = re.compile(r"\b(?:is|are|was|were)\s+not\s+(?:simply|merely|just)\b", re.I)
"""A figure too: "every experiment tracked is not simply a log entry but a rehearsal of
professional discipline" says what the thing is like, not what it does."""
ABOUT_THE_EXAM = 0.10
"""Less for a sentence about the exam and its candidates, unless that is what is asked."""
EXAM_WORDS = re.compile(
    r"\b(?:candidates?|certifications?|exams?|credential|prepar(?:e|es|ing|ation))\b", re.I
)
PER_PASSAGE = 2
"""At most this many highlights from one passage, so one long passage does not crowd out
the others."""


def highlights(
    question: str,
    passages: Sequence[PassageRef],
    *,
    embed: Embed | None,
    glossary: Glossary | None,
    limit: int = 3,
) -> list[KeySentence]:
    """The sentences of the passages that answer the question, best first."""
    asked = query_terms(question, glossary).asked if glossary is not None else ()
    naming = _naming_sentences(passages, asked)
    others = _other_terms(glossary, asked)
    exam_asked = bool(EXAM_WORDS.search(question))

    def bonus(sentence: str) -> float:
        score = 0.0
        if sentence in naming:
            score += NAMES_TERM + (STATES_TERM if defines(sentence, asked) else 0.0)
        named = f" {norm(sentence)} "
        score += NAMES_OTHER_TERMS * min(
            sum(f" {term} " in named for term in others), MAX_OTHER_TERMS
        )
        words = set(re.findall(r"[a-z]+", sentence.lower()))
        if FIGURATIVE & words or NOT_SIMPLY.search(sentence):
            score -= FIGURE
        if not exam_asked and EXAM_WORDS.search(sentence):
            score -= ABOUT_THE_EXAM
        return score

    numbered = [(p["n"], p["text"]) for p in passages]
    rank = functools.partial(
        key_sentences,
        question,
        numbered,
        embed=embed,
        bonus=bonus,
        specificity=glossary.specificity if glossary is not None else None,
    )
    sides = compared(question)
    if not sides:
        return rank(limit=limit, per_passage=PER_PASSAGE)
    ranked = rank(limit=999, per_passage=999)
    return _with_definitions(ranked, [_names(side, glossary) for side in sides], limit)


def _names(side: str, glossary: Glossary | None) -> tuple[str, ...]:
    """A compared thing as the material may name it: as asked, and its other names."""
    known = query_terms(side, glossary).asked if glossary is not None else ()
    return (side.lower(), *known)


def _with_definitions(
    ranked: list[KeySentence], sides: list[tuple[str, ...]], limit: int
) -> list[KeySentence]:
    """For a comparison: the best sentence, then the best one defining each compared thing
    (a learner asking "supervised vs unsupervised" wants both definitions), then the rest
    in order, at most `PER_PASSAGE` from one passage."""
    if not ranked:
        return []
    picked = [ranked[0]]
    for names in sides:
        defining = next((s for s in ranked if s not in picked and defines(s.text, names)), None)
        if defining is not None:
            picked.append(defining)
    for sentence in ranked:
        if len(picked) >= limit:
            break
        if (
            sentence not in picked
            and sum(p.passage == sentence.passage for p in picked) < PER_PASSAGE
        ):
            picked.append(sentence)
    return picked[:limit]


def _other_terms(glossary: Glossary | None, asked: tuple[str, ...]) -> list[str]:
    """The glossary's terms (`norm` forms) other than the asked ones."""
    if glossary is None:
        return []
    skip = {norm(term) for term in asked}
    return [t for t in glossary.known_terms if len(t) >= MIN_TERM_CHARS and t not in skip]


def _naming_sentences(passages: Sequence[PassageRef], asked: tuple[str, ...]) -> set[str]:
    """The sentences that name an asked term, or carry on right after one that does."""
    if not asked:
        return set()
    found: set[str] = set()
    for passage in passages:
        previous_names = False
        for sentence in split_sentences(passage["text"]):
            lowered = sentence.lower()
            names = any(term in lowered for term in asked)
            if names or (previous_names and CARRIES_ON.match(sentence)):
                found.add(sentence)
            previous_names = names
    return found
