"""The conversation: ask, watch the answer stream in, read its sources and weak topics.

Questions are asked one at a time in a thread worker (`TutorChat.ask` blocks). Questions
typed before the tutor is loaded (or indexed), or while an answer is still coming, wait in
a queue.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Static

from tutor.errors import TurnCancelled
from tutor.tui.screens.base import TutorScreen
from tutor.tui.screens.sessions import SessionPicker
from tutor.tui.widgets.citation_panel import CitationPanel
from tutor.tui.widgets.exchange import CitationSelected, Exchange
from tutor.tui.widgets.index_progress import IndexProgress
from tutor.tui.widgets.question_input import QuestionInput
from tutor.tui.widgets.status_line import StatusLine
from tutor.tui.widgets.weak_topics import SHOWN, WeakTopics

if TYPE_CHECKING:
    # The tutor's modules load in the app's loader, after the first paint.
    from tutor.corpus.index import IndexSummary
    from tutor.runtime.chat import TurnResult, TutorChat
    from tutor.tui.services import Services


def banner_text(reason: str | None) -> str:
    return (
        f"Ollama is not available: {reason}\n"
        "Answering offline from the material meanwhile; Ctrl+R looks again."
    )


class ChatScreen(TutorScreen):
    """Ask the tutor; answers stream in, citations open beside the conversation."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop / close"),
        Binding("ctrl+n", "new", "New chat"),
        Binding("ctrl+o", "sources", "Sources"),
        Binding("ctrl+r", "app.retry_ollama", "Retry Ollama", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.chat: TutorChat | None = None
        self.session: str | None = None
        self.socratic = False
        self._learner: str | None = None
        self._indexing = False
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
        yield Static(id="banner", markup=False)
        with Horizontal(id="main"):
            with VerticalScroll(id="conversation"):
                yield IndexProgress(id="first-index")
            yield CitationPanel(id="citation")
            with VerticalScroll(id="sidebar"):
                yield WeakTopics()
        yield StatusLine()
        yield QuestionInput(id="question")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one("#first-index").display = False
        self.query_one(QuestionInput).focus()

    # --- the tutor arrives -------------------------------------------------------------

    async def services_ready(self, services: Services) -> None:
        """Start a conversation with this tutor and ask whatever was typed meanwhile."""
        self.chat = services.chat
        self.session = services.chat.resolve_session(None)
        self.socratic = services.settings.socratic
        await self.services_changed(services)
        self._ask_next()

    async def services_changed(self, services: Services) -> None:
        if self._learner is not None and services.learner != self._learner and not self._busy:
            # Another learner's conversation starts afresh; the old one stays theirs.
            self.session = services.chat.resolve_session(None)
            await self._show_conversation([])
        self._learner = services.learner
        status = self.query_one(StatusLine)
        status.mode = services.mode_label + (" · Socratic" if self.socratic else "")
        status.learner = services.learner
        status.session = self.session or ""
        banner = self.query_one("#banner", Static)
        # An offline mode the learner chose needs no banner; a missing Ollama does.
        show = services.offline and not services.offline_chosen
        banner.display = show
        if show:
            banner.update(banner_text(services.chat.context.offline_reason))
        self._refresh_weakest()

    def _refresh_weakest(self) -> None:
        # A newer read (after another answer) replaces this one: never stale rows.
        if (services := self.services) is not None:
            self.read_in_worker(
                "weakest",
                lambda: services.weak_topics(SHOWN),
                self.query_one(WeakTopics).show,
                title="Weak topics",
            )

    # --- first-run indexing (the app's loader reports here) ----------------------------

    def indexing_started(self) -> None:
        self._indexing = True
        panel = self.query_one("#first-index", IndexProgress)
        panel.display = True
        panel.start("First run: indexing the study material")
        self.query_one(StatusLine).mode = "indexing…"

    def indexing_progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#first-index", IndexProgress).advance(stage, done, total)

    def indexing_finished(self, summary: IndexSummary) -> None:
        self._indexing = False
        self.query_one("#first-index", IndexProgress).finish(summary)
        self.query_one(StatusLine).mode = "loading…"

    # --- asking --------------------------------------------------------------------------

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
        exchange.set_state("waiting for the index…" if self._indexing else "waiting…")
        self._waiting.append((question, exchange))
        self._ask_next()

    async def action_stop(self) -> None:
        """Esc: close the citation panel if open, else stop the answer being written.

        A stopped answer shows as stopped at once and is not saved; the run ends at the
        model's next token (the answer node checks the cancel signal and closes the stream).
        """
        panel = self.query_one(CitationPanel)
        if panel.display:
            self._close_citation()
            self.query_one(QuestionInput).focus()
            return
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
        chat, stop, session = self.chat, self._stop, self.session
        assert chat is not None and session is not None

        def on_token(token: str) -> None:
            if not stop.is_set():  # tokens already in flight after Esc are dropped
                self.app.call_from_thread(exchange.write, token)

        try:
            result = chat.ask(
                question, session=session, socratic=self.socratic, on_token=on_token, cancel=stop
            )
        except TurnCancelled:
            self.app.call_from_thread(self._ended, exchange, "(stopped)")
        except Exception as error:  # any failure becomes a notification, never a traceback
            self.app.call_from_thread(self._failed, question, exchange, error)
        else:
            self.app.call_from_thread(self._answered, exchange, result)

    async def _answered(self, exchange: Exchange, result: TurnResult) -> None:
        await exchange.finish(result)
        self._refresh_weakest()
        self._busy = False
        self._current = None
        services = self.services
        if result.mode == "offline" and services is not None and not services.offline:
            # Ollama failed this turn (the notice says why): offline until it is back.
            self.app.went_offline(result.notice or "Ollama did not answer")
        self._ask_next()

    async def _ended(self, exchange: Exchange, label: str) -> None:
        await exchange.interrupt(label)
        self._busy = False
        self._current = None
        self._ask_next()

    async def _failed(self, question: str, exchange: Exchange, error: Exception) -> None:
        self.notify_error("The tutor could not answer", error)
        box = self.query_one(QuestionInput)
        if not box.value:  # never overwrite what the learner is typing now
            box.value = question
            box.cursor_position = len(question)
        await self._ended(exchange, "(failed)")

    # --- citations -----------------------------------------------------------------------

    @on(CitationSelected)
    def open_citation(self, event: CitationSelected) -> None:
        # The passage takes the sidebar's place: at 80 columns there is no room for both.
        self.query_one("#sidebar").display = False
        self.query_one(CitationPanel).show(event.question, event.passage, self._embed())

    def _close_citation(self) -> None:
        self.query_one(CitationPanel).close()
        self.query_one("#sidebar").display = True

    def action_sources(self) -> None:
        """Ctrl+O: to the newest answer's sources (Enter opens one, Tab moves on)."""
        for exchange in reversed(list(self.query(Exchange))):
            if exchange.passages:
                exchange.focus_sources()
                return
        self.notify("No sources to open yet: ask a question first.")

    def _embed(self):
        return self.chat.context.embed if self.chat is not None else None

    # --- conversations ---------------------------------------------------------------------

    async def action_new(self) -> None:
        """A fresh conversation (the old one stays in `tutor sessions`)."""
        if self.chat is None or self._busy:
            self.notify("Wait for the answer to finish (Esc stops it).", severity="warning")
            return
        self.session = self.chat.resolve_session(None)
        if self.services is not None:
            self.socratic = self.services.settings.socratic  # the saved default
        await self._show_conversation([])

    def action_resume(self) -> None:
        if self.services is None or self._busy:
            self.notify("Wait for the answer to finish (Esc stops it).", severity="warning")
            return
        chats = self.services.conversations()
        if not chats:
            self.notify("No earlier conversations yet.")
            return

        async def resume(session: str | None) -> None:
            if session is not None and self.chat is not None:
                self.session = session
                await self._show_conversation(self.chat.history(session))

        self.app.push_screen(SessionPicker(chats), resume)

    async def _show_conversation(self, turns: Sequence[tuple[str, str]]) -> None:
        await self.query(Exchange).remove()
        conversation = self.query_one("#conversation", VerticalScroll)
        for question, answer in turns:
            exchange = Exchange(question)
            await conversation.mount(exchange)
            await exchange.show_saved(answer)
        conversation.scroll_end(animate=False)
        self.query_one(StatusLine).session = self.session or ""
        self._close_citation()
        self.query_one(QuestionInput).focus()

    def action_socratic(self) -> None:
        self.socratic = not self.socratic
        self.notify(
            "Socratic mode on: hints and a question back."
            if self.socratic
            else "Socratic mode off: direct answers.",
            title="This conversation",
        )
        if self.services is not None:
            self.query_one(StatusLine).mode = self.services.mode_label + (
                " · Socratic" if self.socratic else ""
            )
