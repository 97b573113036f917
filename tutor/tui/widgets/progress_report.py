"""What the progress screen shows, read from the learner store in one go (from a worker:
it reads SQLite and replays the history), so the table, reviews and plot agree on `now`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.corpus.topics import Topic
from tutor.learner.history import DayMastery, mastery_history
from tutor.learner.store import LearnerStore, TopicProgress, weakness_order


@dataclass(frozen=True)
class ProgressReport:
    """One learner's progress as of `now`."""

    learner: str
    now: float
    rows: tuple[TopicProgress, ...]
    """One per topic of the map, in map order."""
    due: Mapping[str, int]
    """Per topic id, how many questions are due for review now."""
    next_review: Mapping[str, float]
    """Per topic id, when its earliest question review is (or was) due."""
    history: tuple[DayMastery, ...]
    """Mean mastery at the end of each day; empty when nothing was ever recorded."""

    def ordered(self, weakest_first: bool) -> list[TopicProgress]:
        """The rows weakest first (as `tutor progress` orders them, but ties stay in map
        order, so a new learner sees the map as it is), or in map order."""
        if not weakest_first:
            return list(self.rows)
        return sorted(self.rows, key=lambda row: weakness_order(row)[:2])

    def row(self, topic: str) -> TopicProgress | None:
        return next((row for row in self.rows if row.topic == topic), None)

    def title(self, topic: str) -> str:
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


def read_progress(
    store: LearnerStore, learner: str, topics: Sequence[Topic], now: float
) -> ProgressReport:
    """Everything the screen shows, from the store (blocks on SQLite)."""
    rows = store.progress(learner, topics, now)
    due = store.due_counts(learner, now)
    history = mastery_history(store.events(learner), [t.id for t in topics], now)
    return ProgressReport(
        learner=learner,
        now=now,
        rows=tuple(rows),
        due=due,
        next_review=store.next_reviews(learner),
        history=tuple(history),
    )
