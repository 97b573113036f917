"""The learner memory: what each learner asked and answered, per topic, and their sessions.

Stored in ``learner.sqlite`` in the data dir, separate from the index so that rebuilding the
index never touches a learner's history. Only deterministic code writes here (the memory
node's rules, the graders): events are facts with a kind from a closed set, never text
parsed out of a model's answer. Mastery is not stored; it is computed from the events on
demand (`tutor.learner.mastery`), so a change to the model applies to the whole history at once.

Every event carries an idempotency key: recording the same key twice stores it once, so a
turn re-run after a crash never counts twice.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsrs import Rating

from tutor import storage
from tutor.corpus.topics import Topic
from tutor.errors import TutorError
from tutor.learner.mastery import KINDS, Kind, Mastery, estimate, weakness_reason
from tutor.learner.scheduling import review
from tutor.quiz.questions import Question

if TYPE_CHECKING:
    from tutor.config import Settings

STORE_NAME = "the learner store"
TITLE_LENGTH = 60
"""Session titles (the first question) are cut to about this many characters."""
BUSY_TIMEOUT_SECONDS = 30.0


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


MIGRATIONS: list[storage.Migration] = [_m001_learner, _m002_reviews]
"""Forward-only schema steps; append to add one (see `tutor.storage`)."""
SCHEMA_VERSION = len(MIGRATIONS)


def iso_utc(at: float | None) -> str | None:
    """A Unix time as ISO 8601 UTC to the second (``2025-01-31T09:30:00Z``), or None."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_key(*parts: object) -> str:
    """A stable idempotency key from what identifies an event, e.g. (session, turn, topic,
    kind): the same parts always give the same key."""
    joined = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def turn_prefix(session: str, turn: int) -> str:
    """How the keys of a chat turn's events start: session and turn number."""
    return f"{session}:{turn}:"


