"""The progress report: one learner's mastery per topic with the evidence behind it, their
reviews and (for the app) mastery over time, read from the learner store in one go, so
every part agrees on `now`. `tutor progress` (text and ``--json``) and the app's progress
screen both render this; only `read_progress` does I/O (it blocks on SQLite)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tutor.corpus.topics import Topic
from tutor.learner.history import DayMastery, mastery_history
from tutor.learner.mastery import started, weakness_order
from tutor.learner.records import TopicProgress, iso_utc

if TYPE_CHECKING:
    from tutor.learner.store import LearnerStore


@dataclass(frozen=True)
class ProgressReport:
    """One learner's progress as of `now`."""

    learner: str
    now: float
    rows: tuple[TopicProgress, ...]
    """One per topic of the map, in map order, studied or not."""
    due: Mapping[str, int]
    """Per topic id, how many questions are due for review now (topics with none left out)."""
    next_review: Mapping[str, float]
    """Per topic id, when its earliest question review is (or was) due."""
    history: tuple[DayMastery, ...] = ()
    """Mean mastery at the end of each day; empty when nothing was ever recorded, or when
    it was not asked for."""

    def weakest_first(self) -> list[TopicProgress]:
        """Every row, weakest first, ties by topic id (`weakness_order`): the order of
        `tutor progress` and of `LearnerStore.weak_topics`."""
        return sorted(self.rows, key=weakness_order)

    def weakest(self, n: int) -> list[TopicProgress]:
        """The `n` weakest topics with evidence, weakest first: none for a new learner."""
        return [row for row in self.weakest_first() if started(row.mastery)][:n]

    def not_started(self) -> list[TopicProgress]:
        """The topics with nothing recorded yet, in map order."""
        return [row for row in self.rows if not started(row.mastery)]

    def ordered(self, weakest_first: bool) -> list[TopicProgress]:
        """The screen's order: weakest first, topics not started after the rest, ties left
        in map order (so a new learner sees the map as it is); or all in map order."""
        if not weakest_first:
            return list(self.rows)
        return sorted(self.rows, key=lambda row: weakness_order(row)[:3])

    def row(self, topic: str) -> TopicProgress | None:
        return next((row for row in self.rows if row.topic == topic), None)

    def title(self, topic: str) -> str:
        """The topic's title; its id when the map no longer has it."""
        row = self.row(topic)
        return row.title if row is not None else topic

    @property
    def due_total(self) -> int:
        return sum(self.due.values())

    def coming_up(self) -> tuple[str, float] | None:
        """The topic whose review comes soonest among those with none due now."""
        later = [(at, topic) for topic, at in self.next_review.items() if at > self.now]
        if not later:
            return None
        at, topic = min(later)
        return topic, at

    def to_json(self) -> list[dict[str, Any]]:
        """What `tutor progress --json` prints: the rows weakest first, each with its next
        review time (ISO 8601 UTC, or None)."""
        return [
            {**row.to_dict(), "next_review": iso_utc(self.next_review.get(row.topic))}
            for row in self.weakest_first()
        ]


def read_progress(
    store: LearnerStore,
    learner: str,
    topics: Sequence[Topic],
    now: float | None = None,
    *,
    history: bool = False,
) -> ProgressReport:
    """The learner's report from the store, as of `now` (the current time when None);
    with `history`, also their mastery over time (a replay of every event)."""
    now = time.time() if now is None else now
    return ProgressReport(
        learner=learner,
        now=now,
        rows=tuple(store.progress(learner, topics, now)),
        due=store.due_counts(learner, now),
        next_review=store.next_reviews(learner),
        history=(
            tuple(mastery_history(store.events(learner), [t.id for t in topics], now))
            if history
            else ()
        ),
    )
