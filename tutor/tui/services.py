"""What the app's screens work with once the tutor has loaded: one `TutorChat` (its
context holds the retriever, learner store and chat model) and quizzes over the same
services. Screens call these, never chromadb or ollama directly."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tutor.config import Settings
from tutor.learner.store import LearnerStore
from tutor.runtime.chat import ASKED_OFFLINE, SET_OFFLINE, TutorChat, choose_mode
from tutor.runtime.quiz_session import QuizSession


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
        context = self.chat.context
        settings = settings or context.settings
        offline, reason = choose_mode(settings, False)
        model = None
        if not offline:
            from tutor.llm import build_chat_model

            model = build_chat_model(settings)
        with self._lock:
            context.settings = settings
            context.learner = None  # the settings' learner from now on
            context.chat_model = model
            context.offline = offline
            context.offline_reason = reason
        return reason

    def go_offline(self, reason: str) -> None:
        """Ollama failed mid-session: answer offline (the app looks for it again later)."""
        context = self.chat.context
        with self._lock:
            context.chat_model = None
            context.offline = True
            context.offline_reason = reason

    def index_changed(self) -> None:
        """The material was reindexed: quizzes build their question bank afresh."""
        self.chat.context.forget_question_bank()