def session_title(text: str) -> str:
    """The first question, on one line, cut at a word to about `TITLE_LENGTH` characters."""
    title = " ".join(text.split())
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1]
    if " " in cut[TITLE_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass(frozen=True)
class LearnerEvent:
    """One fact about a learner and a topic: asked about it, or answered a check on it.

    `key` makes recording idempotent; leave it None only for events that can never be
    recorded twice (a fresh random key is used).
    """

    learner: str
    topic: str
    kind: Kind
    at: float
    question: str | None = None
    source: str | None = None
    session: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        # Fail where the event is made, not deep inside a transaction.
        if self.kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.learner or not self.topic:
            raise ValueError("an event needs a learner and a topic")
        if not math.isfinite(self.at):
            raise ValueError(f"event time must be a finite Unix time, not {self.at!r}")


@dataclass(frozen=True)
class GradedAnswer:
    """A learner's graded answer to a quiz question, as the quiz's memory step records it."""

    learner: str
    question: Question
    given: str
    correct: bool
    rating: Rating
    """The FSRS rating (see `tutor.learner.scheduling.rating_for`)."""
    at: float
    key: str
    """Idempotency key, e.g. quiz session + question id."""
    session: str | None = None


@dataclass(frozen=True)
class TopicProgress:
    """One row of the progress view: a topic, its mastery estimate and why."""

    topic: str
    title: str
    mastery: Mastery
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form promised to scripts (`tutor progress --json`)."""
        return {
            "topic": self.topic,
            "title": self.title,
            "mastery": round(self.mastery.mastery, 3),
            "attempts": self.mastery.attempts,
            "correct": self.mastery.correct,
            "last_seen": iso_utc(self.mastery.last_seen),
        }


@dataclass(frozen=True)
class SessionInfo:
    """A conversation as listed by `tutor sessions`."""

    id: str
    learner: str
    title: str
    created_at: float
    updated_at: float
    turns: int
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "learner": self.learner,
            "title": self.title,
            "created_at": iso_utc(self.created_at),
            "updated_at": iso_utc(self.updated_at),
            "turns": self.turns,
            "mode": self.mode,
        }


def weakness_order(progress: TopicProgress) -> tuple[float, float, str]:
    """Sort key, weakest first: lowest mastery; then, at equal mastery, at or below 0.5 the
    topic with more evidence (known to be shaky beats never touched), above 0.5 the one
    with less (less surely learnt); then the topic id, so the order is deterministic."""
    m = progress.mastery
    # Rounding keeps float noise from splitting ties that are equal on paper.
    mastery = round(m.mastery, 9)
    evidence = round(m.evidence, 9)
    return (mastery, -evidence if mastery <= 0.5 else evidence, progress.topic)


_EVENT_COLUMNS = "learner, topic, kind, at, question, source, session, key"
_SESSION_COLUMNS = "id, learner, title, created_at, updated_at, turns, mode"


@dataclass
class HeldTurns:
    """Chat turns recorded inside `hold_turns`, not written yet."""

    turns: list[tuple[LearnerStore, str, int, Callable[[], SessionInfo]]] = field(
        default_factory=list
    )

    def write(self) -> None:
        for _, _, _, write in self.turns:
            write()

    def undo(self) -> None:
        """Take back what `write` stored (see `LearnerStore.forget_turn`)."""
        for store, session, turn, _ in reversed(self.turns):
            store.forget_turn(session, turn)


_HELD_TURNS: ContextVar[HeldTurns | None] = ContextVar("held_turns", default=None)


@contextmanager
def hold_turns() -> Iterator[HeldTurns]:
    """Keep the turns `record_turn` is given inside this block in memory instead of
    writing them, for the caller to `write` once it is ready to save the rest of the turn
    (its conversation). This covers the threads LangGraph runs nodes in: they get a copy
    of this context."""
    held = HeldTurns()
    token = _HELD_TURNS.set(held)
    try:
        yield held
    finally:
        _HELD_TURNS.reset(token)


class LearnerStore:
    """The learner memory in one SQLite file.

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

    @classmethod
    def open(cls, settings: Settings, *, readonly: bool = False) -> LearnerStore:
        """The store in the settings' data dir (``learner.sqlite``)."""
        return cls(settings.learner_path, readonly=readonly)

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

    def __enter__(self) -> LearnerStore:
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

    # --- events ------------------------------------------------------------------------

    def record(self, event: LearnerEvent) -> bool:
        """Store one event; False if an event with its key was already stored."""
        return self.record_many([event]) == 1

    def record_many(self, events: Iterable[LearnerEvent]) -> int:
        """Store several events in one transaction (all or nothing); returns how many were
        new. An event whose key is already stored is skipped: the first write wins."""
        events = list(events)
        stored = 0
        with self._writing() as db:
            now = time.time()
            for event in events:
                key = event.key if event.key is not None else uuid.uuid4().hex
                db.execute(
                    "INSERT INTO learners (name, created_at) VALUES (?, ?)"
                    " ON CONFLICT(name) DO NOTHING",
                    (event.learner, now),
                )
                # ON CONFLICT(key) rather than INSERT OR IGNORE: OR IGNORE would also
                # silently drop rows that break the kind CHECK or a NOT NULL.
                cursor = db.execute(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(key) DO NOTHING",
                    (
                        event.learner,
                        event.topic,
                        event.kind,
                        event.at,
                        event.question,
                        event.source,
                        event.session,
                        key,
                    ),
                )
                stored += cursor.rowcount
        return stored

    def events(self, learner: str, topic: str | None = None) -> list[LearnerEvent]:
        """A learner's events, oldest first, optionally for one topic only."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE learner = ?"
        params: list[object] = [learner]
        if topic is not None:
            sql += " AND topic = ?"
            params.append(topic)
        rows = self._query(sql + " ORDER BY at, id", params)
        return [LearnerEvent(*row) for row in rows]

    def learners(self) -> list[str]:
        """Everyone with anything recorded, by name."""
        return [row[0] for row in self._query("SELECT name FROM learners ORDER BY name")]

    # --- mastery -----------------------------------------------------------------------

    def progress(
        self, learner: str, topics: Iterable[Topic], now: float | None = None
    ) -> list[TopicProgress]:
        """One row per topic of the map, in map order, studied or not, as of `now`.

        Events for topic ids the map no longer has are ignored (kept on disk, though, so
        they count again if the topic comes back).
        """
        now = time.time() if now is None else now
        by_topic: dict[str, list[LearnerEvent]] = defaultdict(list)
        for event in self.events(learner):
            by_topic[event.topic].append(event)
        rows = []
        for topic in topics:
            mastery = estimate(by_topic.get(topic.id, ()), now)
            rows.append(
                TopicProgress(topic.id, topic.title, mastery, weakness_reason(mastery, now))
            )
        return rows

    def weak_topics(
        self, learner: str, topics: Iterable[Topic], n: int, now: float | None = None
    ) -> list[TopicProgress]:
        """The `n` weakest topics, weakest first (see `weakness_order`). Never-studied
        topics take part at mastery 0.5, so a new learner is steered to them too."""
        if n <= 0:
            return []
        return sorted(self.progress(learner, topics, now), key=weakness_order)[:n]

    # --- sessions ----------------------------------------------------------------------

    def touch_session(
        self,
        id: str,
        learner: str,
        title: str,
        mode: str,
        at: float | None = None,
    ) -> SessionInfo:
        """Count one turn of a conversation. The first touch creates the session, titled
        by `title` (the first question, shortened); later ones bump its turns, time and
        mode and keep the title."""
        at = time.time() if at is None else at
        with self._writing() as db:
            db.execute(
                "INSERT INTO learners (name, created_at) VALUES (?, ?)"
                " ON CONFLICT(name) DO NOTHING",
                (learner, at),
            )
            db.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT(id) DO UPDATE SET"
                " updated_at = max(updated_at, excluded.updated_at),"
                " turns = turns + 1, mode = excluded.mode,"
                " title = CASE WHEN title = '' THEN excluded.title ELSE title END",
                (id, learner, session_title(title), at, at, mode),
            )
            row = db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (id,)
            ).fetchone()
        return SessionInfo(*row)

    def record_turn(
        self,
        session: str,
        turn: int,
        events: Iterable[LearnerEvent],
        *,
        learner: str,
        title: str,
        mode: str,
        at: float | None = None,
    ) -> SessionInfo | None:
        """Record one chat turn, numbered `turn`: its events and the session's turn count,
        in one transaction. Event keys must start with `turn_prefix(session, turn)`.

        The conversation is saved after this write, so a crash in between leaves this turn
        recorded but not in the conversation, and the next turn there gets the same number.
        Recording a number again therefore replaces what the earlier attempt recorded: no
        event of a turn the learner never saw, no verdict on a reply they did not give, no
        turn counted twice. An event recorded again unchanged keeps its first time, so a
        turn re-run from the same state changes nothing. The turn count is the turn number,
        not a +1.

        Inside `hold_turns` the turn is only kept, to be written later, and None is
        returned.
        """
        at = time.time() if at is None else at
        prefix = turn_prefix(session, turn)
        events = list(events)
        for event in events:
            if event.key is None or not event.key.startswith(prefix):
                raise ValueError(f"a turn's event keys start with {prefix!r}, not {event.key!r}")
        write = functools.partial(self._write_turn, session, turn, events, learner, title, mode, at)
        held = _HELD_TURNS.get()
        if held is not None:
            held.turns.append((self, session, turn, write))
            return None
        return write()

    def _write_turn(
        self,
        session: str,
        turn: int,
        events: list[LearnerEvent],
        learner: str,
        title: str,
        mode: str,
        at: float,
    ) -> SessionInfo:
        prefix = turn_prefix(session, turn)
        with self._writing() as db:
            db.execute(
                "INSERT INTO learners (name, created_at) VALUES (?, ?)"
                " ON CONFLICT(name) DO NOTHING",
                (learner, at),
            )
            # The earlier attempt's events this one does not have. substr rather than LIKE:
            # ids may contain % or _.
            keys = [e.key for e in events]
            db.execute(
                "DELETE FROM events WHERE session = ? AND substr(key, 1, ?) = ?"
                f" AND key NOT IN ({', '.join('?' * len(keys))})",
                (session, len(prefix), prefix, *keys),
            )
            db.executemany(
                f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET topic = excluded.topic, kind = excluded.kind,"
                " at = excluded.at, question = excluded.question, source = excluded.source"
                " WHERE topic IS NOT excluded.topic OR kind IS NOT excluded.kind"
                " OR question IS NOT excluded.question OR source IS NOT excluded.source",
                [
                    (e.learner, e.topic, e.kind, e.at, e.question, e.source, e.session, e.key)
                    for e in events
                ],
            )
            db.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET"
                " updated_at = max(updated_at, excluded.updated_at),"
                " turns = max(turns, excluded.turns), mode = excluded.mode,"
                # turn 1 again: its first attempt never reached the conversation
                " title = CASE WHEN title = '' OR excluded.turns = 1 THEN excluded.title"
                " ELSE title END",
                (session, learner, session_title(title), at, at, turn, mode),
            )
            row = db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session,)
            ).fetchone()
        return SessionInfo(*row)

    def forget_turn(self, session: str, turn: int) -> None:
        """Take back what `record_turn` stored for this turn, when its conversation could
        not be saved: its events go, and the session's turn count goes back (a first turn
        takes its session with it). The session's last-active time stays."""
        prefix = turn_prefix(session, turn)
        with self._writing() as db:
            db.execute(
                "DELETE FROM events WHERE session = ? AND substr(key, 1, ?) = ?",
                (session, len(prefix), prefix),
            )
            if turn == 1:
                db.execute("DELETE FROM sessions WHERE id = ? AND turns <= 1", (session,))
            else:
                db.execute(
                    "UPDATE sessions SET turns = ? WHERE id = ? AND turns = ?",
                    (turn - 1, session, turn),
                )

    def sessions(self, learner: str | None = None, limit: int | None = 20) -> list[SessionInfo]:
        """Conversations, most recently active first; all learners' when `learner` is None."""
        sql = f"SELECT {_SESSION_COLUMNS} FROM sessions"
        params: list[object] = []
        if learner is not None:
            sql += " WHERE learner = ?"
            params.append(learner)
        sql += " ORDER BY updated_at DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [SessionInfo(*row) for row in self._query(sql, params)]

    def find_session(self, prefix: str, learner: str | None = None) -> SessionInfo | None:
        """The session whose id is `prefix` or starts with it; None if there is none.

        An exact id always wins; a prefix shared by several sessions is a TutorError that
        names them, so the learner can type more of the id.
        """
        prefix = prefix.strip()
        if not prefix:
            return None
        where = " AND learner = ?" if learner is not None else ""
        extra = [learner] if learner is not None else []
        exact = self._query(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?{where}", [prefix, *extra]
        )
        if exact:
            return SessionInfo(*exact[0])
        # substr rather than LIKE: ids may contain % or _.
        rows = self._query(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE substr(id, 1, ?) = ?{where}"
            " ORDER BY updated_at DESC, id LIMIT 6",
            [len(prefix), prefix, *extra],
        )
        if len(rows) > 1:
            names = ", ".join(row[0] for row in rows[:5]) + (" and more" if len(rows) > 5 else "")
            raise TutorError(f"session '{prefix}' is ambiguous: it matches {names}")
        return SessionInfo(*rows[0]) if rows else None

    # --- quiz answers and reviews -------------------------------------------------------

    def record_answer(self, answer: GradedAnswer) -> bool:
        """Store a graded quiz answer, its right/wrong event and the question's next review,
        all in one transaction. False (and nothing changed) if its key was stored before:
        an answer is never counted twice, and a crash before the commit loses nothing that
        a re-run will not write."""
        question = answer.question
        with self._writing() as db:
            db.execute(
                "INSERT INTO learners (name, created_at) VALUES (?, ?)"
                " ON CONFLICT(name) DO NOTHING",
                (answer.learner, answer.at),
            )
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
            cursor = db.execute(
                "INSERT INTO answers (key, learner, question_id, topic, given, correct, rating,"
                " at, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (
                    answer.key,
                    answer.learner,
                    question.id,
                    question.topic,
                    answer.given,
                    int(answer.correct),
                    int(answer.rating),
                    answer.at,
                    answer.session,
                ),
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO NOTHING",
                (
                    answer.learner,
                    question.topic,
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
                (
                    answer.learner,
                    question.id,
                    card,
                    due,
                    reviews + 1,
                    lapses + (not answer.correct),
                ),
            )
        return True

    def due_questions(
        self, learner: str, now: float | None = None, limit: int = 50
    ) -> list[tuple[Question, float]]:
        """Questions whose review is due, most overdue first, with their due time."""
        now = time.time() if now is None else now
        rows = self._query(
            "SELECT q.body, c.due FROM cards c JOIN questions q ON q.id = c.question_id"
            " WHERE c.learner = ? AND c.due <= ? ORDER BY c.due, q.id LIMIT ?",
            (learner, now, limit),
        )
        return [(Question.model_validate_json(body), due) for body, due in rows]

    def due_counts(self, learner: str, now: float | None = None) -> dict[str, int]:
        """Per topic, how many question reviews are due by `now` (topics with none left out)."""
        now = time.time() if now is None else now
        rows = self._query(
            "SELECT q.topic, COUNT(*) FROM cards c JOIN questions q ON q.id = c.question_id"
            " WHERE c.learner = ? AND c.due <= ? GROUP BY q.topic",
            (learner, now),
        )
        return dict(rows)

    def next_reviews(self, learner: str) -> dict[str, float]:
        """Per topic, when its earliest question review is due."""
        rows = self._query(
            "SELECT q.topic, MIN(c.due) FROM cards c JOIN questions q ON q.id = c.question_id"
            " WHERE c.learner = ? GROUP BY q.topic",
            (learner,),
        )
        return dict(rows)

    def card_state(self, learner: str, question_id: str) -> tuple[float, int, int] | None:
        """(due, reviews, lapses) of a learner's card for a question, if any."""
        rows = self._query(
            "SELECT due, reviews, lapses FROM cards WHERE learner = ? AND question_id = ?",
            (learner, question_id),
        )
        return rows[0] if rows else None

    def answered_questions(self, learner: str) -> list[tuple[Question, int, int]]:
        """Every question the learner answered, with how often right and wrong."""
        rows = self._query(
            "SELECT q.body, SUM(a.correct), SUM(1 - a.correct) FROM answers a"
            " JOIN questions q ON q.id = a.question_id WHERE a.learner = ?"
            " GROUP BY q.id ORDER BY MIN(a.at), q.id",
            (learner,),
        )
        return [(Question.model_validate_json(body), right, wrong) for body, right, wrong in rows]

    # --- health ------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Counts for `tutor doctor`. `schema` is None when the store does not exist yet."""

        def count(table: str) -> int:
            return self._query(f"SELECT count(*) FROM {table}")[0][0]

        with self._lock:
            return {
                "path": str(self.path),
                "exists": self.exists,
                "schema": storage.schema_version(self._db) if self.exists else None,
                "learners": count("learners"),
                "events": count("events"),
                "sessions": count("sessions"),
                "answers": count("answers"),
            }
