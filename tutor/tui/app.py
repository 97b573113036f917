"""The tutor's terminal app: paints at once, loads the models in a worker, then chats."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from tutor.chat import TutorChat
from tutor.config import Settings
from tutor.tui.screens.chat import ChatScreen, weakest


def open_default_chat() -> TutorChat:
    """The real tutor from the environment's settings (Ollama if it answers)."""
    return TutorChat.open(Settings())


class TutorApp(App):
    """The study tutor. Pass `chat` (tests do) or a factory that builds one."""

    CSS_PATH = "tutor.tcss"
    TITLE = "Study tutor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "help", "Help"),
    ]

    def __init__(
        self,
        chat: TutorChat | None = None,
        open_chat: Callable[[], TutorChat] = open_default_chat,
    ) -> None:
        super().__init__()
        self.chat = chat
        self._open_chat = open_chat
        self._owns_chat = chat is None
        self.chat_screen = ChatScreen()

    def on_mount(self) -> None:
        self.push_screen(self.chat_screen)
        self._load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        # Loading the embedding model and checking Ollama take seconds: off the UI thread.
        try:
            chat = self.chat or self._open_chat()
            rows = weakest(chat)
        except Exception as error:
            self.call_from_thread(
                self.notify,
                str(error),
                title="The tutor could not start",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        self.call_from_thread(self._chat_ready, chat, rows)

    async def _chat_ready(self, chat: TutorChat, rows: list) -> None:
        self.chat = chat
        await self.chat_screen.attach(chat, rows)

    def action_help(self) -> None:
        self.notify(
            "Enter asks · ↑/↓ recall earlier questions · Esc stops an answer · "
            "Ctrl+P commands · Ctrl+Q quits",
            title="Keys",
        )

    def on_unmount(self) -> None:
        if self._owns_chat and self.chat is not None:
            self.chat.close()


def run() -> None:
    """Start the TUI (the `tutor` console script can call this)."""
    TutorApp().run()
