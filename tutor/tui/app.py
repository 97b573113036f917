"""The tutor's terminal app: paints at once, loads (and on first run indexes) in workers,
then hands every screen the same services. Screens are modes: F2-F7 or the palette."""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tutor.errors import one_line
from tutor.tui.screens.base import TutorScreen
from tutor.tui.screens.chat import ChatScreen
from tutor.tui.screens.help import HelpScreen

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.runtime.chat import TutorChat
    from tutor.tui.services import Services

# The window paints before the tutor's own modules (LangChain, LangGraph, the index, the
# embedding model) are imported: they load in the loader worker or with their screen.

RECHECK_SECONDS = 30.0
"""How often an offline tutor looks for Ollama again (a request of ~2 s at most)."""


SCREEN_KEYS = (
    ("F2", "Chat"),
    ("F3", "Quiz"),
    ("F4", "Progress"),
    ("F5", "Library"),
    ("F6", "Settings"),
    ("F7", "Exam"),
)
"""The screens' keys, as the header shows them."""


def crash_log_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("study-tutor", appauthor=False)) / "crash.log"


def write_crash_log(error: BaseException) -> Path | None:
    """Append the full traceback of a crash to the log; None if it cannot be written."""
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


def lazy_screen(module: str, name: str) -> Callable[[], Screen]:
    """A mode's screen, imported when the learner first opens it."""
    return lambda: getattr(importlib.import_module(module), name)()


def open_default_chat(settings: Settings) -> TutorChat:
    """The real tutor from these settings (Ollama if it answers)."""
    from tutor.runtime.chat import TutorChat

    return TutorChat.open(settings)


