"""Chat turns as a Python API: the tutor graph wired to its services, checkpoints and
sessions. The CLI and the TUI are thin layers over `TutorChat`."""

from __future__ import annotations

import functools
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from graphs.chat.graph import build
from graphs.context import TutorContext
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner.store import HeldTurns, LearnerStore, hold_turns
from tutor.llm import server_status
from tutor.runtime.writer_lock import WriterLock
from tutor.storage import storage_problem
from tutor.text import StreamCleaner

ASKED_OFFLINE = "offline mode was asked for (--offline)"
SET_OFFLINE = "offline mode is on in the settings (TUTOR_OFFLINE or the Settings screen)"
ANSWER_NODE = "answer"
"""Only tokens from this node are the answer; the follow-up rewrite streams too."""


@dataclass
class TurnResult:
    """What one turn produced, as `tutor ask --json` prints it."""

    session: str
    answer: str
    sources: list[dict]
    mode: str
    topics: list[str]
    notice: str | None
    check: str | None
    """The check question offered with this answer, if any."""
    grade: dict | None
    """The verdict on the learner's reply to the previous check, if this turn was one."""
    streamed: bool
    """Whether the answer text already went out through `on_token`."""
    passages: list[dict] = field(default_factory=list)
    """The retrieved passages with their text; a source's `n` is a passage's `n`."""

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "sources": self.sources,
            "mode": self.mode,
            "topics": self.topics,
            "session": self.session,
            "notice": self.notice,
            "check": self.check,
            "grade": self.grade,
        }


_HELD_SAVES: ContextVar[list[Callable[[], object]] | None] = ContextVar("held_saves", default=None)


class TutorCheckpointer(SqliteSaver):
    """LangGraph's SQLite saver with `prune`, which it leaves unimplemented, a one-line
    `TutorError` for a file the disk or the data dir refuses, and `holding`.

    The tutor never goes back in a conversation's history, so only each thread's latest
    checkpoint is worth keeping; pruning keeps the file from growing with every turn.
    """

    def __init__(
        self, conn: sqlite3.Connection, *, serde: SerializerProtocol | None = None, path: Path
    ) -> None:
        super().__init__(conn, serde=serde)
        self.path = path

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        try:
            with super().cursor(transaction) as cur:
                yield cur
        except sqlite3.Error as error:
            with self.lock, suppress(sqlite3.Error):  # a failed COMMIT leaves it open
                self.conn.rollback()
            doing = "save the conversation to" if transaction else "read the conversation store"
            raise TutorError(f"cannot {doing} {self.path}: {storage_problem(error)}") from None

    @contextmanager
    def holding(self) -> Iterator[list[Callable[[], object]]]:
        """Keep the checkpoints and writes LangGraph saves inside this block (its worker
        threads included: they run in a copy of this context) in memory; the caller saves
        them by calling each, in order, when the rest of the turn is saved."""
        held: list[Callable[[], object]] = []
        token = _HELD_SAVES.set(held)
        try:
            yield held
        finally:
            _HELD_SAVES.reset(token)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        held = _HELD_SAVES.get()
        if held is None:
            return super().put(config, checkpoint, metadata, new_versions)
        held.append(functools.partial(super().put, config, checkpoint, metadata, new_versions))
        where = config["configurable"]
        return {  # what the saved checkpoint's config will be
            "configurable": {
                "thread_id": where["thread_id"],
                "checkpoint_ns": where["checkpoint_ns"],
                "checkpoint_id": checkpoint["id"],
            }
        }

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        held = _HELD_SAVES.get()
        if held is None:
            return super().put_writes(config, writes, task_id, task_path)
        held.append(functools.partial(super().put_writes, config, writes, task_id, task_path))
        return None

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}")
        with self.cursor() as cur:
            for thread in thread_ids:
                if strategy == "delete":
                    cur.execute("DELETE FROM checkpoints WHERE thread_id = ?", (thread,))
                    cur.execute("DELETE FROM writes WHERE thread_id = ?", (thread,))
                    continue
                # Checkpoint ids are time-ordered (uuid6), so the greatest is the latest.
                latest = cur.execute(
                    "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints "
                    "WHERE thread_id = ? GROUP BY checkpoint_ns",
                    (thread,),
                ).fetchall()
                for namespace, keep in latest:
                    for table in ("checkpoints", "writes"):
                        cur.execute(
                            f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? "
                            "AND checkpoint_id <> ?",
                            (thread, namespace, keep),
                        )


def open_checkpointer(settings: Settings) -> TutorCheckpointer:
    """Conversation checkpoints in the data dir, read back in strict mode: only plain
    data and LangChain messages are ever deserialised from the file."""
    path = settings.checkpoints_path
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        serde = JsonPlusSerializer(allowed_msgpack_modules=None)
        saver = TutorCheckpointer(conn, serde=serde, path=path)
        saver.setup()
    except (sqlite3.DatabaseError, OSError) as error:
        raise TutorError(
            f"cannot open the conversation store {path}: {storage_problem(error)}"
        ) from None
    return saver


def choose_mode(settings: Settings, offline: bool) -> tuple[bool, str | None]:
    """Offline or not, and why: the server must answer and have the model pulled."""
    if offline:
        return True, ASKED_OFFLINE
    if settings.offline:
        return True, SET_OFFLINE
    status = server_status(settings)
    # `error` covers both an unreachable server and a model that is not pulled.
    return (True, str(status.error)) if status.error is not None else (False, None)


