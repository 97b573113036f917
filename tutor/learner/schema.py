"""The tables of ``learner.sqlite``: its migrations, and the rows every writer shares.

The migrations are forward-only steps run by `tutor.storage`; their function names are
recorded in the store, so a step is never renamed, only appended.
"""

from __future__ import annotations

import sqlite3

from tutor import storage

STORE_NAME = "the learner store"


def _m001_learner(db: sqlite3.Connection) -> None:
    storage.run_script(
        db,
        """
        CREATE TABLE learners (
            name TEXT PRIMARY KEY,
            created_at REAL NOT NULL
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,           -- idempotency key: one event per key
            learner TEXT NOT NULL REFERENCES learners(name),
            topic TEXT NOT NULL,                -- a topic id from topics.toml
            kind TEXT NOT NULL CHECK (kind IN ('asked', 'right', 'wrong')),
            at REAL NOT NULL,                   -- Unix time, seconds
            question TEXT,                      -- what was asked or checked
            source TEXT,                        -- e.g. the citation or grader behind it
            session TEXT                        -- the conversation it happened in
        );
        CREATE INDEX events_learner_topic ON events(learner, topic);
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            learner TEXT NOT NULL REFERENCES learners(name),
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            turns INTEGER NOT NULL,
            mode TEXT NOT NULL
        );
        CREATE INDEX sessions_updated ON sessions(updated_at);
        """,
    )


def _m002_reviews(db: sqlite3.Connection) -> None:
    """Quiz questions, each learner's FSRS card per question, and every graded answer."""
    storage.run_script(
        db,
        """
        CREATE TABLE questions (
            id TEXT PRIMARY KEY,                -- Question.id: stable for the same question
            kind TEXT NOT NULL,
            topic TEXT NOT NULL,
            chunk_id TEXT NOT NULL,
            body TEXT NOT NULL,                 -- the Question as JSON
            created_at REAL NOT NULL
        );
        CREATE TABLE cards (
            learner TEXT NOT NULL REFERENCES learners(name),
            question_id TEXT NOT NULL REFERENCES questions(id),
            card TEXT NOT NULL,                 -- the fsrs Card as JSON
            due REAL NOT NULL,
            reviews INTEGER NOT NULL,
            lapses INTEGER NOT NULL,
            PRIMARY KEY (learner, question_id)
        );
        CREATE INDEX cards_due ON cards(learner, due);
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,           -- idempotency key: one answer per key
            learner TEXT NOT NULL REFERENCES learners(name),
            question_id TEXT NOT NULL REFERENCES questions(id),
            topic TEXT NOT NULL,
            given TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            rating INTEGER NOT NULL,            -- the FSRS rating it was scheduled with
            at REAL NOT NULL,
            session TEXT
        );
        CREATE INDEX answers_learner ON answers(learner, at);
        """,
    )


def _m003_question_topics(db: sqlite3.Connection) -> None:
    """One topic per question: the one recorded with it in `questions`. The same question
    asked under two topics left its answers and their right/wrong events under one topic and
    its review card (which follows `questions.topic`) under another; both now follow the
    question's recorded topic, and its JSON body says the same."""
    storage.run_script(
        db,
        """
        UPDATE questions SET body = json_set(body, '$.topic', topic)
        WHERE json_valid(body) AND json_extract(body, '$.topic') IS NOT topic;
        UPDATE events SET topic = (
            SELECT q.topic FROM answers a JOIN questions q ON q.id = a.question_id
            WHERE a.key = events.key
        )
        WHERE key IN (SELECT key FROM answers) AND topic IS NOT (
            SELECT q.topic FROM answers a JOIN questions q ON q.id = a.question_id
            WHERE a.key = events.key
        );
        UPDATE answers
        SET topic = (SELECT q.topic FROM questions q WHERE q.id = answers.question_id)
        WHERE topic IS NOT (SELECT q.topic FROM questions q WHERE q.id = answers.question_id);
        """,
    )


def _m004_retired(db: sqlite3.Connection) -> None:
    """Questions a learner flagged as bad: never asked to them again, their answers kept
    but no longer counted."""
    storage.run_script(
        db,
        """
        CREATE TABLE retired (
            learner TEXT NOT NULL REFERENCES learners(name),
            question_id TEXT NOT NULL,          -- Question.id
            at REAL NOT NULL,
            reason TEXT,                        -- the learner's why, if they gave one
            quiz TEXT,                          -- the quiz it was flagged in
            PRIMARY KEY (learner, question_id)
        );
        """,
    )


MIGRATIONS: list[storage.Migration] = [
    _m001_learner,
    _m002_reviews,
    _m003_question_topics,
    _m004_retired,
]
"""Forward-only schema steps; append to add one (see `tutor.storage`)."""
SCHEMA_VERSION = len(MIGRATIONS)

EVENT_COLUMNS = "learner, topic, kind, at, question, source, session, key"
"""The `events` columns in `LearnerEvent`'s field order."""
SESSION_COLUMNS = "id, learner, title, created_at, updated_at, turns, mode"
"""The `sessions` columns in `SessionInfo`'s field order."""


def add_learner(db: sqlite3.Connection, name: str, at: float) -> None:
    """Make sure `name` is in `learners` (every event, session and answer refers to it)."""
    db.execute(
        "INSERT INTO learners (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
        (name, at),
    )


def add_event(db: sqlite3.Connection, row: tuple[object, ...]) -> int:
    """Insert one event, `row` in `EVENT_COLUMNS` order; 0 if its key was stored before
    (the first write wins). ON CONFLICT(key) rather than INSERT OR IGNORE: OR IGNORE
    would also silently drop rows that break the kind CHECK or a NOT NULL."""
    cursor = db.execute(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(key) DO NOTHING",
        row,
    )
    return cursor.rowcount
