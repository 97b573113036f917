"""Chat turns as a Python API: the tutor graph wired to its services, checkpoints and
sessions. The CLI and the TUI are thin layers over `TutorChat`."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from graphs.context import TutorContext
from graphs.tutor import build
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner import LearnerStore
from tutor.llm import server_status
from tutor.sanitize import strip_control

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


class TutorCheckpointer(SqliteSaver):
    """LangGraph's SQLite saver with `prune`, which it leaves unimplemented.

    The tutor never goes back in a conversation's history, so only each thread's latest
    checkpoint is worth keeping; pruning keeps the file from growing with every turn.
    """

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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(settings.checkpoints_path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        saver = TutorCheckpointer(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=None))
        saver.setup()
    except sqlite3.DatabaseError as error:
        raise TutorError(
            f"cannot open the conversation store {settings.checkpoints_path}: {error}"
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
        """
        config = {"configurable": {"thread_id": session}}
        turn: dict = {"question": question}
        if socratic is not None:
            turn["socratic"] = socratic
        streamed = False
        self.context.cancel = cancel
        # One checkpoint per turn, written when it ends: a turn is saved whole or not at
        # all, and a long session does not pay for a write after every node.
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
                on_token(strip_control(str(chunk.content)))
                streamed = True
        self.checkpointer.prune([session])
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
