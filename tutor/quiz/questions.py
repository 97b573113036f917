"""Quiz questions: one shape for every kind, whether built offline or by a model."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, Field

QuestionKind = Literal["mc", "tf", "short", "cloze"]
Origin = Literal["offline", "ollama"]
TRUE_FALSE = ["True", "False"]


class Question(BaseModel):
    """A question on one passage of the material, with its answer key and citation.

    mc: `options` holds 4 distinct choices and `answer` is one of them. tf: `options` is
    ["True", "False"] and `answer` one of those. short and cloze: no options; `answer` is
    the expected term or phrase (cloze prompts contain a blank, "_____").
    """

    kind: QuestionKind
    prompt: str
    options: list[str] = Field(default_factory=list)
    answer: str
    explanation: str
    """One sentence saying why the answer is right, shown as feedback."""
    topic: str
    chunk_id: str
    source: str
    """The citation of the passage: "file § section (lines a-b)"."""
    origin: Origin = "offline"
    sentence: str = ""
    """The sentence of the material the question was made from ("" if not known, as for
    a model's question): a quiz asks at most one question per sentence."""

    @property
    def sentence_id(self) -> str:
        """Names the question's source sentence (see `sentence_id`); "" if not known."""
        return sentence_id(self.sentence) if self.sentence else ""

    @property
    def id(self) -> str:
        """Stable across runs: the same question on the same passage has the same id, so
        its review schedule follows it."""
        text = "\x1f".join([self.kind, self.prompt, self.answer, self.chunk_id])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def sentence_id(sentence: str) -> str:
    """A short stable name for a sentence of the material, e.g. to remember in a quiz's
    state which sentences have been asked about."""
    text = " ".join(sentence.split())
    return "s:" + hashlib.sha256(text.encode()).hexdigest()[:16]


GROUNDED_SHARE = 0.6
"""At least this share of the key's content words must occur in the passage."""


def _content_words(text: str) -> set[str]:
    from tutor.text import STOPWORDS

    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words} - STOPWORDS


def grounding_problem(question: Question, passage: str) -> str | None:
    """Why a question must not be shown, or None: the deterministic half of verification
    (the key is among distinct options, and its wording comes from the passage)."""
    if len(question.prompt.split()) < 4:
        return "the question is too short"
    if question.kind in ("mc", "tf"):
        lowered = [o.strip().lower() for o in question.options]
        if len(set(lowered)) != len(lowered) or "" in lowered:
            return "the options are not distinct"
        if question.answer not in question.options:
            return "the key is not among the options"
        if question.kind == "mc" and len(question.options) != 4:
            return "a multiple-choice question needs 4 options"
        if question.kind == "tf" and question.options != TRUE_FALSE:
            return "a true/false question needs the options True and False"
    key = (
        question.prompt
        if question.kind == "tf" and question.answer == "True"
        else (question.answer if question.kind != "tf" else "")
    )
    words = _content_words(key)
    if words and len(words & _content_words(passage)) / len(words) < GROUNDED_SHARE:
        return "the key's wording is not in the passage"
    return None