class TutorApp(App):
    """The study tutor. Tests pass `chat` (with a fake model) or `settings`."""

    CSS_PATH = "tutor.tcss"
    TITLE = "Study tutor"
    # The screens' keys live in the header (the other screens', beside the one on show), so
    # the footer has room for each screen's own.
    DEFAULT_MODE = "chat"
    MODES: ClassVar[dict] = {
        "quiz": lazy_screen("tutor.tui.screens.quiz", "QuizScreen"),
        "progress": lazy_screen("tutor.tui.screens.progress", "ProgressScreen"),
        "library": lazy_screen("tutor.tui.screens.library", "LibraryScreen"),
        "settings": lazy_screen("tutor.tui.screens.settings", "SettingsScreen"),
        "exam": lazy_screen("tutor.tui.screens.exam", "ExamScreen"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "help", "Help"),
        Binding("f2", "switch_mode('chat')", "Chat", show=False),
        Binding("f3", "switch_mode('quiz')", "Quiz", show=False),
        Binding("f4", "switch_mode('progress')", "Progress", show=False),
        Binding("f5", "switch_mode('library')", "Library", show=False),
        Binding("f6", "switch_mode('settings')", "Settings", show=False),
        Binding("f7", "switch_mode('exam')", "Exam", show=False),
    ]

    def __init__(
        self,
        chat: TutorChat | None = None,
        *,
        settings: Settings | None = None,
        open_chat: Callable[[Settings], TutorChat] = open_default_chat,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        super().__init__()
        self.chat = chat
        self.services: Services | None = None
        self._settings = settings
        self._open_chat = open_chat
        self._owns_chat = chat is None
        self._recheck_seconds = recheck_seconds
        self.chat_screen = ChatScreen()
        self.add_mode("chat", lambda: self.chat_screen)

    def on_mount(self) -> None:
        self.mode_change_signal.subscribe(self, self._show_mode)
        self._show_mode(self.current_mode)
        self._load()
        self.set_interval(self._recheck_seconds, self.recheck_ollama)

    def _show_mode(self, mode: str) -> None:
        self.title = mode.capitalize()
        self.sub_title = " ".join(
            f"{key} {name}" for key, name in SCREEN_KEYS if name.lower() != mode
        )

    # --- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        # Reading settings, indexing a fresh data dir, loading the embedding model and
        # asking Ollama all take time: off the UI thread, after the first paint.
        try:
            from tutor.config import Settings
            from tutor.tui.services import Services, index_is_empty

            chat = self.chat
            if chat is None:
                settings = self._settings or Settings()
                if index_is_empty(settings):
                    self._first_index(settings)
                chat = self._open_chat(settings)
            chat.context.ready()
        except Exception as error:
            self.call_from_thread(
                self.notify,
                one_line(error),
                title="The tutor could not start",
                severity="error",
                timeout=60,
                markup=False,
            )
            return
        self.call_from_thread(self._services_loaded, Services(chat))

    def _first_index(self, settings: Settings) -> None:
        """Index the bundled material on a fresh data dir; the chat shows the progress and
        keeps the questions typed meanwhile."""
        from tutor.tui.services import index_material
        from tutor.tui.widgets.index_progress import ProgressRelay

        screen = self.chat_screen
        self.call_from_thread(screen.indexing_started)
        summary = index_material(settings, progress=ProgressRelay(self, screen.indexing_progress))
        self.call_from_thread(screen.indexing_finished, summary)

    async def _services_loaded(self, services: Services) -> None:
        self.chat = services.chat
        self.services = services
        for screen in self._tutor_screens():
            await screen.receive(services)

    def _tutor_screens(self) -> Iterable[TutorScreen]:
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, TutorScreen):
                    yield screen

    # --- Ollama coming and going -----------------------------------------------------------

    def recheck_ollama(self) -> None:
        """Offline because Ollama was missing? Look again, quietly (a timer calls this)."""
        services = self.services
        if services is None or not services.offline or services.offline_chosen:
            return
        if self.chat_screen.busy:
            return
        self._reconnect(quiet=True)

    def action_retry_ollama(self) -> None:
        if self.services is not None:
            self._reconnect(quiet=False)

    @work(thread=True, exclusive=True, group="reconnect", exit_on_error=False)
    def _reconnect(self, quiet: bool, settings: Settings | None = None) -> None:
        services = self.services
        assert services is not None
        try:
            if quiet and services.server_status().error is not None:
                return  # still away: nothing to say
            was_offline = services.offline
            reason = services.reconnect(settings)
        except Exception as error:
            self.call_from_thread(
                self.notify, one_line(error), title="Settings", severity="error", markup=False
            )
            return
        if reason is None:
            message = f"Answering with {services.mode_label}."
            title = "Ollama is back" if was_offline else "Ollama"
            self.call_from_thread(self.notify, message, title=title, markup=False)
        elif services.settings.offline:
            message = "Offline mode: answers quote the material; no model is called."
            self.call_from_thread(self.notify, message, title="Offline")
        elif not quiet:
            self.call_from_thread(
                self.notify, reason, title="Still offline", severity="warning", markup=False
            )
        self.call_from_thread(self.services_changed)

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings now (the Settings screen saved them): model, host, learner."""
        if self.services is not None:
            self._reconnect(False, settings)

    def went_offline(self, reason: str) -> None:
        """A turn found Ollama gone: offline until the periodic check finds it again."""
        if self.services is not None and not self.services.offline:
            self.services.go_offline(reason)
            self.call_later(self.services_changed)

    async def services_changed(self) -> None:
        if self.services is None:
            return
        for screen in self._tutor_screens():
            if screen.services is not None:
                await screen.services_changed(self.services)

    # --- commands -----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        chat = self.chat_screen
        goto = [
            ("Chat", "Ask about the material (F2)", "chat"),
            ("Quiz", "Choose a quiz or the exam simulation (F3)", "quiz"),
            ("Progress", "Mastery per topic, reviews due, progress over time (F4)", "progress"),
            ("Library", "The study material and its index; reindex (F5)", "library"),
            (
                "Settings",
                "Ollama host and model, Socratic mode, learner, offline, exam date, search (F6)",
                "settings",
            ),
            ("Exam", "The exam's blueprint: coverage and readiness (F7)", "exam"),
        ]
        for title, help, mode in goto:
            yield SystemCommand(title, help, lambda mode=mode: self.switch_mode(mode))
        for title, help, tab in (
            (
                "Coverage",
                "Which of the exam's objectives your material covers (F7, then c)",
                "coverage",
            ),
            ("Readiness", "Your forecast score on the exam date (F7, then r)", "readiness"),
        ):
            yield SystemCommand(title, help, lambda tab=tab: self.action_exam(tab))
        yield SystemCommand("Help", "Keys and screens (F1)", self.action_help)
        yield from self._screen_commands(screen)
        yield SystemCommand(
            "New conversation", "Start a fresh conversation in the chat", chat.action_new
        )
        yield SystemCommand(
            "Resume a conversation", "Pick an earlier conversation", chat.action_resume
        )
        yield SystemCommand(
            "Toggle Socratic mode",
            "Hints and a question back instead of the answer (this conversation)",
            chat.action_socratic,
        )
        yield SystemCommand(
            "Reindex the library",
            "Index new and changed material (F5, then r)",
            self.action_reindex,
        )
        yield SystemCommand(
            "Retry Ollama", "Look for the Ollama server and model again", self.action_retry_ollama
        )

    def _fatal_error(self) -> None:
        """The last resort for a bug that escaped every handler: Textual would print a
        traceback and exit. The learner gets one line and where the details went instead
        (TUTOR_DEBUG=1 keeps Textual's traceback). Their data is safe: every write is a
        transaction or an atomic replace."""
        error = self._exception
        if os.environ.get("TUTOR_DEBUG") or error is None:
            super()._fatal_error()
            return
        log = write_crash_log(error)
        where = f" (details in {log})" if log else ""
        self.bell()
        self._exit_renderables.append(
            Text.assemble(("internal error:", "bold red"), f" {one_line(error)}{where}")
        )
        self._close_messages_no_wait()

    async def action_exam(self, tab: str) -> None:
        """The Exam screen, on its `tab` ("coverage" or "readiness")."""
        await self.switch_mode("exam")
        await self.screen.run_action(f"show_tab({tab!r})")

    async def action_reindex(self) -> None:
        await self.switch_mode("library")
        self.screen.action_reindex()

    def _screen_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Whatever the screen's footer offers right now, by name (`Library: Reindex`)."""
        seen: set[tuple[int, str]] = set()
        name = self.current_mode.capitalize()
        for key, active in screen.active_bindings.items():
            binding, node = active.binding, active.node
            if node is self or not active.enabled or not binding.show:
                continue
            if not binding.description or (id(node), binding.action) in seen:
                continue
            seen.add((id(node), binding.action))
            keys = binding.key_display or self.get_key_display(binding)

            async def run(node=node, action=binding.action) -> None:
                await node.run_action(action)

            yield SystemCommand(f"{name}: {binding.description}", f"key: {keys or key}", run)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        if self._owns_chat and self.chat is not None:
            self.chat.close()


def run() -> None:
    """Start the TUI (`tutor` alone in a terminal)."""
    TutorApp().run()
