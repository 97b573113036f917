"""Grading quiz answers by rule: choices exactly, free text on meaning.

Model grading of short answers (Ollama mode) lives with the model code; everything here
is deterministic, so the same answer always gets the same grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.corpus.sentences import Embed
from tutor.quiz.cloze import grade_reply, reply_problem
from tutor.quiz.questions import Question
from tutor.text import clean_typed

LETTERS = "ABCD"
MEANING_MATCH = 0.75
"""Cosine similarity above which a short answer means the same as the key..."""
KEY_TERMS_SHARED = 0.5
"""...provided it also uses at least this share of the key's content words."""
MAX_GIVEN_CHARS = 200
"""An answer is recorded and shown at most this long: a pasted page is not an answer."""

_TRUE = {"true", "t", "yes", "y", "correct", "right"}
_FALSE = {"false", "f", "no", "n", "incorrect", "wrong"}


@dataclass(frozen=True)
class QuizGrade:
    correct: bool
    given: str
    """The answer as understood: the chosen option's text, True/False, or the reply
    (without control characters, at most `MAX_GIVEN_CHARS` long)."""


def option_given(reply: str, question: Question) -> str | None:
    """The option a reply picks: a letter (A-D), a number (1-4) or the option's text."""
    return _option(clean_typed(reply), question.kind, question.options)


def _option(text: str, kind: str, options: list[str]) -> str | None:
    bare = text.rstrip(").:").strip().upper()
    if kind == "tf":
        lowered = text.lower().rstrip(".!")
        if lowered in _TRUE:
            return "True"
        if lowered in _FALSE:
            return "False"
    if len(bare) == 1 and bare in LETTERS[: len(options)]:
        return options[LETTERS.index(bare)]
    # isdecimal, not isdigit: int("²") fails. And short: int() refuses 4,300 digits.
    if bare.isdecimal() and len(bare) <= 2 and 1 <= int(bare) <= len(options):
        return options[int(bare) - 1]
    for option in options:
        if text.lower() == option.lower():
            return option
    return None


def answer_problem(reply: str, kind: str, options: list[str]) -> str | None:
    """Why a reply is not an answer in the form a question of this kind asks for, or None.

    For a front end to say so and ask again rather than grade it: an empty line, "7" for a
    four-option question or "maybe" for true/false is a slip, not evidence of what the
    learner knows (the app's quiz screen cannot even send these). Takes the kind and
    options the question was shown with, so the question dict a quiz step holds will do.
    """
    text = clean_typed(reply)
    if not text:
        return "type an answer"
    if kind in ("mc", "tf") and options and _option(text, kind, options) is None:
        if kind == "tf":
            return "answer True or False (or T/F, yes/no)"
        count = min(len(options), len(LETTERS))
        return f"answer with a letter A-{LETTERS[count - 1]}, a number 1-{count} or the option"
    return None


def grade_answer(reply: str, question: Question, embed: Embed | None = None) -> QuizGrade:
    """Multiple choice and true/false exactly; cloze and short answers forgivingly (case,
    articles, plurals, typos, acronyms), short answers also on meaning when an embedder is
    at hand. A free-text answer far longer than its key is wrong by rule: pasting the whole
    passage, or every option, must not score."""
    text = clean_typed(reply)
    given = _bounded(text)
    if question.kind in ("mc", "tf"):
        chosen = _option(text, question.kind, question.options)
        if chosen is None:
            return QuizGrade(False, given)
        return QuizGrade(chosen == question.answer, chosen)
    if reply_problem(text, question.answer) is not None:  # a paste or a list of terms
        return QuizGrade(False, given)
    if grade_reply(text, question.answer) == "right":
        return QuizGrade(True, given)
    if question.kind == "short" and embed is not None and _same_meaning(text, question, embed):
        return QuizGrade(True, given)
    return QuizGrade(False, given)


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_GIVEN_CHARS else text[: MAX_GIVEN_CHARS - 1] + "…"


def _same_meaning(reply: str, question: Question, embed: Embed) -> bool:
    key_words = set(re.findall(r"[a-z0-9]{3,}", question.answer.lower()))
    given_words = set(re.findall(r"[a-z0-9]{3,}", reply.lower()))
    if not key_words or len(key_words & given_words) / len(key_words) < KEY_TERMS_SHARED:
        return False
    vectors = embed([reply, question.answer])
    return float(vectors[0] @ vectors[1]) >= MEANING_MATCH
