"""The Settings screen (F6) driven like a learner would, over the real tutor and a fake
Ollama server on loopback: check the server, pick a model, pull one, change the learner,
Socratic and offline modes, and save to the config file."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Select, Static

from tests.fake_ollama import FakeOllama, refused_host
from tests.tui.pilot import run, until
from tutor.config import Settings, config_path
from tutor.llm import PullProgress
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.screens.settings import SettingsScreen
from tutor.tui.widgets.settings_pull import PullPanel
from tutor.tui.widgets.settings_server import ServerReport

SIZE = (80, 24)
OTHER = "qwen2.5:0.5b"


def saved() -> dict[str, Any]:
    return tomllib.loads(config_path().read_text(encoding="utf-8"))


def report(screen: SettingsScreen) -> str:
    return str(screen.query_one(ServerReport).content)


def options(screen: SettingsScreen, selector: str) -> list[str]:
    return [str(value) for _, value in screen.query_one(selector, Select)._options]


def notes(app: TutorApp, severity: str) -> list[Notification]:
    return [n for n in app._notifications if n.severity == severity]


def fits(screen: SettingsScreen) -> bool:
    """Everything shows at once: the form needs no scrolling either way."""
    form = screen.query_one("#form", VerticalScroll)
    return form.max_scroll_y == 0 and form.max_scroll_x == 0


async def open_settings(pilot: Pilot, app: TutorApp) -> SettingsScreen:
    await until(pilot, lambda: app.services is not None, seconds=60)
    await pilot.press("f6")
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    # Opening the screen asks the server once by itself.
    await until(pilot, lambda: report(screen).startswith(("✓", "✗")))
    return screen


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    """Focus a text box, empty it and type, as a learner does."""
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.press("end", "ctrl+u", *text)


def test_pick_a_model_socratic_and_a_new_learner_then_save_applies_them(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.serve_tags(["llama3.2", OTHER])
    app = TutorApp(chat=TutorChat.open(Settings()))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            assert app.services.mode_label == "llama3.2"
            assert screen.query_one("#host", Input).value == fake_ollama.host
            assert fits(screen)

            # Check the server again (Ctrl+R): its version and both models show.
            asked = len(fake_ollama.requests("/api/tags"))
            await pilot.press("ctrl+r")
            await until(pilot, lambda: len(fake_ollama.requests("/api/tags")) > asked)
            await until(pilot, lambda: report(screen).startswith("✓"))
            assert "Ollama 0.12.6" in report(screen) and "2 models" in report(screen)
            assert options(screen, "#model") == ["llama3.2:latest", OTHER]
            assert screen.query_one("#model", Select).value == "llama3.2:latest"

            # Pick the other model from the list, with the keyboard.
            screen.query_one("#model", Select).focus()
            await pilot.press("enter", "down", "enter")
            assert screen.query_one("#model", Select).value == OTHER
            await pilot.click("#socratic")

            # A learner name longer than 64 characters: one line, nothing saved.
            await type_into(pilot, "#new-learner", "x" * 65)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: bool(notes(app, "error")))
            [error] = notes(app, "error")
            assert "learner" in error.message and "64" in error.message
            assert "\n" not in error.message
            assert not config_path().exists()

            await type_into(pilot, "#new-learner", "ada")
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda: any(str(config_path()) in n.message for n in notes(app, "information")),
            )
            assert saved() == {"ollama_model": OTHER, "socratic": True, "learner": "ada"}
            # The tutor switches at once, without a restart.
            await until(pilot, lambda: app.services.mode_label == OTHER)
            assert app.services.learner == "ada" and app.services.settings.socratic
            await until(pilot, lambda: "learner ada" in str(screen.query_one("#now").content))
            assert "ada" in options(screen, "#learner")
            assert screen.query_one("#learner", Select).value == "ada"
            assert screen.query_one("#new-learner", Input).value == ""
            assert fits(screen)

    run(scenario)


def test_a_missing_model_is_offered_for_pulling_and_the_pull_shows_progress(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    # The server lacks the configured llama3.2, so the tutor starts offline.
    fake_ollama.serve_tags([OTHER])
    app = TutorApp(chat=TutorChat.open(Settings()))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            assert app.services.offline
            note = screen.query_one("ModelPicker .note", Static)
            assert note.display and "llama3.2 is not installed" in str(note.content)
            assert screen.query_one("#pull-name", Input).value == "llama3.2"

            # The download fails half-way: one line, the app carries on.
            fake_ollama.serve_pull_error("max retries exceeded: connection reset", steps_before=2)
            screen.query_one("#pull-name", Input).focus()
            await pilot.press("enter")
            await until(pilot, lambda: bool(notes(app, "error")))
            [error] = notes(app, "error")
            assert "max retries exceeded" in error.message and "\n" not in error.message
            status = screen.query_one(".pull-status")
            assert "max retries exceeded" in str(status.content)

            # Again, and this time it arrives: progress to the end, the list refreshes.
            fake_ollama.serve_pull("llama3.2", steps=4)
            panel = screen.query_one(PullPanel)
            seen: list[float | None] = []
            original = panel.advance

            def record(step: PullProgress) -> None:
                seen.append(step.fraction)
                original(step)

            panel.advance = record
            await pilot.click("#pull")
            await until(pilot, lambda: "Pulled llama3.2" in str(status.content))
            fractions = [f for f in seen if f is not None]
            assert fractions == [0.25, 0.5, 0.75, 1.0]
            assert screen.query_one(ProgressBar).percentage == 1.0
            await until(pilot, lambda: "llama3.2:latest" in options(screen, "#model"))
            assert screen.query_one("#model", Select).value == "llama3.2:latest"
            assert not note.display
            assert fake_ollama.pull_requests()[-1]["model"] == "llama3.2"
            # It was the model the tutor was waiting for: it answers with it now.
            await until(pilot, lambda: app.services.mode_label == "llama3.2")
            assert fits(screen)

    run(scenario)


def test_an_unreachable_host_says_how_to_fix_it_and_offline_mode_saves(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    app = TutorApp(chat=TutorChat.open(Settings()))
    closed = refused_host()

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            assert not app.services.offline
            await type_into(pilot, "#host", closed)
            await pilot.press("enter")  # Enter in the host box checks it
            await until(pilot, lambda: report(screen).startswith("✗"))
            assert "Not reachable" in report(screen) and "ollama serve" in report(screen)
            assert closed in report(screen)
            assert fits(screen)

            await pilot.click("#offline")
            await pilot.click("#save")
            await until(pilot, lambda: config_path().exists())
            assert saved() == {"ollama_host": closed, "offline": True}
            await until(pilot, lambda: app.services.offline)
            assert app.services.mode_label == "offline"
            # OLLAMA_HOST (set by the fixture) still wins over the saved host: it says so.
            await until(pilot, lambda: any(n.title == "Settings" for n in notes(app, "warning")))
            [warning] = [n for n in notes(app, "warning") if n.title == "Settings"]
            assert "OLLAMA_HOST" in warning.message and str(config_path()) in warning.message
            host_note = screen.query_one("#env-ollama_host", Static)
            assert host_note.display and "OLLAMA_HOST" in str(host_note.content)
            assert app.services.settings.ollama_host == fake_ollama.host

    run(scenario)


def test_the_exam_date_saves_clears_and_refuses_what_is_not_a_date(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(offline=True)))
    ahead = date.today() + timedelta(days=40)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            box = screen.query_one("#exam-date", Input)
            assert box.value == "" and fits(screen)

            # Not a date: one line, nothing saved.
            await type_into(pilot, "#exam-date", "31/01/2027")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: bool(notes(app, "error")))
            [error] = notes(app, "error")
            assert error.title == "Not saved" and "\n" not in error.message
            assert error.message == (
                "the exam date must be a date like 2027-01-31, not '31/01/2027'"
            )
            assert not config_path().exists() and app.services.settings.exam_date is None

            # A date: saved, and in use at once (the Exam screen forecasts for it).
            await type_into(pilot, "#exam-date", ahead.strftime("%Y%m%d"))
            await pilot.press("ctrl+s")
            await until(pilot, lambda: config_path().exists())
            assert saved() == {"exam_date": ahead}
            assert box.value == ahead.isoformat()  # shown as saved
            await until(pilot, lambda: app.services.settings.exam_date == ahead)

            # Empty: no exam date any more.
            await type_into(pilot, "#exam-date", "")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "exam_date" not in saved())
            await until(pilot, lambda: app.services.settings.exam_date is None)
            assert fits(screen)

    run(scenario)


def test_an_exam_date_in_the_environment_is_shown_and_said_to_win(
    data_dir: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTOR_EXAM_DATE", "2031-05-06")
    app = TutorApp(chat=TutorChat.open(Settings(offline=True)))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            assert screen.query_one("#exam-date", Input).value == "2031-05-06"
            note = screen.query_one("#env-exam_date", Static)
            assert note.display and "TUTOR_EXAM_DATE" in str(note.content)

    run(scenario)


def test_search_settings_save_and_the_reranker_is_used_from_the_next_search(
    data_dir: Path, fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    fake_ollama.serve_tags(["llama3.2"])
    folder = tmp_path / "my-cross-encoder"
    app = TutorApp(chat=TutorChat.open(Settings()))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot, app)
            assert fits(screen)
            assert not app.services.settings.query_rewrite
            await pilot.click("#query-rewrite")
            await type_into(pilot, "#reranker", str(folder))
            await pilot.press("ctrl+s")
            # A folder that is not there is refused in one line, and nothing is saved.
            await until(pilot, lambda: bool(notes(app, "error")))
            [error] = notes(app, "error")
            assert "is not a folder" in error.message and "\n" not in error.message
            assert not config_path().exists()

            folder.mkdir()
            await pilot.press("ctrl+s")
            await until(pilot, config_path().exists)
            assert saved() == {"query_rewrite": True, "reranker": str(folder)}
            await until(pilot, lambda: app.services.settings.query_rewrite)
            retriever = app.services.chat.context.retriever
            await until(pilot, lambda: retriever.reranker is not None)
            assert retriever.reranker.path == folder

            await type_into(pilot, "#reranker", "")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "reranker" not in saved())
            await until(pilot, lambda: retriever.reranker is None)
            assert fits(screen)

    run(scenario)
