"""The settings (F6): Ollama host and model (pick an installed one or pull one), Socratic
mode, learner, offline mode, the exam date, and how search works (the model's search
queries, a cross-encoder reranker on disk). Saved to the config file and used at once; the
environment still wins over the file, and the screen says where it does."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, Static, Switch

from tutor.config import SAVED_SETTINGS, Settings, config_path, save_settings
from tutor.errors import one_line
from tutor.tui.screens.base import TutorScreen
from tutor.tui.screens.settings_changes import (
    changes_from,
    check_valid,
    env_override,
    kept,
    overridden,
    read_exam_date,
    read_folder,
)
from tutor.tui.services import model_matches
from tutor.tui.widgets.settings_learner import LearnerPicker
from tutor.tui.widgets.settings_models import ModelPicker
from tutor.tui.widgets.settings_pull import PullPanel
from tutor.tui.widgets.settings_server import ServerReport

if TYPE_CHECKING:
    from tutor.llm import PullProgress, ServerStatus
    from tutor.tui.services import Services

SOCRATIC_HINT = "hints and a question back, not the answer, in new chats"
OFFLINE_HINT = "never call Ollama: answers quote the material"
EXAM_DATE_HINT = "YYYY-MM-DD or empty; Readiness (F7) forecasts for it"
QUERY_REWRITE_HINT = "model's queries"
"""The model words 2-3 searches in the material's terms (one more call per question)."""
RERANKER_HINT = "reranker folder (none)"
"""A cross-encoder's folder on disk that re-orders the best passages; empty for none."""


