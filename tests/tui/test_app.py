"""The app around the screens: first run on a fresh data dir, Ollama going and coming back,
citations, conversations, help and the command palette."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from tests.fake_ollama import FakeOllama
from tests.fakes import ScriptedChatModel
from tests.tui.pilot import run, until
from tests.tui.test_chat_screen import SIZE, ask, exchanges, sources, state
from tutor.config import Settings
from tutor.corpus.index import Indexer
from tutor.runtime.chat import TutorChat
from tutor.text import short_heading
from tutor.tui.app import TutorApp
from tutor.tui.screens.help import HelpScreen
from tutor.tui.screens.sessions import SessionPicker
from tutor.tui.widgets.citation_panel import CitationPanel
from tutor.tui.widgets.index_progress import IndexProgress
from tutor.tui.widgets.status_line import StatusLine

RLHF_ANSWER = "RLHF tunes a model against a reward model trained on human rankings [1]."


def status(app: TutorApp) -> str:
    return str(app.chat_screen.query_one(StatusLine).render())


def banner(app: TutorApp) -> str | None:
    widget = app.chat_screen.query_one("#banner")
    return str(widget.content) if widget.display else None


def test_first_run_indexes_in_the_background_and_keeps_the_question(
    isolated_env: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh data dir: nothing indexed yet. The model load is shared with the session's.
    assert not isolated_env.exists()
    seen: list[tuple[str, int, int]] = []
    # The real indexer, held at the start until the question has been typed.
    gate = threading.Event()
    original_run = Indexer.run

    def gated_run(self, *args, **kwargs):
        gate.wait(60)
        return original_run(self, *args, **kwargs)

    monkeypatch.setattr(Indexer, "run", gated_run)
    app = TutorApp(
        settings=Settings(),
        open_chat=lambda settings: TutorChat.open(
            settings, chat_model=ScriptedChatModel(replies=[RLHF_ANSWER])
        ),
    )

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.chat_screen.query_one("#first-index", IndexProgress)
            await until(pilot, lambda: panel.display)
            assert "indexing" in status(app)
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            assert "index" in state(exchange)  # waiting for the index, not lost
            original = panel.advance

            def record(stage: str, done: int, total: int) -> None:
                seen.append((stage, done, total))
                original(stage, done, total)

            panel.advance = record
            gate.set()
            await until(pilot, lambda: "[1]" in sources(exchange), seconds=120)
            assert exchange.answer.source.startswith("RLHF tunes")
            assert "Index up to date" in str(panel.query_one(".stage").content)
            assert "Indexed 1 of 1 files" in str(panel.query_one(".summary").content)

    run(scenario)
    assert (isolated_env / "tutor.sqlite").exists()
    assert any(stage == "embed" for stage, _, _ in seen)


def test_ollama_going_away_shows_a_banner_and_coming_back_switches_to_it(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.serve_chat("Reward models rank answers by human preference [1].")
    app = TutorApp(settings=Settings(), recheck_seconds=0.3)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            assert "llama3.2" in status(app) and banner(app) is None
            await ask(pilot, "What is RLHF?")
            [first] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(first))
            assert "Reward models rank" in first.answer.source

            # The model disappears from the server (say it was removed): the next turn
            # answers offline, and the app says so and how to fix it.
            fake_ollama.serve_tags([])
            fake_ollama.serve_chat_error(404, 'model "llama3.2" not found, try pulling it first')
            await ask(pilot, "What is a Markov decision process?")
            second = exchanges(app)[1]
            await until(pilot, lambda: "[1]" in sources(second))
            assert "Offline mode" in second.answer.source
            await until(pilot, lambda: banner(app) is not None)
            assert "tutor pull llama3.2" in banner(app)
            assert "offline" in status(app)

            # The learner pulls it again: the periodic check notices and switches back.
            fake_ollama.serve_tags(["llama3.2"])
            fake_ollama.serve_chat("Q-learning learns action values [1].")
            await until(pilot, lambda: banner(app) is None, seconds=20)
            assert "llama3.2" in status(app)
            assert any("Ollama is back" in (n.title or "") for n in app._notifications)
            await ask(pilot, "What is Q-learning?")
            third = exchanges(app)[2]
            await until(pilot, lambda: "[1]" in sources(third))
            assert "Q-learning learns action values" in third.answer.source

    run(scenario)


def test_the_server_stopping_mid_session_falls_back_to_offline(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.serve_chat("Few-shot prompts show worked examples [1].")
    app = TutorApp(settings=Settings(), recheck_seconds=60)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            assert "llama3.2" in status(app)
            fake_ollama.stop()
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(exchange))
            assert "Offline mode" in exchange.answer.source
            await until(pilot, lambda: banner(app) is not None)
            assert "ollama serve" in banner(app)

    run(scenario)


def test_a_citation_opens_the_passage_with_its_key_sentences_highlighted(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), chat_model=ScriptedChatModel(replies=[RLHF_ANSWER]))
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            await ask(pilot, "What is reinforcement learning with human feedback?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(exchange))
            assert "(#cite-1)" in exchange.answer.source  # [1] in the answer is a link
            panel = app.chat_screen.query_one(CitationPanel)
            assert not panel.display
            # Keyboard: Ctrl+O goes from the question box to the answer's sources.
            await pilot.press("ctrl+o")
            assert app.focused is exchange.query_one("OptionList")
            await pilot.press("enter")
            await until(pilot, lambda: panel.display and panel.highlights)
            passage = exchange.passages[1]
            title = str(panel.query_one(".title").content)
            assert title == f"[1] {passage['source']}"
            where = str(panel.query_one(".where").content)
            assert short_heading(passage["heading"]) in where and " line" in where
            text = panel.query_one(".text")
            assert str(text.content) == passage["text"]
            # The highlighted sentences are sentences of the passage, on its subject.
            assert all(sentence in passage["text"] for sentence in panel.highlights)
            spans = text.content.spans
            assert spans and all(span.end > span.start for span in spans)
            assert any("human" in s.lower() or "feedback" in s.lower() for s in panel.highlights)
            await pilot.press("escape")
            assert not panel.display
            # A click on the [1] link in the answer opens it too.
            exchange.answer.post_message(exchange.answer.LinkClicked(exchange.answer, "#cite-1"))
            await until(pilot, lambda: panel.display)
            assert panel.passage is passage

    run(scenario)


def test_new_resume_and_socratic_from_the_palette(data_dir: Path) -> None:
    model = ScriptedChatModel(replies=[RLHF_ANSWER, "A guiding question [1]?", "x [1]"])
    chat = TutorChat.open(Settings(), chat_model=model)
    app = TutorApp(chat=chat)

    async def command(pilot, name: str) -> None:
        """Run a command from the palette by typing its name, as a learner would."""
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(Input).value = name
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("down", "enter")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            first_session = app.chat_screen.session
            await ask(pilot, "What is RLHF?")
            [exchange] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(exchange))

            await command(pilot, "New conversation")
            await until(pilot, lambda: app.chat_screen.session != first_session)
            assert exchanges(app) == []

            await command(pilot, "Toggle Socratic mode")
            assert app.chat_screen.socratic and "Socratic" in status(app)
            await ask(pilot, "What is a reward model?")
            [second] = exchanges(app)
            await until(pilot, lambda: "[1]" in sources(second))
            values = chat.graph.get_state({"configurable": {"thread_id": app.chat_screen.session}})
            assert values.values["socratic"] is True

            await command(pilot, "Resume a conversation")
            await until(pilot, lambda: isinstance(app.screen, SessionPicker))
            picker = app.screen
            ids = [picker.sessions[i].id for i in range(len(picker.sessions))]
            assert first_session in ids
            # Most recent first: the Socratic one, then the first conversation.
            await pilot.press("down", "enter")
            await until(pilot, lambda: app.chat_screen.session == first_session)
            [resumed] = exchanges(app)
            assert resumed.question == "What is RLHF?"
            assert "reward model" in resumed.answer.source

    run(scenario)


def test_help_screen_opens_and_closes(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            text = app.screen.query_one("Markdown").source
            for name in (
                "Chat (F2)",
                "Quiz (F3)",
                "Progress (F4)",
                "Library (F5)",
                "Settings (F6)",
                "Exam (F7)",
                "*Coverage*",
                "*Readiness*",
                "exam date",
            ):
                assert name in text
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.chat_screen)

    run(scenario)


def test_keys_move_between_screens_and_back_to_the_same_chat(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            await ask(pilot, "What is RLHF?")
            await until(pilot, lambda: "[1]" in sources(exchanges(app)[0]))
            for key, mode in (
                ("f3", "quiz"),
                ("f4", "progress"),
                ("f5", "library"),
                ("f6", "settings"),
                ("f7", "exam"),
            ):
                await pilot.press(key)
                await until(pilot, lambda mode=mode: app.current_mode == mode)
            await pilot.press("f2")
            await until(pilot, lambda: app.screen is app.chat_screen)
            assert len(exchanges(app)) == 1

    run(scenario)


def test_a_loader_failure_is_a_notification_not_a_crash(data_dir: Path) -> None:
    def broken(settings: Settings) -> TutorChat:
        raise OSError("disk on fire")

    app = TutorApp(settings=Settings(), open_chat=broken)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: bool(app._notifications))
            [note] = app._notifications
            assert note.severity == "error" and "disk on fire" in note.message
            assert app.is_running

    run(scenario)


def test_a_crash_is_one_line_and_a_log_not_a_traceback(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    log = tmp_path / "logs" / "crash.log"
    monkeypatch.setattr("tutor.tui.app.crash_log_path", lambda: log)
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    def explode() -> None:
        raise RuntimeError("a bug in a handler")

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: app.services is not None)
                app.call_later(explode)
                await pilot.pause(0.5)

    run(scenario)
    shown = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert shown.startswith("internal error: RuntimeError: a bug in a handler")
    assert f"details in {log}" in shown and "Traceback" not in shown
    assert "Traceback" in log.read_text() and "explode" in log.read_text()


def test_new_settings_apply_at_once_and_a_new_learner_gets_a_new_conversation(
    data_dir: Path,
) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            await ask(pilot, "What is RLHF?")
            await until(pilot, lambda: "[1]" in sources(exchanges(app)[0]))
            before = app.chat_screen.session
            app.apply_settings(Settings(learner="ann", offline=True))
            await until(pilot, lambda: "learner ann" in status(app))
            assert app.services.learner == "ann" and app.services.offline
            assert app.chat_screen.session != before and exchanges(app) == []
            await ask(pilot, "What is Q-learning?")
            await until(pilot, lambda: "[1]" in sources(exchanges(app)[0]))
            store = app.services.store
            assert [e.kind for e in store.events("ann")] == ["asked"]
            assert [e.kind for e in store.events("default")] == ["asked"]

    run(scenario)


def test_the_palette_offers_each_screens_own_keys(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert {"Chat: New chat", "Chat: Sources", "New conversation", "Quiz"} <= set(titles)
            await pilot.press("f4")
            await until(pilot, lambda: app.current_mode == "progress")
            commands = {c.title: c for c in app.get_system_commands(app.screen)}
            assert {"Progress: Refresh", "Progress: Order"} <= commands.keys()
            assert not any(title.startswith("Chat:") for title in commands)
            # Run from the palette, the command does what its key does.
            table = app.screen.query_one("#mastery")
            assert table.weakest_first
            await pilot.press("ctrl+p")
            await pilot.pause()
            app.screen.query_one(Input).value = "Progress: Order"
            await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
            await pilot.press("enter")
            await until(pilot, lambda: not table.weakest_first)

    run(scenario)
