"""Quiz questions: one shape for every kind, whether built offline or by a model."""

from __future__ import annotations

import hashlib
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

    @property
    def id(self) -> str:
        """Stable across runs: the same question on the same passage has the same id, so
        its review schedule follows it."""
        text = "\x1f".join([self.kind, self.prompt, self.answer, self.chunk_id])
        return hashlib.sha256(text.encode()).hexdigest()[:16]