class SettingsScreen(TutorScreen):
    """Change how the tutor runs; Save (Ctrl+S) writes the config file and applies it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "check", "Check server"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pulling = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form"):
            yield Static("Ollama", classes="heading")
            with Horizontal(classes="row"):
                yield Label("Host", classes="field")
                yield Input(placeholder="host:port, e.g. 127.0.0.1:11434", compact=True, id="host")
                yield Button("Check", compact=True, id="check")
            yield ServerReport()
            yield self._env_note("ollama_host")
            yield ModelPicker()
            yield self._env_note("ollama_model")
            yield PullPanel()
            yield Static("Tutoring", classes="heading")
            yield LearnerPicker()
            yield self._env_note("learner")
            with Horizontal(classes="row"):
                yield Label("Socratic", classes="field")
                yield Switch(id="socratic")
                yield Label(SOCRATIC_HINT, classes="hint")
            yield self._env_note("socratic")
            with Horizontal(classes="row"):
                yield Label("Offline", classes="field")
                yield Switch(id="offline")
                yield Label(OFFLINE_HINT, classes="hint")
            yield self._env_note("offline")
            with Horizontal(classes="row"):
                yield Label("Exam date", classes="field")
                yield Input(placeholder="YYYY-MM-DD", compact=True, max_length=10, id="exam-date")
                yield Label(EXAM_DATE_HINT, classes="hint")
            yield self._env_note("exam_date")
            with Horizontal(classes="row"):
                yield Label("Search", classes="field")
                yield Switch(id="query-rewrite")
                yield Label(QUERY_REWRITE_HINT, id="query-rewrite-hint")
                yield Input(placeholder=RERANKER_HINT, compact=True, id="reranker")
            yield self._env_note("query_rewrite")
            yield self._env_note("reranker")
            with Horizontal(id="save-row"):
                yield Button("Save", variant="primary", compact=True, id="save")
                yield Static("loading…", id="now", markup=False)
            yield Static("", id="paths", markup=False)
        yield Footer()

    @staticmethod
    def _env_note(key: str) -> Static:
        return Static("", id=f"env-{key}", classes="env", markup=False)

    def on_mount(self) -> None:
        self.query_one("#host", Input).focus()
        self._show_env_notes()

    # --- the tutor arrives -------------------------------------------------------------

    async def services_ready(self, services: Services) -> None:
        """Fill the form from the settings in use, then ask the server and the store."""
        settings = services.settings
        self.query_one("#host", Input).value = settings.ollama_host
        self.query_one(ModelPicker).preset(settings.ollama_model)
        self.query_one(LearnerPicker).show([], services.learner)
        self.query_one("#socratic", Switch).value = settings.socratic
        self.query_one("#offline", Switch).value = settings.offline
        self._show_exam_date(settings.exam_date)
        self.query_one("#query-rewrite", Switch).value = settings.query_rewrite
        self.query_one("#reranker", Input).value = str(settings.reranker or "")
        self.query_one("#paths", Static).update(
            f"Data dir     {settings.data_dir}\nConfig file  {config_path()}"
        )
        await self.services_changed(services)
        self.read_in_worker(
            "learners",
            services.store.learners,
            lambda learners: self._learners_listed(learners, services.learner),
            title="Learners",
        )
        self.action_check()

    async def services_changed(self, services: Services) -> None:
        self.query_one("#now", Static).update(
            f"in use: {services.mode_label} · learner {services.learner}"
        )

    def _show_exam_date(self, day: date | None) -> None:
        self.query_one("#exam-date", Input).value = day.isoformat() if day else ""

    def _learners_listed(self, learners: list[str], current: str) -> None:
        self.query_one(LearnerPicker).show(learners, current)

    def _show_env_notes(self) -> None:
        for key in SAVED_SETTINGS:
            name = env_override(key)
            note = self.query_one(f"#env-{key}", Static)
            note.display = name is not None
            if name is not None:
                note.update(f"{name} is set in the environment and wins over the saved value.")

    # --- the server ----------------------------------------------------------------------

    def _server_host(self) -> str | None:
        """The host typed in the form (None, with a notice, when there is none to ask)."""
        host = self.query_one("#host", Input).value.strip()
        if self.services is None:
            self.notify("The tutor is still loading.", severity="warning")
            return None
        if not host:
            self.notify("Type the Ollama host first, e.g. 127.0.0.1:11434.", severity="warning")
            return None
        return host

    @on(Input.Submitted, "#host")
    @on(Button.Pressed, "#check")
    def action_check(self) -> None:
        """Ask the server at the typed host for its version and models."""
        host = self._server_host()
        if host is None or self.services is None:
            return
        wanted = self.query_one(ModelPicker).chosen or self.services.settings.ollama_model
        self._check(self.services, host, wanted)

    def _check(self, services: Services, host: str, model: str) -> None:
        self.query_one(ServerReport).checking(services.at_host(host).ollama_url)
        self.read_in_worker(  # a newer check replaces this one
            "check", lambda: services.server_status(model, host=host), self._checked, title="Check"
        )

    def _checked(self, status: ServerStatus) -> None:
        self.query_one(ServerReport).show(status)
        has_it = self.query_one(ModelPicker).show(status.models, status.model, status.reachable)
        if status.reachable and not has_it:
            self.query_one(PullPanel).suggest(status.model)

    # --- pulling a model -----------------------------------------------------------------

    @on(PullPanel.Requested)
    def start_pull(self, event: PullPanel.Requested) -> None:
        if self._pulling:
            self.notify("A pull is already running.", severity="warning")
            return
        host = self._server_host()
        if host is None or self.services is None:
            return
        self._pulling = True
        panel = self.query_one(PullPanel)
        panel.start(event.model)
        self._pull(self.services, host, event.model, panel)

    @work(thread=True, exclusive=True, group="pull", exit_on_error=False)
    def _pull(self, services: Services, host: str, model: str, panel: PullPanel) -> None:
        def report(step: PullProgress) -> None:
            self.app.call_from_thread(panel.advance, step)

        try:
            services.pull(model, report, host=host)
        except Exception as error:
            self.app.call_from_thread(self._pull_failed, error)
            return
        self.app.call_from_thread(self._pulled, services, host, model)

    def _pulled(self, services: Services, host: str, model: str) -> None:
        self._pulling = False
        self.query_one(PullPanel).finish(model)
        settings = services.settings
        if (
            services.offline
            and not settings.offline
            and services.at_host(host).ollama_url == settings.ollama_url
            and model_matches(settings.ollama_model, model)
        ):
            # The tutor was offline for want of this very model: use it now.
            self.notify(f"Pulled {model}; the tutor answers with it now.", title="Pull")
            self.app.action_retry_ollama()
        else:
            self.notify(f"Pulled {model}; Save to answer with it.", title="Pull")
        self._check(services, host, model)  # the new model is listed, and selected

    def _pull_failed(self, error: Exception) -> None:
        self._pulling = False
        self.query_one(PullPanel).fail(one_line(error))
        self.notify_error("Pull failed", error)

    # --- saving --------------------------------------------------------------------------

    def _form(self) -> dict[str, Any]:
        return {
            "ollama_host": self.query_one("#host", Input).value.strip(),
            "ollama_model": self.query_one(ModelPicker).chosen,
            "socratic": self.query_one("#socratic", Switch).value,
            "learner": self.query_one(LearnerPicker).chosen,
            "offline": self.query_one("#offline", Switch).value,
            "exam_date": read_exam_date(self.query_one("#exam-date", Input).value),
            "query_rewrite": self.query_one("#query-rewrite", Switch).value,
            "reranker": read_folder(self.query_one("#reranker", Input).value),
        }

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Write the changed settings to the config file and switch the tutor to them."""
        if self.services is None:
            self.notify("The tutor is still loading.", severity="warning")
            return
        current = self.services.settings
        try:
            changes = changes_from(current, self._form())
            if not changes:
                self.notify("Nothing to save: these are the settings in use.", title="Settings")
                return
            check_valid(current, changes)
            path = save_settings(changes)
            now = Settings(**kept(current))
        except Exception as error:
            self.notify_error("Not saved", error)
            return
        if "learner" in changes:
            self.query_one(LearnerPicker).added(changes["learner"])
        if "exam_date" in changes:
            self._show_exam_date(changes["exam_date"])  # as saved: 20270105 reads 2027-01-05
        self._show_env_notes()
        self.app.apply_settings(now)
        ignored = [env_override(key) or key for key in overridden(changes, now)]
        message = f"Saved to {path}."
        if ignored:
            message += f" The environment wins for {', '.join(ignored)}."
        self.notify(
            message,
            title="Settings",
            severity="warning" if ignored else "information",
            markup=False,
        )
