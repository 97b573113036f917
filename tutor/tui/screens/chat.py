"""The conversation: ask, watch the answer stream in, see its sources and weak topics.

Questions are asked one at a time in a thread worker (`TutorChat.ask` blocks). Questions
typed before the tutor is loaded, or while an answer is still coming, wait in a queue.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from tutor.chat import TurnResult, TutorChat
from tutor.errors import TurnCancelled, TutorError
from tutor.learner import TopicProgress
from tutor.tui.widgets.exchange import Exchange
from tutor.tui.widgets.question_input import QuestionInput
from tutor.tui.widgets.status_line import StatusLine
from tutor.tui.widgets.weak_topics import SHOWN, WeakTopics


def mode_label(chat: TutorChat) -> str:
    """The model's name, or "offline"."""
    context = chat.context
    if context.offline or context.chat_model is None:
        return "offline"
    model = context.chat_model
    return str(getattr(model, "model", None) or getattr(model, "_llm_type", "model"))


def weakest(chat: TutorChat) -> list[TopicProgress]:
    """The sidebar's rows (reads SQLite: call it from a worker)."""
    context = chat.context.ready()
    return context.learner_store.weak_topics(context.learner_name, context.topics.topics, SHOWN)


class ChatScreen(Screen):
    """Ask the tutor; the app hands the screen its `TutorChat` through `attach`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "stop", "Stop answer")]

    def __init__(self) -> None:
        super().__init__()
        self.chat: TutorChat | None = None
        self.session: str | None = None
        self._waiting: deque[tuple[str, Exchange]] = deque()
        self._busy = False
        self._current: Exchange | None = None
        self._stop = threading.Event()

    @property
    def busy(self) -> bool:
        """Whether a question is being answered (or a stopped run is winding down)."""
        return self._busy

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield VerticalScroll(id="conversation")
            with VerticalScroll(id="sidebar"):
                yield WeakTopics()
        yield StatusLine()
        yield QuestionInput(id="question")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuestionInput).focus()

    async def attach(self, chat: TutorChat, rows: Sequence[TopicProgress]) -> None:
        """Start a conversation with this tutor and ask whatever was typed meanwhile."""
        self.chat = chat
        self.session = chat.resolve_session(None)
        status = self.query_one(StatusLine)
        status.mode = mode_label(chat)
        status.learner = chat.context.learner_name
        status.session = self.session
        await self.query_one(WeakTopics).show(rows)
        self._ask_next()

    @on(Input.Submitted, "#question")
    async def question_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        box = self.query_one(QuestionInput)
        box.remember(question)
        box.clear()
        exchange = Exchange(question)
        conversation = self.query_one("#conversation", VerticalScroll)
        await conversation.mount(exchange)
        conversation.anchor()
        exchange.set_state("waiting…")
        self._waiting.append((question, exchange))
        self._ask_next()

    async def action_stop(self) -> None:
        """Stop the answer being written; the turn is then not saved.

        The screen shows it stopped at once; the run ends at the model's next token (the
        answer node checks the cancel signal and closes the model's stream).
        """
        if self._busy and not self._stop.is_set() and self._current is not None:
            self._stop.set()
            await self._current.interrupt("(stopped)")

    def _ask_next(self) -> None:
        if self.chat is None or self._busy or not self._waiting:
            return
        question, exchange = self._waiting.popleft()
        self._busy = True
        self._current = exchange
        self._stop.clear()
        exchange.set_state("thinking…")
        self._ask(question, exchange)

    @work(thread=True, exclusive=True, group="ask", exit_on_error=False)
    def _ask(self, question: str, exchange: Exchange) -> None:
        chat, stop = self.chat, self._stop
        assert chat is not None and self.session is not None

        def on_token(token: str) -> None:
            if not stop.is_set():  # tokens already in flight after Esc are dropped
                self.app.call_from_thread(exchange.write, token)

        try:
            result = chat.ask(question, session=self.session, on_token=on_token, cancel=stop)
            rows = weakest(chat)
        except TurnCancelled:
            self.app.call_from_thread(self._ended, exchange, "(stopped)")
        except Exception as error:  # any failure becomes a notification, never a traceback
            self.app.call_from_thread(self._failed, question, exchange, error)
        else:
            self.app.call_from_thread(self._answered, exchange, result, rows)

    async def _answered(
        self, exchange: Exchange, result: TurnResult, rows: Sequence[TopicProgress]
    ) -> None:
        await exchange.finish(result)
        await self.query_one(WeakTopics).show(rows)
        self._busy = False
        self._current = None
        self._ask_next()

    async def _ended(self, exchange: Exchange, label: str) -> None:
        await exchange.interrupt(label)
        self._busy = False
        self._current = None
        self._ask_next()

    async def _failed(self, question: str, exchange: Exchange, error: Exception) -> None:
        message = str(error) if isinstance(error, TutorError) else repr(error)
        self.notify(message, title="The tutor could not answer", severity="error", markup=False)
        box = self.query_one(QuestionInput)
        if not box.value:  # never overwrite what the learner is typing now
            box.value = question
            box.cursor_position = len(question)
        await self._ended(exchange, "(failed)")
