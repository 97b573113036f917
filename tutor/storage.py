"""Forward-only schema migrations shared by the tutor's SQLite stores.

A store lists its migrations as plain functions, oldest first; its schema version is how
many of them have run, kept in ``PRAGMA user_version`` and, by name, in a ``migrations``
table. Adding a migration is appending a function to the list. A database whose version is
higher than the list is long was written by a newer tutor and is refused untouched.
`storage_problem` words the errors of the data dir's files (a full disk, a read-only data
dir) for the learner.
"""

from __future__ import annotations

import errno
import re
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


_STORAGE_HINTS = {
    3: "the data dir's permissions do not allow it: make it writable, or set TUTOR_DATA_DIR",
    8: "the data dir is read-only: make it writable, or set TUTOR_DATA_DIR",
    10: "the disk may be full or failing: free some space, then try again",
    13: "the disk is full: free some space, then try again",
    14: "the data dir may be read-only or gone: check it, or set TUTOR_DATA_DIR",
}
"""Hints by SQLite's primary result code: PERM, READONLY, IOERR, FULL, CANTOPEN."""

# An OS error as the SQLite result code that means the same to the learner. A file-size
# limit (EFBIG) is what SQLite reports as an I/O error too.
_ERRNO_CODES = {
    errno.EACCES: 3,
    errno.EPERM: 3,
    errno.EROFS: 8,
    errno.EIO: 10,
    errno.EFBIG: 10,
    errno.ENOSPC: 13,
    errno.EDQUOT: 13,
    errno.ENOENT: 14,
}
# How Chroma passes on its SQLite's errors: "error returned from database: (code: 8) ...".
_CODE_IN_TEXT = re.compile(r"\(code: (\d+)\)\s*")


def storage_hint(error: BaseException) -> str | None:
    """What to do about an error when it is the disk or the data dir's permissions (some
    full disks surface as "disk I/O error", e.g. a file-size limit); None otherwise.
    Understands SQLite's errors, OS errors and the SQLite errors Chroma raises as text."""
    if isinstance(error, OSError):
        code = _ERRNO_CODES.get(error.errno or 0, 0)
    elif isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None) or 0
    else:
        found = _CODE_IN_TEXT.search(str(error))
        code = int(found[1]) if found else 0
    return _STORAGE_HINTS.get(code & 0xFF)


def storage_problem(error: BaseException) -> str:
    """An error reading or writing one of the tutor's files, on one line, with the
    `storage_hint` when there is one. The caller names the file."""
    if isinstance(error, OSError) and error.strerror:
        detail = error.strerror  # without the file name, which the caller gives
    else:
        text = " ".join(str(error).split())
        found = _CODE_IN_TEXT.search(text)
        detail = text[found.end() :] if found else text
    detail = detail or type(error).__name__
    hint = storage_hint(error)
    return f"{detail} ({hint})" if hint else detail


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
