"""The chat screen driven like a learner would, over the real tutor graph and the indexed
project corpus, with a scripted chat model in place of Ollama."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from tests.fakes import CutAfter, ScriptedChatModel
from tests.tui.pilot import run, until
from tutor.config import Settings
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.widgets.exchange import Exchange
from tutor.tui.widgets.question_input import QuestionInput
from tutor.tui.widgets.status_line import StatusLine
from tutor.tui.widgets.weak_topics import WeakTopics

SIZE = (100, 30)
RLHF_ANSWER = (
    "RLHF trains a reward model from human rankings [1] and then tunes the policy against "
    "that reward model, so that the answers people prefer become the likely ones, while a "
    "penalty keeps the tuned model close to where it started."
)


class SlowChatModel(ScriptedChatModel):
    """Streams like the scripted model, but waits between words, as a CPU-bound model does."""

    delay: float = 0.05
    streamed: int = 0
    """Chunks handed out so far: a stopped answer stops asking for more."""

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator:
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(self.delay)
            self.streamed += 1
            yield chunk


class PausingChatModel(ScriptedChatModel):
    """Streams the first `before_pause` words, then waits for `go` before the rest."""

    before_pause: int = 8
    go: Any = None

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator:
        for n, chunk in enumerate(super()._stream(*args, **kwargs)):
            if n == self.before_pause:
                self.go.wait(30)
            yield chunk


async def ask(pilot: Pilot, question: str) -> None:
    await pilot.click(QuestionInput)
    pilot.app.screen.query_one(QuestionInput).value = question
    await pilot.press("enter")


async def type_now(app: TutorApp, *keys: str) -> None:
    """Key presses that do not wait for the app to go idle (`Pilot.press` does, and a
    streaming answer keeps it busy until the end)."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    await asyncio.sleep(0.1)


def exchanges(app: TutorApp) -> list[Exchange]:
    return list(app.screen.query(Exchange))


def state(exchange: Exchange) -> str:
    return str(exchange.query_one(".state", Static).content)


def sources(exchange: Exchange) -> str:
    return "\n".join(exchange.source_lines)


def test_input_has_focus_and_an_answer_streams_with_its_sources(data_dir: Path) -> None:
    go = threading.Event()
    model = PausingChatModel(replies=[RLHF_ANSWER], go=go)
    chat = TutorChat.open(Settings(), chat_model=model)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.focused, QuestionInput)
            await until(pilot, lambda: app.chat_screen.session is not None)
            status = str(app.screen.query_one(StatusLine).render())
            assert "scripted-fake" in status and app.chat_screen.session in status
            assert "learner default" in status

            await pilot.press(*"What is RLHF?", "enter")
            [exchange] = exchanges(app)
            # Part of the answer shows before the model has finished writing it.
            await until(pilot, lambda: "reward" in exchange.answer.source)
            assert len(exchange.answer.source) < len(RLHF_ANSWER) and not sources(exchange)
            go.set()
            await until(pilot, lambda: "[1]" in sources(exchange))
            assert "RLHF trains a reward model" in exchange.answer.source
            assert "corpus/" in sources(exchange)
            assert app.screen.query_one(QuestionInput).value == ""
            # The question comes back with the up arrow.
            await pilot.press("up")
            assert app.screen.query_one(QuestionInput).value == "What is RLHF?"
            await until(pilot, lambda: len(app.screen.query_one(WeakTopics).query(".topic")) == 3)

        assert len(chat.history(app.chat_screen.session)) == 1

    run(scenario)


def test_offline_answers_quote_the_material_whole(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.chat_screen.chat is not None)
            assert "offline" in str(app.screen.query_one(StatusLine).render())
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(exchange))
            assert "Offline mode" in exchange.answer.source
            assert "RLHF" in exchange.answer.source and "(#cite-1)" in exchange.answer.source

    run(scenario)


def test_questions_typed_while_loading_wait_for_the_tutor(data_dir: Path) -> None:
    gate = threading.Event()
    opened: list[TutorChat] = []

    def slow_open(settings: Settings) -> TutorChat:
        while not gate.is_set():
            time.sleep(0.02)
        opened.append(TutorChat.open(Settings(), chat_model=ScriptedChatModel(replies=["x"])))
        return opened[0]

    app = TutorApp(open_chat=slow_open)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "loading" in str(app.screen.query_one(StatusLine).render())
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            assert state(exchange) == "waiting…"
            gate.set()
            await until(pilot, lambda: "[1]" in sources(exchange))
            assert exchange.answer.source.startswith("x")

    run(scenario)


def test_escape_stops_an_answer_and_saves_nothing(data_dir: Path) -> None:
    reply = " ".join(["Reinforcement learning from human feedback [1] ranks outputs."] * 8)
    model = SlowChatModel(replies=[reply], delay=0.03)
    chat = TutorChat.open(Settings(), chat_model=model)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.chat_screen.chat is not None)
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: "human" in exchange.answer.source)
            # The input still takes keys while the answer streams.
            await type_now(app, *"next q")
            box = app.screen.query_one(QuestionInput)
            assert box.value == "next q" and app.chat_screen.busy
            await type_now(app, "escape")
            assert state(exchange) == "(stopped)"  # at once, before the run has wound down
            partial = exchange.answer.source
            assert "human" in partial and len(partial) < len(reply)
            await until(pilot, lambda: not app.chat_screen.busy)
            # The model's stream was closed at the next token, not read to its end.
            assert model.streamed < len(reply.split())
            assert exchange.answer.source == partial and state(exchange) == "(stopped)"
            assert not sources(exchange)
            assert box.value == "next q" and app.focused is box

        store = chat.context.learner_store
        assert store.events(chat.context.learner_name) == []
        assert chat.history(app.chat_screen.session) == []

    run(scenario)


def test_a_cut_answer_notifies_and_gives_the_question_back(data_dir: Path) -> None:
    cut = CutAfter("RLHF trains a reward", httpx.RemoteProtocolError("peer closed connection"))
    chat = TutorChat.open(Settings(), chat_model=ScriptedChatModel(replies=[cut]))
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.chat_screen.chat is not None)
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: state(exchange) == "(failed)")
            assert app.screen.query_one(QuestionInput).value == "What is RLHF?"
            [note] = app._notifications
            assert note.severity == "error" and "cut off" in note.message

        assert chat.history(app.chat_screen.session) == []

    run(scenario)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_the_screen_fits_80_by_24_in_both_themes(data_dir: Path, theme: str) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            app.theme = theme
            await until(pilot, lambda: app.chat_screen.chat is not None)
            await pilot.pause()
            screen = app.screen.region
            for widget in (
                app.screen.query_one(QuestionInput),
                app.screen.query_one(StatusLine),
                app.screen.query_one("#conversation"),
                app.screen.query_one(WeakTopics),
            ):
                assert widget.region.area > 0 and screen.contains_region(widget.region)

    run(scenario)