def open_context(
    settings: Settings,
    *,
    offline: bool = False,
    learner: str | None = None,
    chat_model: BaseChatModel | None = None,
) -> TutorContext:
    """The real services for the graphs; offline when Ollama or its model is missing."""
    reason = None
    if chat_model is None:
        offline, reason = choose_mode(settings, offline)
    context = TutorContext(
        settings=settings,
        chat_model=chat_model,
        offline=offline,
        offline_reason=reason,
        learner=learner,
    )
    return context.ready()


class TutorChat:
    """Asks the tutor graph one turn at a time, each conversation a checkpointed thread."""

    def __init__(self, context: TutorContext, checkpointer: TutorCheckpointer) -> None:
        self.context = context
        self.checkpointer = checkpointer
        self.graph = build().compile(checkpointer=checkpointer)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        offline: bool = False,
        learner: str | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> TutorChat:
        """The tutor with real services; offline when Ollama or its model is missing."""
        context = open_context(settings, offline=offline, learner=learner, chat_model=chat_model)
        return cls(context, open_checkpointer(settings))

    @property
    def store(self) -> LearnerStore:
        return self.context.ready().learner_store

    def resolve_session(self, wanted: str | None) -> str:
        """The full id of a session given by a unique prefix, or a new id for None."""
        if wanted is None:
            return uuid.uuid4().hex[:10]
        found = self.store.find_session(wanted)
        if found is None:
            raise TutorError(f"no conversation '{wanted}': see `tutor sessions`")
        return found.id

    def ask(
        self,
        question: str,
        *,
        session: str,
        socratic: bool | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> TurnResult:
        """Run one turn; answer tokens go to `on_token` as they arrive. Setting `cancel`
        stops the answer at its next token: `TurnCancelled` is raised, nothing is saved.

        Raises `OllamaError` when the model's answer is cut off mid-way: the partial text
        was streamed but the turn is not saved, and the conversation stays as it was.
        Raises `ThreadBusyError` when another tutor process is answering in this
        conversation right now (a turn builds on the last one, so two at once would lose
        one).
        """
        with WriterLock(self.context.settings, "conversation", session):
            return self._ask(question, session, socratic, on_token, cancel)

    def _ask(
        self,
        question: str,
        session: str,
        socratic: bool | None,
        on_token: Callable[[str], None] | None,
        cancel: threading.Event | None,
    ) -> TurnResult:
        config = {"configurable": {"thread_id": session}}
        turn: dict = {"question": question}
        if socratic is not None:
            turn["socratic"] = socratic
        streamed = False
        self.context.cancel = cancel
        new_thread = self.checkpointer.get_tuple(config) is None
        # One checkpoint per turn, written when it ends, so a long session does not pay for
        # a write after every node. The turn's learner record and conversation are held
        # until the graph is done, then saved, so a turn is saved whole or not at all.
        cleaner = StreamCleaner()
        with hold_turns() as record, self.checkpointer.holding() as saves:
            for kind, payload in self.graph.stream(
                turn,
                config,
                context=self.context,
                stream_mode=["messages", "updates"],
                durability="exit",
            ):
                if kind != "messages" or on_token is None:
                    continue
                chunk, meta = payload
                if meta.get("langgraph_node") == ANSWER_NODE and chunk.content:
                    on_token(cleaner.feed(str(chunk.content)))
                    streamed = True
            if streamed and (rest := cleaner.flush()):
                on_token(rest)
        self._save(session, record, saves, new_thread)
        values = self.graph.get_state(config).values
        return TurnResult(
            session=session,
            answer=values.get("messages", [])[-1].content if values.get("messages") else "",
            sources=list(values.get("sources", [])),
            mode=values.get("mode", "offline"),
            topics=list(values.get("topics", [])),
            notice=values.get("notice"),
            check=(values.get("check") or {}).get("prompt"),
            grade=values.get("grade"),
            streamed=streamed and values.get("mode") == "ollama",
            passages=[dict(p) for p in values.get("passages", [])],
        )

    def _save(
        self,
        session: str,
        record: HeldTurns,
        saves: list[Callable[[], object]],
        new_thread: bool,
    ) -> None:
        """Save a finished turn: the learner record first (if the disk refuses it, nothing
        is saved), then the conversation; if that fails, the record is taken back and a
        new conversation leaves no thread behind. Should the disk refuse those too, the
        record stays, and is replaced when the turn is asked again (`record_turn`)."""
        record.write()
        try:
            for save in saves:
                save()
        except Exception:
            with suppress(TutorError):
                record.undo()
                if new_thread:
                    self.checkpointer.delete_thread(session)
            raise
        with suppress(TutorError):  # housekeeping: the turn is saved, the next one prunes
            self.checkpointer.prune([session])

    def history(self, session: str) -> list[tuple[str, str]]:
        """The finished turns of a conversation as (learner, tutor) pairs."""
        values = self.graph.get_state({"configurable": {"thread_id": session}}).values
        messages = values.get("messages", [])
        return [
            (str(messages[i].content), str(messages[i + 1].content))
            for i in range(0, len(messages) - 1, 2)
        ]

    def close(self) -> None:
        self.checkpointer.conn.close()
