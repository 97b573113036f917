"""The progress report both `tutor progress` and the progress screen render: one read of
the store, the two orders, the JSON rows, reviews due and coming up."""

from __future__ import annotations

from tests.learner.quiz_answers import graded, question
from tutor.corpus.topics import Topic
from tutor.learner.mastery import DAY
from tutor.learner.records import LearnerEvent
from tutor.learner.report import read_progress

NOW = 1_750_000_000.0
# Map order deliberately not alphabetical, so the two orders can be told apart.
TOPICS = [Topic(i, f"Topic {i.upper()}", f"about {i}") for i in ("c", "a", "d", "b")]


def event(kind: str, topic: str, days_ago: float = 0.0) -> LearnerEvent:
    return LearnerEvent("ann", topic, kind, NOW - days_ago * DAY)  # type: ignore[arg-type]


def test_a_new_learner_gets_every_topic_unstudied(store) -> None:
    report = read_progress(store, "ann", TOPICS, NOW)
    assert [row.topic for row in report.rows] == ["c", "a", "d", "b"]
    assert all(row.reason == "not started" for row in report.rows)
    # Ties: the CLI breaks them by topic id, the screen keeps the map's order.
    assert [row.topic for row in report.weakest_first()] == ["a", "b", "c", "d"]
    assert [row.topic for row in report.ordered(True)] == ["c", "a", "d", "b"]
    assert report.ordered(False) == list(report.rows)
    assert report.due == {} and report.due_total == 0 and report.coming_up() is None
    assert report.history == ()


def test_weakest_first_is_the_order_of_weak_topics(store) -> None:
    store.record_many([event("wrong", "d"), event("right", "a"), event("asked", "b")])
    report = read_progress(store, "ann", TOPICS, NOW)
    ranked = store.weak_topics("ann", TOPICS, len(TOPICS), NOW)
    assert report.weakest(len(TOPICS)) == ranked
    # Topics with evidence only; the untouched one is listed after them, "not started".
    assert [row.topic for row in ranked] == ["d", "b", "a"]
    assert [row.topic for row in report.weakest_first()] == ["d", "b", "a", "c"]
    assert [row.topic for row in report.ordered(True)] == ["d", "b", "a", "c"]
    assert [row.topic for row in report.not_started()] == ["c"]
    assert report.row("c").reason == "not started"


def test_a_learner_with_no_answers_has_no_weakest_topics(store) -> None:
    report = read_progress(store, "ann", TOPICS, NOW)
    assert report.weakest(3) == [] and store.weak_topics("ann", TOPICS, 3, NOW) == []
    assert [row.topic for row in report.not_started()] == [t.id for t in TOPICS]
    assert [row.topic for row in store.not_started("ann", TOPICS)] == [t.id for t in TOPICS]


def test_the_json_rows_are_weakest_first_with_the_next_review(store) -> None:
    store.record_answer(graded(question(1, "a"), False, NOW - DAY))
    report = read_progress(store, "ann", TOPICS, NOW)
    rows = report.to_json()
    assert [row["topic"] for row in rows] == [row.topic for row in report.weakest_first()]
    first = rows[0]
    assert first == {
        "topic": "a",
        "title": "Topic A",
        "mastery": first["mastery"],
        "attempts": 1,
        "correct": 0,
        "last_seen": "2025-06-14T15:06:40Z",
        "next_review": first["next_review"],
    }
    assert first["mastery"] < 0.5 and first["next_review"].endswith("Z")
    assert all(row["next_review"] is None for row in rows[1:])


def test_reviews_due_now_and_coming_up(store) -> None:
    store.record_answer(
        graded(question(1, "a"), False, NOW - DAY)
    )  # due a minute later: overdue now
    store.record_answer(graded(question(2, "b"), True, NOW - 60))  # due in about ten minutes
    report = read_progress(store, "ann", TOPICS, NOW)
    assert report.due == {"a": 1} and report.due_total == 1
    topic, at = report.coming_up()
    assert topic == "b" and at > NOW
    assert report.title("b") == "Topic B" and report.title("gone") == "gone"
    assert report.row("gone") is None


def test_history_is_read_only_when_asked_for(store) -> None:
    store.record(event("right", "a", days_ago=2))
    assert read_progress(store, "ann", TOPICS, NOW).history == ()
    history = read_progress(store, "ann", TOPICS, NOW, history=True).history
    assert len(history) == 3 and history[-1].at == NOW
