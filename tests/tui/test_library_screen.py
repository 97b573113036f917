"""The library screen driven like a learner would, over a real index of a small temporary
corpus: file states, reindexing with progress and the summary, adding a folder."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.style import Style
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

import tutor.tui.services as services_module
from tests.tui.pilot import run, until
from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.index import Indexer, IndexLock
from tutor.corpus.library import read_library
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.screens.library import LibraryScreen
from tutor.tui.widgets.index_progress import IndexProgress
from tutor.tui.widgets.library_tree import LibraryTree

RAG = "# Retrieval\n\nRetrieval augmented generation grounds answers in retrieved passages.\n"
DELTA = "# Delta Lake\n\nDelta Lake adds ACID transactions to data lakes.\n"
ZORBLAX = "# Zorblax\n\nThe zorblax index keeps quokka embeddings close to their chunks.\n"
VECTOR = "# Vector search\n\nVector search finds the chunks nearest to a query embedding.\n"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two small notes (and the topic map), as the corpus dir of this test's settings."""
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(PROJECT_CORPUS / "topics.toml", folder / "topics.toml")
    (folder / "rag.md").write_text(RAG)
    (folder / "delta.md").write_text(DELTA)
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(folder))
    return folder.resolve()


@pytest.fixture
def chat(corpus: Path, embedder) -> Iterator[TutorChat]:
    """The offline tutor over an index of the corpus (the chat needs one to open)."""
    Indexer(Settings(), embedder).run()
    chat = TutorChat.open(Settings(), offline=True)
    yield chat
    chat.close()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The screen's indexer is the real one, held after its first progress report until
    the test sets this event: a run lasts as long as the test needs to look at it."""
    held = threading.Event()

    class HeldIndexer(Indexer):
        def __init__(self, settings: Settings, embedder=None, progress=None) -> None:
            def report(stage: str, done: int, total: int) -> None:
                progress(stage, done, total)
                held.wait(30)

            super().__init__(settings, embedder, report)

    monkeypatch.setattr(services_module, "Indexer", HeldIndexer)
    return held


async def open_library(pilot: Pilot) -> LibraryScreen:
    app = pilot.app
    await until(pilot, lambda: app.services is not None)
    await pilot.press("f5")
    screen = app.screen
    assert isinstance(screen, LibraryScreen)
    await until(pilot, lambda: screen.library is not None)
    return screen


def lines(screen: LibraryScreen) -> list[str]:
    return screen.query_one(LibraryTree).lines()


def summary(screen: LibraryScreen) -> str:
    return str(screen.query_one(IndexProgress).query_one(".summary", Static).content)


def stage(screen: LibraryScreen) -> str:
    return str(screen.query_one(IndexProgress).query_one(".stage").content)


def messages(app: TutorApp) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


def test_files_show_their_state_and_a_reindex_reports_progress_and_skips(
    chat: TutorChat, corpus: Path, gate: threading.Event
) -> None:
    app = TutorApp(chat=chat)
    reindexed: list[bool] = []

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_library(pilot)
            assert lines(screen) == [
                f"{corpus}  2 files: 2 indexed",
                "delta.md  indexed · 1 chunk",
                "rag.md  indexed · 1 chunk",
            ]
            assert "2 files · last indexed" in str(screen.query_one("#library-status").content)
            assert not screen.query_one("#index-report").display

            (corpus / "rag.md").write_text(RAG + "\n## Citations\n\nEach answer cites [1].\n")
            (corpus / "new.md").write_text(ZORBLAX)
            (corpus / "bad.md").write_bytes(b"# Scan\n\x00\x00\x01\x02")
            # Coming back to the screen reads the disk again.
            await pilot.press("f2")
            await pilot.press("f5")
            await until(pilot, lambda: "new.md  new · not indexed yet" in lines(screen))
            assert lines(screen)[1:] == [
                "bad.md  skipped · binary file (contains NUL bytes)",
                "delta.md  indexed · 1 chunk",
                "new.md  new · not indexed yet",
                "rag.md  changed since indexing",
            ]

            app.services.index_changed = lambda: reindexed.append(True)
            await pilot.press("r")
            bar = screen.query_one(IndexProgress).query_one(ProgressBar)
            await until(pilot, lambda: stage(screen).startswith("Reading files 1/"))
            assert bar.display and bar.progress == 1 and bar.total == 4
            # The app still answers while the run goes on: screens switch, input takes text,
            # and a second run is refused.
            await pilot.press("f2")
            assert app.current_mode == "chat"
            await pilot.press("f5", "a", *"docs")
            assert app.screen.query_one("#folder", Input).value == "docs"
            await pilot.press("escape", "r")
            assert ("warning", "Indexing is already running; wait for it to finish.") in (
                messages(app)
            )
            assert screen.indexing and not reindexed

            gate.set()
            await until(pilot, lambda: not screen.indexing)
            assert stage(screen) == "Index up to date" and not bar.display
            assert "Indexed 2 of 4 files" in summary(screen)
            assert "skipped notes/bad.md: binary file (contains NUL bytes)" in summary(screen)
            assert reindexed == [True]
            await until(pilot, lambda: "new.md  indexed · 1 chunk" in lines(screen))
            assert lines(screen) == [
                f"{corpus}  4 files: 3 indexed, 1 skipped",
                "bad.md  skipped · binary file (contains NUL bytes)",
                "delta.md  indexed · 1 chunk",
                "new.md  indexed · 1 chunk",
                "rag.md  indexed · 2 chunks",
            ]

        # The tutor's own retriever finds the new material.
        [first, *_] = chat.context.retriever.search("What does the zorblax index keep?")
        assert first.source == "notes/new.md"

    run(scenario)


def test_a_folder_added_by_path_is_indexed_and_a_bad_path_is_refused(
    chat: TutorChat, corpus: Path, tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "vector.md").write_text(VECTOR)
    app = TutorApp(chat=chat)

    async def add(pilot: Pilot, path: str) -> None:
        await pilot.press("a")
        pilot.app.screen.query_one("#folder", Input).value = path
        await pilot.press("enter")

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_library(pilot)
            box = screen.query_one("#folder", Input)
            await add(pilot, str(tmp_path / "nowhere"))
            assert messages(app) == [("error", f"no such folder: {tmp_path / 'nowhere'}")]
            assert box.value == str(tmp_path / "nowhere") and not screen.indexing

            await add(pilot, str(extra))
            assert box.value == ""
            await until(pilot, lambda: f"{extra}  1 file: 1 indexed" in lines(screen))
            assert lines(screen) == [
                f"{corpus}  2 files: 2 indexed",
                "delta.md  indexed · 1 chunk",
                "rag.md  indexed · 1 chunk",
                f"{extra}  1 file: 1 indexed",
                "vector.md  indexed · 1 chunk",
            ]
            assert "Indexed 1 of 1 files" in summary(screen)

            await add(pilot, str(extra))
            assert messages(app)[-1][1].startswith("already in the library: ")

        # The catalog remembers the folder: it is listed after a restart.
        assert read_library(Settings()).roots == [corpus, extra]

    run(scenario)


def test_a_run_elsewhere_holding_the_index_is_named(chat: TutorChat) -> None:
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_library(pilot)
            with IndexLock(Settings()):
                await pilot.press("r")
                await until(pilot, lambda: not screen.indexing)
            [(severity, message)] = messages(app)
            assert severity == "error" and f"pid {os.getpid()}" in message
            assert "another `tutor index`" in message
            assert stage(screen) == "Indexing failed"
            # Once the other run is over, a reindex works.
            await pilot.press("r")
            await until(pilot, lambda: stage(screen) == "Index up to date")

    run(scenario)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_the_screen_fits_80_by_24_in_both_themes(chat: TutorChat, theme: str) -> None:
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            app.theme = theme
            screen = await open_library(pilot)
            await pilot.press("r")
            await until(pilot, lambda: stage(screen) == "Index up to date")
            await pilot.pause()
            region = screen.region
            for widget in ("#library-status", LibraryTree, "#index-report", "#folder"):
                found = screen.query_one(widget)
                assert found.region.area > 0 and region.contains_region(found.region)
            # A file's state is drawn in the theme's colour for it.
            tree = screen.query_one(LibraryTree)
            node = tree.root.children[0].children[0]
            label = tree.render_label(node, Style(), Style())
            success = Color.parse(app.theme_variables["text-success"]).rich_color
            assert label.get_style_at_offset(app.console, len(label) - 1).color == success

    run(scenario)
