"""What the main screens look like at 80x24, compared with the SVGs in __snapshots__/
(pytest-textual-snapshot; `pytest --snapshot-update` after an intended change). The
progress screen's snapshot lives with its tests. The library and settings screens show
machine-specific paths and times, so their layout is checked by their own tests instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.pilot import until
from tests.tui.test_chat_screen import sources
from tutor.config import Settings
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.widgets.exchange import Exchange
from tutor.tui.widgets.status_line import StatusLine

SIZE = (80, 24)
SESSION = "0a1b2c3d4e"
"""Conversation ids are random; the snapshots show this one instead."""


@pytest.fixture
def app(data_dir: Path) -> TutorApp:
    return TutorApp(chat=TutorChat.open(Settings(), offline=True))


async def loaded(pilot: Pilot) -> None:
    app = pilot.app
    # A blinking cursor would be caught on or off at random.
    app.chat_screen.query_one("#question").cursor_blink = False
    await until(pilot, lambda: app.services is not None)
    app.chat_screen.session = SESSION
    app.chat_screen.query_one(StatusLine).session = SESSION


def test_chat_with_an_offline_answer(app: TutorApp, snap_compare: Callable[..., bool]) -> None:
    async def ask(pilot: Pilot) -> None:
        await loaded(pilot)
        app.chat_screen.query_one("#question").value = "What is a Markov decision process?"
        await pilot.press("enter")
        exchange = app.chat_screen.query_one(Exchange)
        await until(pilot, lambda: "[1]" in sources(exchange))
        await app.workers.wait_for_complete()  # the sidebar's weak topics, read afresh
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_chat_with_a_citation_open(app: TutorApp, snap_compare: Callable[..., bool]) -> None:
    async def open_citation(pilot: Pilot) -> None:
        await loaded(pilot)
        app.chat_screen.query_one("#question").value = "What is RLHF?"
        await pilot.press("enter")
        exchange = app.chat_screen.query_one(Exchange)
        await until(pilot, lambda: "[1]" in sources(exchange))
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+o", "enter")
        panel = app.chat_screen.query_one("#citation")
        await until(pilot, lambda: bool(panel.highlights))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_citation)


def test_quiz_setup(app: TutorApp, snap_compare: Callable[..., bool]) -> None:
    async def open_quiz(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: app.current_mode == "quiz" and app.screen.services is not None)
        await until(pilot, lambda: not app.screen.query_one("#setup-start").disabled)
        # The exam's length comes from its blueprint, read in a worker.
        await until(pilot, lambda: app.screen.query_one("#setup-exam-n").value == "45")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_quiz)


def test_help(app: TutorApp, snap_compare: Callable[..., bool]) -> None:
    async def open_help(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_help)


def test_exam_coverage(app: TutorApp, snap_compare: Callable[..., bool]) -> None:
    async def open_coverage(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f7")
        await until(pilot, lambda: app.current_mode == "exam")
        await until(pilot, lambda: min(app.screen.reads.values()) > 0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_coverage)
