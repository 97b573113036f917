"""Quiz answers in the learner store: FSRS scheduling, idempotency, atomicity, upgrades."""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from fsrs import Rating

from tests.learner.quiz_answers import T0, graded, question
from tutor import storage as migrations
from tutor.learner import reviews as reviews_module
from tutor.learner.scheduling import rating_for, review
from tutor.learner.schema import MIGRATIONS
from tutor.learner.store import LearnerStore

MINUTE, DAY = 60.0, 86_400.0


def test_ratings() -> None:
    assert rating_for(False) == rating_for(False, "sure") == Rating.Again
    assert rating_for(True) == Rating.Good
    assert rating_for(True, "sure") == Rating.Easy
    assert rating_for(True, "unsure") == Rating.Hard


def test_due_dates_advance_with_right_answers_and_reset_on_a_wrong_one() -> None:
    card, due = review(None, Rating.Good, T0)
    assert due == pytest.approx(T0 + 10 * MINUTE)  # the second learning step
    intervals = []
    at = due
    for _ in range(4):
        card, next_due = review(card, Rating.Good, at)
        intervals.append(next_due - at)
        at = next_due
    assert intervals[0] >= DAY and all(b > a for a, b in itertools.pairwise(intervals))
    _, after_lapse = review(card, Rating.Again, at)
    assert after_lapse - at < DAY


def test_a_question_id_is_stable_and_content_based() -> None:
    assert question(1).id == question(1).id != question(2).id


def test_record_answer_writes_answer_event_and_card_once(store) -> None:
    q = question()
    assert store.record_answer(graded(q, True, T0, key="k1")) is True
    assert store.record_answer(graded(q, False, T0 + 5, key="k1")) is False  # a re-run
    assert [(e.topic, e.kind, e.key) for e in store.events("ann")] == [("rlhf", "right", "k1")]
    due, reviews, lapses = store.card_state("ann", q.id)
    assert (reviews, lapses) == (1, 0) and due == pytest.approx(T0 + 10 * MINUTE)
    assert store.answered_questions("ann") == [(q, 1, 0)]
    assert store.summary()["answers"] == 1


def test_due_questions_most_overdue_first(store) -> None:
    wrong, right, later = question(1), question(2), question(3, topic="rag")
    store.record_answer(graded(wrong, False, T0))  # Again: back in a minute
    store.record_answer(graded(right, True, T0))  # Good: back in ten
    store.record_answer(graded(later, True, T0 + 5 * MINUTE))
    assert [q.id for q, _ in store.due_questions("ann", now=T0 + 2 * MINUTE)] == [wrong.id]
    due = store.due_questions("ann", now=T0 + 20 * MINUTE)
    assert [q.id for q, _ in due] == [wrong.id, right.id, later.id]
    assert store.due_questions("bob", now=T0 + DAY) == []
    assert store.due_counts("ann", now=T0 + 2 * MINUTE) == {"rlhf": 1}
    assert store.due_counts("ann", now=T0 + 20 * MINUTE) == {"rlhf": 2, "rag": 1}
    assert store.due_counts("bob", now=T0 + DAY) == {}
    assert store.next_reviews("ann") == {
        "rlhf": pytest.approx(T0 + MINUTE),
        "rag": pytest.approx(T0 + 15 * MINUTE),
    }
    _, reviews, lapses = store.card_state("ann", wrong.id)
    assert (reviews, lapses) == (1, 1)


def test_a_failure_inside_the_write_leaves_nothing(store, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("crash between grade and remember")

    monkeypatch.setattr(reviews_module, "review", broken)
    with pytest.raises(RuntimeError):
        store.record_answer(graded(question(), True, T0, key="k1"))
    assert store.events("ann") == [] and store.answered_questions("ann") == []
    monkeypatch.undo()
    assert store.record_answer(graded(question(), True, T0, key="k1")) is True  # the re-run


def test_a_store_from_the_first_schema_is_migrated_and_keeps_its_history(tmp_path) -> None:
    path = tmp_path / "learner.sqlite"
    db = sqlite3.connect(path)
    migrations.migrate(db, MIGRATIONS[:1], "the learner store")  # as the first release left it
    with db:
        db.execute("INSERT INTO learners VALUES ('ann', ?)", (T0,))
        db.execute(
            "INSERT INTO events (key, learner, topic, kind, at) VALUES (?, ?, ?, ?, ?)",
            ("before", "ann", "rlhf", "wrong", T0),
        )
    db.close()
    with LearnerStore(path) as upgraded:
        assert [(e.key, e.kind) for e in upgraded.events("ann")] == [("before", "wrong")]
        assert upgraded.record_answer(graded(question(), True, T0 + 1)) is True
        assert upgraded.summary()["schema"] == len(MIGRATIONS) == 4
