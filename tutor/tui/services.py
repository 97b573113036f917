"""What the app's screens work with once the tutor has loaded: one `TutorChat` (its
context holds the retriever, learner store and chat model) and quizzes over the same
services. Screens and widgets reach the index, the learner store and the Ollama server
through these (the methods, or the module functions below before the tutor has loaded),
never directly: `tests/tui/test_layers.py` checks their imports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from graphs.context import TutorContext
from tutor import llm
from tutor.config import Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.library import folders_to_index, read_library
from tutor.learner.coverage import read_coverage
from tutor.learner.exam_forecast import chosen_exam_date, read_readiness
from tutor.learner.store import LearnerStore
from tutor.runtime.chat import TutorChat
from tutor.runtime.context import ASKED_OFFLINE, SET_OFFLINE, reconnected
from tutor.runtime.quiz_session import QuizSession

if TYPE_CHECKING:
    from tutor.corpus.blueprint import ExamFacts
    from tutor.corpus.index import IndexSummary, ProgressCallback
    from tutor.corpus.library import Library
    from tutor.learner.coverage import Coverage, ExamRecord
    from tutor.learner.readiness import Forecast
    from tutor.learner.records import SessionInfo, TopicProgress
    from tutor.llm import PullProgress, ServerStatus


@dataclass(frozen=True)
class Readiness:
    """The readiness forecast as the app shows it: for `day`, from `record`."""

    day: date
    record: ExamRecord
    forecast: Forecast


@dataclass
class Services:
    chat: TutorChat
    _quiz: QuizSession | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def settings(self) -> Settings:
        return self.chat.context.settings

    @property
    def store(self) -> LearnerStore:
        return self.chat.store

    @property
    def learner(self) -> str:
        return self.chat.context.learner_name

    @property
    def offline(self) -> bool:
        context = self.chat.context
        return context.offline or context.chat_model is None

    @property
    def offline_chosen(self) -> bool:
        """Offline because the learner asked for it, not because Ollama is missing."""
        return self.offline and self.chat.context.offline_reason in (ASKED_OFFLINE, SET_OFFLINE)

    @property
    def mode_label(self) -> str:
        """The chat model's name, or "offline"."""
        if self.offline:
            return "offline"
        model = self.chat.context.chat_model
        return str(getattr(model, "model", None) or getattr(model, "_llm_type", "model"))

    @property
    def quiz(self) -> QuizSession:
        """Quizzes share the chat's services and checkpoint file (built on first use)."""
        with self._lock:
            if self._quiz is None:
                self._quiz = QuizSession(self.chat.context, self.chat.checkpointer)
            return self._quiz

    def reconnect(self, settings: Settings | None = None) -> str | None:
        """Choose Ollama or offline again (after a settings change, or to see whether Ollama
        is back) and return why the tutor is offline, or None when it is on a model.

        Blocks on the network: call it from a worker, between turns.
        """
        context = reconnected(self.chat.context, settings)
        self._use(context)
        return context.offline_reason

    def go_offline(self, reason: str) -> None:
        """Ollama failed mid-session: answer offline (the app looks for it again later)."""
        self._use(self.chat.context.without_model(reason))

    def _use(self, context: TutorContext) -> None:
        """The chat and the quizzes run with `context` from their next turn or step."""
        with self._lock:
            self.chat.context = context
            if self._quiz is not None:
                self._quiz.context = context

    def index_changed(self) -> None:
        """The material was reindexed: quizzes build their question bank afresh."""
        self.chat.context.forget_question_bank()

    # --- the learner's records -----------------------------------------------------------

    def weak_topics(self, count: int) -> list[TopicProgress]:
        """The learner's `count` weakest topics with evidence, weakest first, then (to make
        up `count`) topics not started, in map order (reads SQLite: from a worker)."""
        context = self.chat.context.ready()
        store, name, topics = context.learner_store, context.learner_name, context.topics.topics
        weak = store.weak_topics(name, topics, count)
        return weak + store.not_started(name, topics)[: count - len(weak)]

    def conversations(self, limit: int = 30) -> list[SessionInfo]:
        """The learner's earlier chats (not quizzes), most recently active first."""
        sessions = self.store.sessions(self.learner, limit=limit)
        return [session for session in sessions if session.mode not in ("quiz", "exam")]

    # --- the exam's blueprint ------------------------------------------------------------

    def exam_facts(self) -> ExamFacts | None:
        """The exam's length, time and pass mark from its blueprint; None without one.
        Raises a one-line TutorError for a blueprint that does not parse."""
        blueprint = load_blueprint(self.settings.blueprint_path)
        return None if blueprint is None else blueprint.exam

    def coverage(self) -> Coverage | None:
        """The blueprint against the material and the learner's record; None without a
        blueprint (reads the catalog and the learner store: from a worker)."""
        return read_coverage(self.settings, self.learner)

    def readiness(self, today: date | None = None) -> Readiness | None:
        """The forecast for the exam date saved in settings; None without a blueprint.
        Raises a one-line TutorError when no date is saved or it has passed (reads the
        catalog and the learner store: from a worker)."""
        settings = self.settings
        day = chosen_exam_date(settings, None, today)
        found = read_readiness(settings, self.learner, day)
        return None if found is None else Readiness(day, *found)

    # --- the study material --------------------------------------------------------------

    def library(self, added: Iterable[Path] = ()) -> Library:
        """Every library folder (and `added` ones) with its files' index state. Hashes every
        file: call it from a worker."""
        return read_library(self.settings, added)

    def index(
        self,
        roots: Sequence[Path] | None = None,
        progress: ProgressCallback | None = None,
        *,
        added: Iterable[Path] = (),
    ) -> IndexSummary:
        """Index `roots` (default: every library folder and `added`), then let quizzes build
        their question bank afresh. Blocks: call it from a worker. Raises `IndexBusyError`
        while another run holds the index."""
        settings = self.settings
        summary = index_material(settings, roots or folders_to_index(settings, added), progress)
        self.index_changed()
        return summary

    # --- the Ollama server ---------------------------------------------------------------

    def at_host(self, host: str | None = None) -> Settings:
        """The settings in use, pointed at another Ollama host (None: the one in use)."""
        settings = self.settings
        return settings.model_copy(update={"ollama_host": host}) if host else settings

    def server_status(self, model: str | None = None, *, host: str | None = None) -> ServerStatus:
        """The Ollama server in use (or the one at `host`): reachable or why not, its
        version and models, and whether it has `model` (default: the configured one).
        Blocks on the network for 2 s at most."""
        return llm.server_status(self.at_host(host), model)

    def pull(
        self,
        model: str,
        on_progress: Callable[[PullProgress], None],
        *,
        host: str | None = None,
    ) -> None:
        """Download `model` into the Ollama server in use (or the one at `host`), handing
        each progress line to `on_progress`. Blocks until it is done or fails."""
        llm.pull_model(self.at_host(host), model, on_progress)


# --- before the tutor has loaded (the app's loader) ---------------------------------------

model_matches = llm.model_matches
"""Whether an installed model name is the wanted one ("llama3.2" is "llama3.2:latest")."""


def index_is_empty(settings: Settings) -> bool:
    """Whether nothing is indexed yet (a fresh data dir): the loader indexes first."""
    catalog = Catalog.open_for_reading(settings.catalog_path)
    if catalog is None:
        return True
    try:
        return catalog.count_chunks() == 0
    finally:
        catalog.close()


def index_material(
    settings: Settings,
    roots: Sequence[Path] | None = None,
    progress: ProgressCallback | None = None,
) -> IndexSummary:
    """Index `roots` (default: the corpus folder) incrementally, reporting each step to
    `progress`. Blocks (reads files, loads the embedding model): call it from a worker."""
    return Indexer(settings, progress=progress).run(list(roots) if roots else None)
