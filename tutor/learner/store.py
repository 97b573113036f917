"""The learner memory: what each learner asked and answered, per topic, and their sessions.

Stored in ``learner.sqlite`` in the data dir (tables: `tutor.learner.schema`), separate from
the index so that rebuilding the index never touches a learner's history. Only
deterministic code writes here (the memory node's rules, the graders): events are facts
with a kind from a closed set, never text parsed out of a model's answer. Mastery is not
stored; it is computed from the events on demand (`tutor.learner.mastery`), so a change to
the model applies to the whole history at once.

Every event carries an idempotency key: recording the same key twice stores it once, so a
turn re-run after a crash never counts twice.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tutor import storage
from tutor.corpus.topics import Topic
from tutor.errors import TutorError
from tutor.learner import reviews
from tutor.learner.answers import QuizRecords
from tutor.learner.mastery import estimate, started, weakness_order, weakness_reason
from tutor.learner.records import (
    LearnerEvent,
    SessionInfo,
    TopicProgress,
    session_title,
    turn_prefix,
)
from tutor.learner.schema import EVENT_COLUMNS, SESSION_COLUMNS, add_event, add_learner

if TYPE_CHECKING:
    from tutor.config import Settings


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


class LearnerStore(QuizRecords):
    """The learner memory in one SQLite file: events, mastery, sessions, quiz answers and
    reviews (`QuizRecords`). Opening, locking and transactions: `LearnerDatabase`."""

    @classmethod
    def open(cls, settings: Settings, *, readonly: bool = False) -> LearnerStore:
        """The store in the settings' data dir (``learner.sqlite``)."""
        return cls(settings.learner_path, readonly=readonly)

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
                if event.key is None:
                    event = replace(event, key=uuid.uuid4().hex)
                add_learner(db, event.learner, now)
                stored += add_event(db, event.row())
        return stored

    def events(self, learner: str, topic: str | None = None) -> list[LearnerEvent]:
        """A learner's events, oldest first, optionally for one topic only; not those of
        answers to questions the learner retired (`retire`)."""
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE learner = ? AND {reviews.COUNTED}"
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
        """The `n` weakest topics with evidence, weakest first (see `weakness_order`).
        Topics not started are left out (`not_started` lists them): a learner with no
        answers has no weakest topics yet."""
        if n <= 0:
            return []
        rows = [row for row in self.progress(learner, topics, now) if started(row.mastery)]
        return sorted(rows, key=weakness_order)[:n]

    def not_started(self, learner: str, topics: Iterable[Topic]) -> list[TopicProgress]:
        """The topics with nothing recorded yet, in map order."""
        return [row for row in self.progress(learner, topics) if not started(row.mastery)]

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
            add_learner(db, learner, at)
            db.execute(
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT(id) DO UPDATE SET"
                " updated_at = max(updated_at, excluded.updated_at),"
                " turns = turns + 1, mode = excluded.mode,"
                " title = CASE WHEN title = '' THEN excluded.title ELSE title END",
                (id, learner, session_title(title), at, at, mode),
            )
            row = db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", (id,)
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
            add_learner(db, learner, at)
            # The earlier attempt's events this one does not have. substr rather than LIKE:
            # ids may contain % or _.
            keys = [e.key for e in events]
            db.execute(
                "DELETE FROM events WHERE session = ? AND substr(key, 1, ?) = ?"
                f" AND key NOT IN ({', '.join('?' * len(keys))})",
                (session, len(prefix), prefix, *keys),
            )
            db.executemany(
                f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET topic = excluded.topic, kind = excluded.kind,"
                " at = excluded.at, question = excluded.question, source = excluded.source"
                " WHERE topic IS NOT excluded.topic OR kind IS NOT excluded.kind"
                " OR question IS NOT excluded.question OR source IS NOT excluded.source",
                [event.row() for event in events],
            )
            db.execute(
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET"
                " updated_at = max(updated_at, excluded.updated_at),"
                " turns = max(turns, excluded.turns), mode = excluded.mode,"
                # turn 1 again: its first attempt never reached the conversation
                " title = CASE WHEN title = '' OR excluded.turns = 1 THEN excluded.title"
                " ELSE title END",
                (session, learner, session_title(title), at, at, turn, mode),
            )
            row = db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", (session,)
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
        sql = f"SELECT {SESSION_COLUMNS} FROM sessions"
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
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?{where}", [prefix, *extra]
        )
        if exact:
            return SessionInfo(*exact[0])
        # substr rather than LIKE: ids may contain % or _.
        rows = self._query(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE substr(id, 1, ?) = ?{where}"
            " ORDER BY updated_at DESC, id LIMIT 6",
            [len(prefix), prefix, *extra],
        )
        if len(rows) > 1:
            names = ", ".join(row[0] for row in rows[:5]) + (" and more" if len(rows) > 5 else "")
            raise TutorError(f"session '{prefix}' is ambiguous: it matches {names}")
        return SessionInfo(*rows[0]) if rows else None

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
                "retired": count("retired"),
            }
