"""Grading quiz answers by rule: choices exactly, free text on meaning.

Model grading of short answers (Ollama mode) lives with the model code; everything here
is deterministic, so the same answer always gets the same grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.checks import grade_reply
from tutor.questions import Question
from tutor.sentences import Embed

LETTERS = "ABCD"
MEANING_MATCH = 0.75
"""Cosine similarity above which a short answer means the same as the key..."""
KEY_TERMS_SHARED = 0.5
"""...provided it also uses at least this share of the key's content words."""

_TRUE = {"true", "t", "yes", "y", "correct", "right"}
_FALSE = {"false", "f", "no", "n", "incorrect", "wrong"}


@dataclass(frozen=True)
class QuizGrade:
    correct: bool
    given: str
    """The answer as understood: the chosen option's text, True/False, or the reply."""


def option_given(reply: str, question: Question) -> str | None:
    """The option a reply picks: a letter (A-D), a number (1-4) or the option's text."""
    text = reply.strip()
    bare = text.rstrip(").:").strip().upper()
    if question.kind == "tf":
        lowered = text.lower().rstrip(".!")
        if lowered in _TRUE:
            return "True"
        if lowered in _FALSE:
            return "False"
    if len(bare) == 1 and bare in LETTERS[: len(question.options)]:
        return question.options[LETTERS.index(bare)]
    if bare.isdigit() and 1 <= int(bare) <= len(question.options):
        return question.options[int(bare) - 1]
    for option in question.options:
        if text.lower() == option.lower():
            return option
    return None


def grade_answer(reply: str, question: Question, embed: Embed | None = None) -> QuizGrade:
    """Multiple choice and true/false exactly; cloze and short answers forgivingly (case,
    articles, plurals, typos, acronyms), short answers also on meaning when an embedder is
    at hand."""
    if question.kind in ("mc", "tf"):
        chosen = option_given(reply, question)
        if chosen is None:
            return QuizGrade(False, reply.strip())
        return QuizGrade(chosen == question.answer, chosen)
    if grade_reply(reply, question.answer) == "right":
        return QuizGrade(True, reply.strip())
    if question.kind == "short" and embed is not None and _same_meaning(reply, question, embed):
        return QuizGrade(True, reply.strip())
    return QuizGrade(False, reply.strip())


def _same_meaning(reply: str, question: Question, embed: Embed) -> bool:
    key_words = set(re.findall(r"[a-z0-9]{3,}", question.answer.lower()))
    given_words = set(re.findall(r"[a-z0-9]{3,}", reply.lower()))
    if not key_words or len(key_words & given_words) / len(key_words) < KEY_TERMS_SHARED:
        return False
    vectors = embed([reply, question.answer])
    return float(vectors[0] @ vectors[1]) >= MEANING_MATCH
