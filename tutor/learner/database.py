"""``learner.sqlite`` opened for reading or writing: forward migration, refusal of a store
from a newer tutor, one lock per store and all-or-nothing write transactions.
`LearnerStore` builds what it stores on top of this."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

from tutor import storage
from tutor.errors import TutorError
from tutor.learner.schema import MIGRATIONS, SCHEMA_VERSION, STORE_NAME

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a write waits for another process's transaction before giving up."""


class LearnerDatabase:
    """The connection to one learner store file.

    `readonly=True` is for views (`tutor progress`, `tutor doctor`): it never creates the
    file; when there is none, every query answers empty. An existing store from an older
    tutor is migrated forward first, as any writer would. One store may be shared between
    threads (graph nodes run in worker threads); calls are serialised by a lock.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self.exists = path.exists()
        self._lock = threading.RLock()
        self.db: sqlite3.Connection | None = None
        try:
            if readonly and not self.exists:
                # An empty store of the current schema in memory: queries just work.
                self.db = self._connect(":memory:")
                storage.migrate(self.db, MIGRATIONS, STORE_NAME)
            elif readonly:
                self.db = self._connect(path.resolve().as_uri() + "?mode=ro", uri=True)
                version = storage.schema_version(self.db)
                if version > SCHEMA_VERSION:
                    storage.migrate(self.db, MIGRATIONS, STORE_NAME)  # refuses it
                elif version < SCHEMA_VERSION:
                    self.db.close()
                    self._open_writer(path).close()  # migrates it forward
                    self.db = self._connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            else:
                self.db = self._open_writer(path)
                self.exists = True
            self.db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as error:
            self.close()
            raise TutorError(
                f"cannot open the learner store {path}: {storage.storage_problem(error)}"
            ) from None
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
        # The timeout is SQLite's busy timeout: a second writer waits instead of failing
        # with "database is locked".
        return sqlite3.connect(
            target, uri=uri, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )

    @classmethod
    def _open_writer(cls, path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = cls._connect(str(path))
        try:
            if storage.schema_version(db) > SCHEMA_VERSION:
                storage.migrate(db, MIGRATIONS, STORE_NAME)  # refuses it before WAL is set
            db.execute("PRAGMA journal_mode=WAL")
            storage.migrate(db, MIGRATIONS, STORE_NAME)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise TutorError("the learner store is closed")
        return self.db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, all or nothing. IMMEDIATE takes the write lock up front,
        so a concurrent writer is waited for (busy timeout) rather than failing midway.
        A write the disk or the data dir refuses (full, read-only, I/O error) is rolled
        back and raised as a one-line TutorError."""
        if self.readonly:
            raise TutorError("the learner store was opened read-only")
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    with suppress(sqlite3.Error):  # SQLite may have rolled back already
                        db.rollback()
                    raise
                db.commit()
            except sqlite3.OperationalError as error:
                with suppress(sqlite3.Error):  # a failed COMMIT leaves the transaction open
                    db.rollback()
                raise TutorError(
                    f"cannot save to the learner store {self.path}: "
                    f"{storage.storage_problem(error)}"
                ) from None

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()
