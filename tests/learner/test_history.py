"""Mastery over time: events replayed day by day through the real estimate, in UTC days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tutor.learner.history import day_of, mastery_history, start_of
from tutor.learner.mastery import DAY, Evidence, estimate
from tutor.learner.records import LearnerEvent

TOPICS = ["a", "b", "c", "d"]
NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC).timestamp()  # Monday 10 March, noon UTC
MIDNIGHT = datetime(2025, 3, 11, tzinfo=UTC).timestamp()


def event(kind: str, topic: str, at: float) -> LearnerEvent:
    return LearnerEvent("ann", topic, kind, at)  # type: ignore[arg-type]


def mean_at(evidence: dict[str, list[Evidence]], at: float) -> float:
    """The mean mastery over TOPICS as of `at`, straight from `estimate`."""
    return sum(estimate(evidence.get(t, []), at).mastery for t in TOPICS) / len(TOPICS)


def test_no_events_is_no_history() -> None:
    assert mastery_history([], TOPICS, NOON, tz=UTC) == []
    # Events on topics the map no longer has are ignored, as the table ignores them.
    assert mastery_history([event("right", "gone", NOON)], TOPICS, NOON, tz=UTC) == []


def test_one_point_per_day_from_the_first_event_to_today() -> None:
    events = [
        event("right", "a", NOON - 3 * DAY),  # Friday noon
        event("wrong", "b", NOON - 3 * DAY + 3600),
        event("right", "a", NOON - DAY),  # Sunday noon
        event("asked", "c", NOON - 1800),  # today, 11:30
        event("right", "c", NOON - 600),
    ]
    points = mastery_history(events, TOPICS, NOON, tz=UTC)

    assert [p.day for p in points] == [date(2025, 3, d) for d in (7, 8, 9, 10)]
    # Each past day is taken at the next midnight, from the events before it.
    ends = [MIDNIGHT - 3 * DAY, MIDNIGHT - 2 * DAY, MIDNIGHT - DAY, NOON]
    assert [p.at for p in points] == ends
    friday = {
        "a": [Evidence("right", NOON - 3 * DAY)],
        "b": [Evidence("wrong", NOON - 3 * DAY + 3600)],
    }
    assert points[0].mastery == pytest.approx(mean_at(friday, ends[0]))
    # Saturday: nothing new, the same evidence a day older (so it has faded a little).
    assert points[1].mastery == pytest.approx(mean_at(friday, ends[1]))
    sunday = {**friday, "a": [*friday["a"], Evidence("right", NOON - DAY)]}
    assert points[2].mastery == pytest.approx(mean_at(sunday, ends[2]))
    today = {**sunday, "c": [Evidence("asked", NOON - 1800), Evidence("right", NOON - 600)]}
    assert points[3].mastery == pytest.approx(mean_at(today, NOON))
    assert [(p.right, p.wrong) for p in points] == [(1, 1), (0, 0), (1, 0), (1, 0)]


def test_the_day_ends_at_midnight_an_event_at_midnight_is_the_next_day() -> None:
    events = [event("right", "a", MIDNIGHT - 1), event("wrong", "a", MIDNIGHT)]
    points = mastery_history(events, TOPICS, MIDNIGHT + 60, tz=UTC)
    assert [p.day for p in points] == [date(2025, 3, 10), date(2025, 3, 11)]
    assert [(p.right, p.wrong) for p in points] == [(1, 0), (0, 1)]
    assert points[0].mastery > 0.5 and points[1].mastery < points[0].mastery


def test_the_day_follows_the_time_zone() -> None:
    # 23:30 UTC on the 10th is already the 11th in Paris (UTC+1 in March).
    paris = timezone(timedelta(hours=1))
    at = MIDNIGHT - 1800
    assert day_of(at, UTC) == date(2025, 3, 10) and day_of(at, paris) == date(2025, 3, 11)
    assert start_of(date(2025, 3, 11), paris) == MIDNIGHT - 3600
    [point] = mastery_history([event("right", "a", at)], TOPICS, MIDNIGHT, tz=paris)
    assert point.day == date(2025, 3, 11) and point.at == MIDNIGHT
    # By hand: half an hour old, the right answer weighs w; three topics stay at 0.5.
    w = 0.5 ** (1800 / DAY / 14)
    assert point.mastery == pytest.approx(((1 + w) / (2 + w) + 3 * 0.5) / 4)


def test_only_the_last_days_are_plotted_but_older_evidence_still_counts() -> None:
    old = event("right", "a", NOON - 200 * DAY)
    recent = event("wrong", "b", NOON - 2 * DAY)
    points = mastery_history([old, recent], TOPICS, NOON, tz=UTC, days=5)
    assert [p.day for p in points] == [date(2025, 3, d) for d in (6, 7, 8, 9, 10)]
    evidence = {"a": [Evidence("right", old.at)], "b": [Evidence("wrong", recent.at)]}
    assert points[-1].mastery == pytest.approx(mean_at(evidence, NOON))
    assert points[0].mastery == pytest.approx(mean_at({"a": evidence["a"]}, points[0].at))
    assert sum(p.wrong for p in points) == 1 and sum(p.right for p in points) == 0


def test_todays_point_counts_every_event_as_the_table_does() -> None:
    # A clock moved back: an event dated after `now` still counts, as fresh, today.
    later = event("right", "a", NOON + 3 * DAY)
    [point] = mastery_history([later], TOPICS, NOON, tz=UTC)
    assert point.day == date(2025, 3, 10) and point.at == NOON
    assert point.mastery == pytest.approx(mean_at({"a": [Evidence("right", later.at)]}, NOON))


def test_the_order_of_events_does_not_matter() -> None:
    events = [
        event(k, t, NOON - i * 5000)
        for i, (k, t) in enumerate(
            [("right", "a"), ("wrong", "b"), ("asked", "c"), ("right", "d"), ("wrong", "a")] * 4
        )
    ]
    assert mastery_history(events, TOPICS, NOON, tz=UTC) == mastery_history(
        list(reversed(events)), TOPICS, NOON, tz=UTC
    )
