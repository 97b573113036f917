"""Quiz answers and review cards in ``learner.sqlite``: the SQL behind `LearnerStore`'s quiz
half. Each function works on the connection the store hands it, inside the store's lock or
write transaction; none opens, commits or locks anything itself."""

from __future__ import annotations

import sqlite3

from tutor.learner.records import GradedAnswer
from tutor.learner.scheduling import review
from tutor.learner.schema import add_event, add_learner
from tutor.quiz.questions import Question


def write_answer(db: sqlite3.Connection, answer: GradedAnswer) -> bool:
    """Write a graded answer, its right/wrong event and the question's rescheduled card;
    False, writing nothing more, if an answer with its key was stored before."""
    question = answer.question
    add_learner(db, answer.learner, answer.at)
    db.execute(
        "INSERT INTO questions (id, kind, topic, chunk_id, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        (
            question.id,
            question.kind,
            question.topic,
            question.chunk_id,
            question.model_dump_json(),
            answer.at,
        ),
    )
    # A question keeps the topic it was first recorded under (its card follows it): the
    # answer and its event go there too, so mastery and reviews never disagree.
    topic = db.execute("SELECT topic FROM questions WHERE id = ?", (question.id,)).fetchone()[0]
    cursor = db.execute(
        "INSERT INTO answers (key, learner, question_id, topic, given, correct, rating,"
        " at, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
        (
            answer.key,
            answer.learner,
            question.id,
            topic,
            answer.given,
            int(answer.correct),
            int(answer.rating),
            answer.at,
            answer.session,
        ),
    )
    if cursor.rowcount == 0:
        return False
    add_event(
        db,
        (
            answer.learner,
            topic,
            "right" if answer.correct else "wrong",
            answer.at,
            question.prompt,
            question.source,
            answer.session,
            answer.key,
        ),
    )
    row = db.execute(
        "SELECT card, reviews, lapses FROM cards WHERE learner = ? AND question_id = ?",
        (answer.learner, question.id),
    ).fetchone()
    card, due = review(row[0] if row else None, answer.rating, answer.at)
    reviews, lapses = (row[1], row[2]) if row else (0, 0)
    db.execute(
        "INSERT INTO cards (learner, question_id, card, due, reviews, lapses)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(learner, question_id) DO UPDATE SET"
        " card = excluded.card, due = excluded.due, reviews = excluded.reviews,"
        " lapses = excluded.lapses",
        (answer.learner, question.id, card, due, reviews + 1, lapses + (not answer.correct)),
    )
    return True


def due_questions(
    db: sqlite3.Connection, learner: str, now: float, limit: int
) -> list[tuple[Question, float]]:
    """Questions whose review is due by `now`, most overdue first, with their due time."""
    rows = db.execute(
        "SELECT q.body, c.due FROM cards c JOIN questions q ON q.id = c.question_id"
        " WHERE c.learner = ? AND c.due <= ? AND NOT EXISTS (SELECT 1 FROM retired r"
        " WHERE r.learner = c.learner AND r.question_id = c.question_id)"
        " ORDER BY c.due, q.id LIMIT ?",
        (learner, now, limit),
    ).fetchall()
    return [(Question.model_validate_json(body), due) for body, due in rows]


def due_counts(db: sqlite3.Connection, learner: str, now: float) -> dict[str, int]:
    """Per topic, how many question reviews are due by `now` (topics with none left out)."""
    rows = db.execute(
        "SELECT q.topic, COUNT(*) FROM cards c JOIN questions q ON q.id = c.question_id"
        " WHERE c.learner = ? AND c.due <= ? GROUP BY q.topic",
        (learner, now),
    ).fetchall()
    return dict(rows)


def next_reviews(db: sqlite3.Connection, learner: str) -> dict[str, float]:
    """Per topic, when its earliest question review is (or was) due."""
    rows = db.execute(
        "SELECT q.topic, MIN(c.due) FROM cards c JOIN questions q ON q.id = c.question_id"
        " WHERE c.learner = ? GROUP BY q.topic",
        (learner,),
    ).fetchall()
    return dict(rows)


def card_state(
    db: sqlite3.Connection, learner: str, question_id: str
) -> tuple[float, int, int] | None:
    """(due, reviews, lapses) of a learner's card for a question, if any."""
    return db.execute(
        "SELECT due, reviews, lapses FROM cards WHERE learner = ? AND question_id = ?",
        (learner, question_id),
    ).fetchone()


def answered_questions(db: sqlite3.Connection, learner: str) -> list[tuple[Question, int, int]]:
    """Every question the learner answered, first answered first, with how often right
    and wrong."""
    rows = db.execute(
        "SELECT q.body, SUM(a.correct), SUM(1 - a.correct) FROM answers a"
        " JOIN questions q ON q.id = a.question_id WHERE a.learner = ? AND NOT EXISTS"
        " (SELECT 1 FROM retired r WHERE r.learner = a.learner AND r.question_id = a.question_id)"
        " GROUP BY q.id ORDER BY MIN(a.at), q.id",
        (learner,),
    ).fetchall()
    return [(Question.model_validate_json(body), right, wrong) for body, right, wrong in rows]


def event_passages(db: sqlite3.Connection, learner: str) -> dict[str, str]:
    """Per event key, the passage (chunk id) of the quiz question it graded: what lets an
    answer count for the exam objectives its passage supports. Chat events have none."""
    rows = db.execute(
        "SELECT a.key, q.chunk_id FROM answers a JOIN questions q ON q.id = a.question_id"
        " WHERE a.learner = ?",
        (learner,),
    ).fetchall()
    return dict(rows)


def passage_cards(db: sqlite3.Connection, learner: str) -> list[tuple[str, str, str]]:
    """(chunk id, topic, fsrs Card JSON) of each of the learner's review cards."""
    return db.execute(
        "SELECT q.chunk_id, q.topic, c.card FROM cards c JOIN questions q ON q.id = c.question_id"
        " WHERE c.learner = ? ORDER BY q.id",
        (learner,),
    ).fetchall()


COUNTED = (
    "NOT EXISTS (SELECT 1 FROM answers a JOIN retired r ON r.learner = a.learner"
    " AND r.question_id = a.question_id WHERE a.key = events.key)"
)
"""SQL condition on `events`: not the right/wrong event of an answer to a retired question
(the answer stays stored; its grade no longer counts)."""


def retire(
    db: sqlite3.Connection,
    learner: str,
    question_id: str,
    at: float,
    reason: str | None,
    quiz: str | None,
) -> bool:
    """Retire a question for a learner: logged in `retired`, its review card dropped, its
    answers' events no longer counted (`COUNTED`). False if it was retired before."""
    add_learner(db, learner, at)
    cursor = db.execute(
        "INSERT INTO retired (learner, question_id, at, reason, quiz) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(learner, question_id) DO NOTHING",
        (learner, question_id, at, reason, quiz),
    )
    db.execute("DELETE FROM cards WHERE learner = ? AND question_id = ?", (learner, question_id))
    return cursor.rowcount == 1


def retired_ids(db: sqlite3.Connection, learner: str) -> set[str]:
    """The ids of the questions the learner retired."""
    rows = db.execute("SELECT question_id FROM retired WHERE learner = ?", (learner,))
    return {row[0] for row in rows}


def recorded_topics(db: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """The topic each of these questions was recorded under (ids never recorded left out)."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        found.update(db.execute(f"SELECT id, topic FROM questions WHERE id IN ({marks})", batch))
    return found
