"""A chat's services are replaced whole (Ollama lost, reconnect), never changed in place, and
a turn's cancel event belongs to that turn alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import FrozenInstanceError

import pytest

from tests.fakes import ScriptedChatModel
from tutor.config import Settings
from tutor.errors import TurnCancelled
from tutor.runtime.chat import TutorChat
from tutor.tui.services import Services

RAG = "What is retrieval-augmented generation?"


@pytest.fixture
def chat(home) -> Iterator[TutorChat]:
    model = ScriptedChatModel(replies=["RAG grounds answers in retrieved passages [1]."])
    chat = TutorChat.open(Settings(), chat_model=model)
    yield chat
    chat.close()


def test_a_context_cannot_be_changed_in_place(chat: TutorChat) -> None:
    with pytest.raises(FrozenInstanceError):
        chat.context.chat_model = None  # type: ignore[misc]


def test_going_offline_and_reconnecting_hand_new_contexts_to_chat_and_quiz(
    chat: TutorChat,
) -> None:
    services = Services(chat)
    quiz = services.quiz
    before = chat.context

    services.go_offline("Ollama stopped answering")
    assert before.chat_model is not None and before.offline_reason is None  # as it was
    assert chat.context is not before and quiz.context is chat.context
    assert services.offline and chat.context.offline_reason == "Ollama stopped answering"
    assert chat.context.bank is before.bank  # the material did not change
    turn = chat.ask(RAG, session="s1")
    assert turn.mode == "offline" and "Ollama stopped answering" in (turn.notice or "")

    offline = chat.context
    reason = services.reconnect()  # nothing listens at OLLAMA_HOST
    assert reason is not None and chat.context.offline_reason == reason
    assert chat.context is not offline and quiz.context is chat.context
    assert offline.offline_reason == "Ollama stopped answering"


def test_a_cancel_event_belongs_to_its_turn(chat: TutorChat) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(TurnCancelled):
        chat.ask(RAG, session="s1", cancel=stop)
    assert chat.context.cancel is None
    assert chat.ask(RAG, session="s1").mode == "ollama"
