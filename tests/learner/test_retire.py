"""One topic per question, and questions the learner retired ("bad question"): their answers
stay stored but stop counting, their cards go, and they are never due again."""

from __future__ import annotations

import sqlite3

from tests.learner.quiz_answers import T0, graded, question
from tutor import storage
from tutor.learner.mastery import estimate
from tutor.learner.schema import MIGRATIONS, STORE_NAME
from tutor.learner.store import LearnerStore


def topics_of(store: LearnerStore, table: str) -> list[str]:
    return [row[0] for row in store._query(f"SELECT topic FROM {table} ORDER BY rowid")]


def test_a_question_keeps_the_topic_it_was_first_recorded_under(store) -> None:
    first = question(1, "rlhf")
    store.record_answer(graded(first, False, T0, key="q1"))
    # The same question (same id) later asked under another topic: its answer, its event
    # and its card stay together under the recorded topic.
    again = first.model_copy(update={"topic": "prompt-engineering"})
    assert again.id == first.id
    store.record_answer(graded(again, True, T0 + 60, key="q2"))
    assert topics_of(store, "answers") == ["rlhf", "rlhf"]
    assert [e.topic for e in store.events("ann")] == ["rlhf", "rlhf"]
    assert set(store.next_reviews("ann")) == {"rlhf"}
    assert store.recorded_topics([first.id, "unknown"]) == {first.id: "rlhf"}


def test_a_retired_question_stops_counting_and_is_never_due(store) -> None:
    bad, good = question(1), question(2)
    store.record_answer(graded(bad, False, T0, key="a1"))
    store.record_answer(graded(good, True, T0, key="a2"))
    assert len(store.due_questions("ann", now=T0 + 10 * 86_400)) == 2
    assert store.retire("ann", bad.id, reason="two answers fit", quiz="quiz-1", at=T0 + 5)
    assert store.retire("ann", bad.id, reason="again") is False  # logged once
    # The answer is kept; its wrong event no longer counts towards mastery.
    assert store._query("SELECT count(*) FROM answers")[0][0] == 2
    events = store.events("ann")
    assert [(e.key, e.kind) for e in events] == [("a2", "right")]
    assert estimate(events, T0).correct == 1 and estimate(events, T0).attempts == 1
    # Its card is gone: never due, not in the export, not in the due counts.
    due = store.due_questions("ann", now=T0 + 10 * 86_400)
    assert [q.id for q, _ in due] == [good.id]
    assert store.card_state("ann", bad.id) is None
    assert [q.id for q, _, _ in store.answered_questions("ann")] == [good.id]
    assert store.retired_ids("ann") == {bad.id} and store.retired_ids("bob") == set()
    row = store._query("SELECT learner, question_id, at, reason, quiz FROM retired")
    assert row == [("ann", bad.id, T0 + 5, "two answers fit", "quiz-1")]
    assert store.summary()["retired"] == 1


def test_retiring_an_unanswered_question_is_logged_too(store) -> None:
    assert store.retire("ann", "never-answered", quiz="quiz-2") is True
    assert store.retired_ids("ann") == {"never-answered"} and store.events("ann") == []


def test_schema_3_makes_answers_events_and_cards_agree(tmp_path) -> None:
    """A store from before: one question's answers and events under another topic than its
    recorded one (where its card is counted). The migration moves them to the question's."""
    path = tmp_path / "learner.sqlite"
    db = sqlite3.connect(path)
    storage.migrate(db, MIGRATIONS[:2], STORE_NAME)
    db.close()
    q = question(1, "rlhf")
    with LearnerStore(path) as store:  # written at schema 4, then rewound below
        store.record_answer(graded(q, False, T0, key="k1"))
        store.record_answer(graded(question(2, "mlflow"), True, T0, key="k2"))
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE answers SET topic = 'lakehouse' WHERE key = 'k1'")
        db.execute("UPDATE events SET topic = 'lakehouse' WHERE key = 'k1'")
        body = q.model_copy(update={"topic": "lakehouse"}).model_dump_json()
        db.execute("UPDATE questions SET body = ? WHERE id = ?", (body, q.id))
        db.execute("DROP TABLE retired")
        db.execute("DELETE FROM migrations WHERE name LIKE '_m003%' OR name LIKE '_m004%'")
        db.execute("PRAGMA user_version = 2")
    db.close()
    with LearnerStore(path) as store:
        assert store.summary()["schema"] == 4
        assert topics_of(store, "answers") == ["rlhf", "mlflow"]
        assert {(e.key, e.topic) for e in store.events("ann")} == {("k1", "rlhf"), ("k2", "mlflow")}
        assert [q.topic for q, _ in store.due_questions("ann", now=T0 + 86_400 * 30)] == [
            "rlhf",
            "mlflow",
        ]
        assert set(store.next_reviews("ann")) == {"rlhf", "mlflow"}
