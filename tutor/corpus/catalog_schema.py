"""The catalog's schema: forward-only steps, the version being how many have run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tutor import storage


def _m001_index(db: sqlite3.Connection) -> None:
    storage.run_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE files (
            path TEXT PRIMARY KEY,          -- absolute, resolved
            source TEXT NOT NULL,           -- as cited to the learner
            root TEXT NOT NULL,             -- the indexed folder (or file) it was found under
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            indexed_at REAL NOT NULL
        );
        CREATE TABLE chunks (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL REFERENCES files(path) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            source TEXT NOT NULL,
            heading TEXT NOT NULL,          -- the whole heading path, for citations
            section TEXT NOT NULL,          -- the innermost heading, for the lexical index
            text TEXT NOT NULL,
            span_start INTEGER NOT NULL,
            span_end INTEGER NOT NULL,
            span_unit TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            topics TEXT                     -- JSON list; NULL until embedded and tagged
        );
        CREATE INDEX chunks_path ON chunks(path);
        CREATE INDEX chunks_pending ON chunks(id) WHERE topics IS NULL;
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            section, text, content='chunks', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        -- Triggers keep the lexical index in step with the chunks in every transaction.
        -- Only the innermost heading is indexed: the outer ones (a document title) would
        -- make every chunk match the title's words.
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, section, text) VALUES (new.rowid, new.section, new.text);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, section, text)
            VALUES ('delete', old.rowid, old.section, old.text);
        END;
        CREATE TRIGGER chunks_au AFTER UPDATE OF section, text ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, section, text)
            VALUES ('delete', old.rowid, old.section, old.text);
            INSERT INTO chunks_fts(rowid, section, text) VALUES (new.rowid, new.section, new.text);
        END;
        """,
    )


def _m002_objectives(db: sqlite3.Connection) -> None:
    # The exam objectives a chunk supports (JSON list), written with its topics; existing
    # chunks get theirs when the index next maps them (the mapping digest differs).
    db.execute("ALTER TABLE chunks ADD COLUMN objectives TEXT")


def _m003_sentence_vectors(db: sqlite3.Connection) -> None:
    # The vectors of a chunk's sentences (`sentences.reading_texts`, in order), so that
    # ranking and answers by sentence embed nothing at query time; existing chunks get
    # theirs at the next index run, and are ranked with vectors made on demand till then.
    db.execute("ALTER TABLE chunks ADD COLUMN sentence_vectors BLOB")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_index,
    _m002_objectives,
    _m003_sentence_vectors,
]
"""Forward-only schema steps; the schema version is how many have run."""
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date; refuse a database written by a newer tutor."""
    storage.migrate(db, MIGRATIONS, "the catalog")
