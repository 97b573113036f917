"""Forward-only schema migrations shared by the tutor's SQLite stores.

A store lists its migrations as plain functions, oldest first; its schema version is how
many of them have run, kept in ``PRAGMA user_version`` and, by name, in a ``migrations``
table. Adding a migration is appending a function to the list. A database whose version is
higher than the list is long was written by a newer tutor and is refused untouched.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

from tutor.errors import StoreVersionError

Migration = Callable[[sqlite3.Connection], None]


def schema_version(db: sqlite3.Connection) -> int:
    """The number of migrations this database has been through."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration], store: str) -> None:
    """Run the migrations this database has not had yet; refuse one from a newer tutor.

    `store` names the database for the learner (e.g. "the catalog"). Each step runs in its
    own ``BEGIN IMMEDIATE`` transaction that re-reads the version first, so two processes
    opening a fresh store at once do not both run a step. Steps should issue statements
    with ``db.execute`` or `run_script` to stay inside that transaction; ``executescript``
    commits it first (the step still runs, but not atomically).
    """
    version = schema_version(db)
    latest = len(migrations)
    if version > latest:
        raise StoreVersionError(
            f"the data dir was written by a newer tutor ({store} has schema {version}, this "
            f"one knows {latest}); upgrade the tutor or point TUTOR_DATA_DIR elsewhere"
        )
    for number, step in enumerate(migrations, start=1):
        if number <= version:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have run this step while we waited for the write lock.
            if schema_version(db) < number:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)"
                )
                step(db)
                db.execute("INSERT INTO migrations VALUES (?, ?)", (step.__name__, time.time()))
                db.execute(f"PRAGMA user_version = {number}")
            db.commit()
        except BaseException:
            db.rollback()
            raise


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Execute several SQL statements inside the current transaction.

    Unlike ``executescript`` it does not commit first, so a migration that fails halfway
    leaves nothing behind. Statements are split where SQLite itself says one is complete,
    so semicolons inside trigger bodies, strings and comments are handled.
    """
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\r\n;"):
                db.execute(statement)
            statement = ""
    if statement.strip(" \t\r\n;"):
        db.execute(statement)  # let SQLite report the incomplete tail
