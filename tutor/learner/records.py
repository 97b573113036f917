"""The learner store's plain records (events, graded answers, progress rows, sessions) and
the small rules that name and date them. No I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fsrs import Rating

from tutor.learner.mastery import KINDS, Kind, Mastery
from tutor.quiz.questions import Question

TITLE_LENGTH = 60
"""Session titles (the first question) are cut to about this many characters."""


def iso_utc(at: float | None) -> str | None:
    """A Unix time as ISO 8601 UTC to the second (``2025-01-31T09:30:00Z``), or None."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def turn_prefix(session: str, turn: int) -> str:
    """How the keys of a chat turn's events start: session and turn number."""
    return f"{session}:{turn}:"


def session_title(text: str) -> str:
    """The first question, on one line, cut at a word to about `TITLE_LENGTH` characters."""
    title = " ".join(text.split())
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1]
    if " " in cut[TITLE_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass(frozen=True)
class LearnerEvent:
    """One fact about a learner and a topic: asked about it, or answered a check on it.

    `key` makes recording idempotent; leave it None only for events that can never be
    recorded twice (a fresh random key is used).
    """

    learner: str
    topic: str
    kind: Kind
    at: float
    question: str | None = None
    source: str | None = None
    session: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        # Fail where the event is made, not deep inside a transaction.
        if self.kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.learner or not self.topic:
            raise ValueError("an event needs a learner and a topic")
        if not math.isfinite(self.at):
            raise ValueError(f"event time must be a finite Unix time, not {self.at!r}")

    def row(self) -> tuple[object, ...]:
        """Its values in the order of the `events` columns (`schema.EVENT_COLUMNS`)."""
        return (
            self.learner,
            self.topic,
            self.kind,
            self.at,
            self.question,
            self.source,
            self.session,
            self.key,
        )


@dataclass(frozen=True)
class GradedAnswer:
    """A learner's graded answer to a quiz question, as the quiz's memory step records it."""

    learner: str
    question: Question
    given: str
    correct: bool
    rating: Rating
    """The FSRS rating (see `tutor.learner.scheduling.rating_for`)."""
    at: float
    key: str
    """Idempotency key, e.g. quiz session + question id."""
    session: str | None = None


@dataclass(frozen=True)
class TopicProgress:
    """One row of the progress view: a topic, its mastery estimate and why."""

    topic: str
    title: str
    mastery: Mastery
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form promised to scripts (`tutor progress --json`)."""
        return {
            "topic": self.topic,
            "title": self.title,
            "mastery": round(self.mastery.mastery, 3),
            "attempts": self.mastery.attempts,
            "correct": self.mastery.correct,
            "last_seen": iso_utc(self.mastery.last_seen),
        }


@dataclass(frozen=True)
class SessionInfo:
    """A conversation as listed by `tutor sessions`."""

    id: str
    learner: str
    title: str
    created_at: float
    updated_at: float
    turns: int
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "learner": self.learner,
            "title": self.title,
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.updated_at),
            "turns": self.turns,
            "mode": self.mode,
        }
