"""The services a chat or quiz runs with, chosen for this run: Ollama's model when the server
answers and has it pulled, else offline with the reason to show (the graphs' `TutorContext`
built from settings)."""

from __future__ import annotations

from dataclasses import replace

from langchain_core.language_models import BaseChatModel

from graphs.context import TutorContext, use_settings
from tutor.config import Settings
from tutor.llm import build_chat_model, server_status

ASKED_OFFLINE = "offline mode was asked for (--offline)"
SET_OFFLINE = "offline mode is on in the settings (TUTOR_OFFLINE or the Settings screen)"


def choose_mode(settings: Settings, offline: bool) -> tuple[bool, str | None]:
    """Offline or not, and why: the server must answer and have the model pulled."""
    if offline:
        return True, ASKED_OFFLINE
    if settings.offline:
        return True, SET_OFFLINE
    status = server_status(settings)
    # `error` covers both an unreachable server and a model that is not pulled.
    return (True, str(status.error)) if status.error is not None else (False, None)


def choose_model(
    settings: Settings, offline: bool = False
) -> tuple[BaseChatModel | None, str | None]:
    """The chat model to answer with, or None and why not (`choose_mode`)."""
    offline, reason = choose_mode(settings, offline)
    if offline:
        return None, reason
    return build_chat_model(settings), None


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
        chat_model, reason = choose_model(settings, offline)
        offline = chat_model is None
    return TutorContext.from_settings(
        settings, chat_model=chat_model, offline=offline, offline_reason=reason, learner=learner
    )


def reconnected(context: TutorContext, settings: Settings | None = None) -> TutorContext:
    """A copy of `context` on Ollama or offline as chosen now (after a settings change, or
    to see whether Ollama is back), with `settings` and their learner. Blocks on the
    network."""
    settings = settings or context.settings
    use_settings(context.retriever, settings)
    model, reason = choose_model(settings)
    return replace(
        context,
        settings=settings,
        learner=None,
        chat_model=model,
        offline=model is None,
        offline_reason=reason,
    )
