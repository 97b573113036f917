"""The quiz graph's state: the quiz's settings, what has been asked, and the results."""

from __future__ import annotations

import operator
from typing import Annotated, Literal, NotRequired, TypedDict

Kind = Literal["mc", "tf", "short", "cloze", "mixed"]
PickReason = Literal["review", "weak", "new", "named", "exam", "practice"]


class QuizInput(TypedDict):
    """How a quiz is started."""

    n: NotRequired[int]
    kind: NotRequired[Kind]
    topic: NotRequired[str | None]
    """A topic id to stay on; None picks by due reviews and weakness."""
    exam: NotRequired[bool]
    """Exam simulation: questions spread over topics by weight, feedback only at the end."""
    seed: NotRequired[int]


class QuizState(TypedDict, total=False):
    n: int
    kind: Kind
    topic: str | None
    exam: bool
    seed: int
    plan: list[str]
    """Exam mode: the topic of each question slot, decided up front."""
    asked: list[str]
    """Ids of the questions asked so far (none is asked twice in a quiz)."""
    used_chunks: list[str]
    current: dict | None
    """The question being asked (`Question.model_dump()`), with its passage text."""
    passage: str
    """The text of the current question's passage (what verification and grading use)."""
    pending_topic: str
    pending_passage: dict
    """The passage picked to make the next question from (a `PassageRef`)."""
    exhausted: list[str]
    """Topics with no usable question left in this quiz; picks skip them."""
    repick: bool
    """Set when the current topic ran dry: the next step picks again."""
    reason: PickReason
    attempts: int
    """Generation attempts for the current slot."""
    rejected: int
    """Questions that failed verification and were never shown."""
    fallbacks: int
    """Slots where the model failed and the offline generator stepped in."""
    reply: dict | None
    """The learner's answer: {"answer": str, "confidence": "sure" | "unsure" | None}."""
    graded: dict | None
    results: Annotated[list[dict], operator.add]
    """One entry per graded question, in order (what `tutor quiz --json` prints)."""
    summary: dict | None
    ollama_gone: dict | None
    """{"reason", "process"} once Ollama went away during the quiz (`graphs.quiz.graph.PROCESS`)."""
    made_offline: bool
    """Whether the current question was made offline because Ollama went away."""
