"""Grading quiz answers by rule: choices exactly, free text on meaning.

Model grading of short answers (Ollama mode) lives with the model code; everything here
is deterministic, so the same answer always gets the same grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.corpus.forms import FUNCTION_WORDS, stem, words
from tutor.corpus.glossary import Glossary
from tutor.corpus.sentences import Embed
from tutor.quiz.answers import HEDGED, NEGATED, judge
from tutor.quiz.questions import TRUE_FALSE, Question
from tutor.quiz.replies import negative
from tutor.text import clean_typed

LETTERS = "ABCD"
MEANING_MATCH = 0.75
"""Cosine similarity above which a short answer means the same as the key..."""
KEY_TERMS_SHARED = 0.5
"""...provided it also uses at least this share of the key's content words."""
MAX_GIVEN_CHARS = 200
"""An answer is recorded and shown at most this long: a pasted page is not an answer."""

OPPOSITE = "That says the opposite of the answer."

_TRUE = {"true", "t", "yes", "y", "correct", "right"}
_FALSE = {"false", "f", "no", "n", "incorrect", "wrong"}


@dataclass(frozen=True)
class Grade:
    """A graded answer: right or wrong, the answer as understood, and why."""

    correct: bool
    given: str
    """The answer as understood: the chosen option's text, True/False, or the reply
    (without control characters, at most `MAX_GIVEN_CHARS` long)."""
    reason: str
    """One line for the learner saying why it is right or wrong ("You named a different
    term: unsupervised learning", "Right: RLHF is the acronym of …")."""
    settled: bool = False
    """Wrong by a rule no judge of meaning may overturn: negated, hedged, another term."""


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


def grade(
    answer: str,
    key: str,
    *,
    kind: str = "cloze",
    options: list[str] | None = None,
    embed: Embed | None = None,
    glossary: Glossary | None = None,
) -> Grade:
    """Grade one answer against its key, as the quiz does.

    `kind` is "mc" or "tf" (the answer picks an option: a letter, a number or its text;
    `options` lists them, True/False by default for "tf") or "cloze"/"short" (free text:
    see `tutor.quiz.answers`; forgiving case, articles, plurals, misspellings, acronyms and
    expansions, but not a negated or hedged answer or another term). A short answer no
    rule settles is judged on polarity, then on meaning when `embed` is given. `glossary`
    (`Glossary.from_records` over the material) adds the material's own terms and
    acronyms to the field's built-in ones. A free-text answer far longer than its key is
    wrong by rule: pasting the whole passage, or every option, must not score.
    """
    text = clean_typed(answer)
    given = _bounded(text)
    if kind in ("mc", "tf"):
        choices = options or (TRUE_FALSE if kind == "tf" else [])
        chosen = _option(text, kind, choices)
        if chosen is None:
            problem = answer_problem(text, kind, choices) or "not one of the options"
            return Grade(False, given, f"Not an answer: {problem}.", settled=True)
        if chosen == key:
            return Grade(True, chosen, "Right: that's the right option.")
        return Grade(False, chosen, f"You picked {chosen!r}.", settled=True)
    glossary = glossary or Glossary.builtin()
    verdict = judge(text, key, glossary)
    if verdict.result == "right":
        return Grade(True, given, verdict.reason)
    if kind == "short" and verdict.reason not in (NEGATED, HEDGED) and _says_key(text, key):
        # A short answer is a claim, not a term: more detail around every word of the key
        # ("the lifecycle of ML models") still says it.
        return Grade(True, given, "Right: that's the answer, with more detail.")
    if kind == "short" and verdict.open:
        if negative(text, glossary.is_word) != negative(key, glossary.is_word):
            return Grade(False, given, OPPOSITE, settled=True)
        if embed is not None and _same_meaning(text, key, embed):
            return Grade(True, given, "Right: it means the same as the answer.")
    return Grade(False, given, verdict.reason, settled=not verdict.open)


def grade_answer(
    reply: str, question: Question, embed: Embed | None = None, glossary: Glossary | None = None
) -> Grade:
    """Grade a reply to a quiz question (see `grade`)."""
    return grade(
        reply,
        question.answer,
        kind=question.kind,
        options=question.options,
        embed=embed,
        glossary=glossary,
    )


def _says_key(reply: str, key: str) -> bool:
    """Every content word of the key is in the reply (by stem), and the key has two or more:
    a one-word key is a term, judged as one."""
    wanted = {stem(w) for w in words(key) if w not in FUNCTION_WORDS}
    return len(wanted) >= 2 and wanted <= {stem(w) for w in words(reply)}


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_GIVEN_CHARS else text[: MAX_GIVEN_CHARS - 1] + "…"


def _same_meaning(reply: str, key: str, embed: Embed) -> bool:
    key_words = set(re.findall(r"[a-z0-9]{3,}", key.lower()))
    given_words = set(re.findall(r"[a-z0-9]{3,}", reply.lower()))
    if not key_words or len(key_words & given_words) / len(key_words) < KEY_TERMS_SHARED:
        return False
    vectors = embed([reply, key])
    return float(vectors[0] @ vectors[1]) >= MEANING_MATCH
