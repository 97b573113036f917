"""Mastery over time: a learner's events replayed day by day through the very estimate the
progress table shows (`tutor.learner.mastery.estimate`), so the plot and the table always agree.
Pure functions, no I/O; mastery is never stored, so the history is recomputed on demand.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Protocol

from tutor.learner.mastery import EvidenceLike, estimate

HISTORY_DAYS = 90
"""The plot covers at most this many days (older evidence still counts in each point)."""


class TopicEvidence(EvidenceLike, Protocol):
    """A learner event: what was done, on which topic, when (`LearnerEvent` is one)."""

    @property
    def topic(self) -> str: ...


@dataclass(frozen=True)
class DayMastery:
    """One point of the plot: the learner's state at the end of one day."""

    day: date
    at: float
    """The moment the estimate is taken: the start of the next day, or `now` for today."""
    mastery: float
    """Mean mastery over the map's topics; an untouched topic counts at the prior, 0.5."""
    right: int
    """Checks answered right during the day."""
    wrong: int
    """Checks answered wrong during the day."""


def day_of(at: float, tz: tzinfo | None = None) -> date:
    """The calendar day of a Unix time (local time when `tz` is None)."""
    return datetime.fromtimestamp(at, tz).date()


def start_of(day: date, tz: tzinfo | None = None) -> float:
    """The Unix time at which a calendar day begins (local time when `tz` is None)."""
    return datetime.combine(day, clock.min, tzinfo=tz).timestamp()


def mastery_history(
    events: Iterable[TopicEvidence],
    topic_ids: Sequence[str],
    now: float,
    *,
    tz: tzinfo | None = None,
    days: int = HISTORY_DAYS,
) -> list[DayMastery]:
    """One point per calendar day, from the day of the first event (at most `days` back)
    to today. Each point is the mean mastery over `topic_ids`, estimated at the end of
    its day from the events before then; today's point is taken at `now` from every event,
    exactly as the table computes it. Events on topics outside `topic_ids` are ignored, as
    `LearnerStore.progress` ignores them. No events: no history, an empty list."""
    wanted = set(topic_ids)
    relevant = sorted((e for e in events if e.topic in wanted), key=lambda e: e.at)
    if not relevant or days < 1:
        return []
    times = [e.at for e in relevant]
    today = day_of(now, tz)
    first = max(min(day_of(times[0], tz), today), today - timedelta(days=days - 1))
    points = []
    day = first
    while day <= today:
        begins = start_of(day, tz)
        if day == today:
            at, upto = now, len(relevant)
        else:
            at = start_of(day + timedelta(days=1), tz)
            upto = bisect_left(times, at)
        seen = relevant[:upto]
        by_topic: dict[str, list[TopicEvidence]] = defaultdict(list)
        for event in seen:
            by_topic[event.topic].append(event)
        mean = math.fsum(estimate(by_topic[t], at).mastery for t in topic_ids) / len(topic_ids)
        during = seen[bisect_left(times, begins, hi=upto) :]
        points.append(
            DayMastery(
                day=day,
                at=at,
                mastery=mean,
                right=sum(e.kind == "right" for e in during),
                wrong=sum(e.kind == "wrong" for e in during),
            )
        )
        day += timedelta(days=1)
    return points
