"""Chat turns as a Python API: the tutor graph wired to its services, checkpoints and
sessions. The CLI and the TUI are thin layers over `TutorChat`."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace

from langchain_core.language_models import BaseChatModel

from graphs.chat.graph import build
from graphs.chat.state import GradeState, Highlight, PassageRef, SourceRef, TutorInput
from graphs.context import TutorContext
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner.store import HeldTurns, LearnerStore, hold_turns
from tutor.runtime.checkpoints import TutorCheckpointer, open_checkpointer
from tutor.runtime.context import open_context
from tutor.runtime.writer_lock import WriterLock
from tutor.text import StreamCleaner

ANSWER_NODE = "answer"
"""Only tokens from this node are the answer; the follow-up rewrite streams too."""


@dataclass
class TurnResult:
    """What one turn produced, as `tutor ask --json` prints it."""

    session: str
    answer: str
    sources: list[SourceRef]
    mode: str
    topics: list[str]
    notice: str | None
    check: str | None
    """The check question offered with this answer, if any."""
    grade: GradeState | None
    """The verdict on the learner's reply to the previous check, if this turn was one."""
    streamed: bool
    """Whether the answer text already went out through `on_token`."""
    passages: list[PassageRef] = field(default_factory=list)
    """The retrieved passages with their text; a source's `n` is a passage's `n`."""
    highlights: list[Highlight] = field(default_factory=list)
    """An offline answer's highlighted sentences, each with its passage's `n`."""

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
            "highlights": self.highlights,
        }


class TutorChat:
    """Asks the tutor graph one turn at a time, each conversation a checkpointed thread.

    `context` is read once at the start of each turn: assigning a new one (the TUI's
    reconnect) takes effect from the next turn, and a turn under way keeps its own.
    """

    def __init__(self, context: TutorContext, checkpointer: TutorCheckpointer) -> None:
        self.context = context.ready()
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
        session: str | None = None,
        socratic: bool | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> TurnResult:
        """Run one turn in `session` (a new conversation when None; the result's `session`
        continues it); answer tokens go to `on_token` as they arrive. Setting `cancel`
        stops the answer at its next token: `TurnCancelled` is raised, nothing is saved.

        Raises `OllamaError` when the model's answer is cut off mid-way: the partial text
        was streamed but the turn is not saved, and the conversation stays as it was.
        Raises `ThreadBusyError` when another tutor process is answering in this
        conversation right now (a turn builds on the last one, so two at once would lose
        one).
        """
        # The run's own context: the cancel event is this turn's alone.
        context = replace(self.context, cancel=cancel)
        session = session or self.resolve_session(None)
        with WriterLock(context.settings, "conversation", session):
            return self._ask(question, session, socratic, on_token, context)

    def _ask(
        self,
        question: str,
        session: str,
        socratic: bool | None,
        on_token: Callable[[str], None] | None,
        context: TutorContext,
    ) -> TurnResult:
        config = {"configurable": {"thread_id": session}}
        turn = TutorInput(question=question)
        if socratic is not None:
            turn["socratic"] = socratic
        streamed = False
        new_thread = self.checkpointer.get_tuple(config) is None
        # One checkpoint per turn, written when it ends, so a long session does not pay for
        # a write after every node. The turn's learner record and conversation are held
        # until the graph is done, then saved, so a turn is saved whole or not at all.
        cleaner = StreamCleaner()
        with hold_turns() as record, self.checkpointer.holding() as saves:
            for kind, payload in self.graph.stream(
                turn,
                config,
                context=context,
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
            passages=[PassageRef(**p) for p in values.get("passages", [])],
            highlights=list(values.get("highlights", [])),
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
