"""Indexing as it happens: which stage, how far, then what it did (skipped files and why)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, Static

if TYPE_CHECKING:
    from tutor.corpus.index import IndexSummary

STAGES = {"read": "Reading files", "load": "Loading the model", "embed": "Embedding chunks"}


def summary_text(summary: IndexSummary) -> str:
    """What `tutor index` prints, as lines for the app."""
    lines = [
        f"Indexed {summary.files_indexed} of {summary.files_seen} files in "
        f"{summary.seconds:.1f}s: {summary.chunks_added} chunks added, "
        f"{summary.chunks_removed} removed, {summary.chunks_unchanged} unchanged."
    ]
    lines += [f"skipped {s.path}: {s.reason}" for s in summary.skipped]
    return "\n".join(lines)


class ProgressRelay:
    """The indexer's progress callback, for a worker thread: hands (stage, done, total) to
    `handler` on the UI thread, a stage's first and last step always and the steps between
    at most every `every` seconds (a large corpus reports every file)."""

    def __init__(
        self, app: App, handler: Callable[[str, int, int], object], every: float = 0.1
    ) -> None:
        self.app = app
        self.handler = handler
        self.every = every
        self._stage = ""
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self._stage and done < total and now - self._last < self.every:
            return
        self._stage, self._last = stage, now
        self.app.call_from_thread(self.handler, stage, done, total)


class IndexProgress(Vertical):
    """Fed by the indexer's progress callback (through `call_from_thread`)."""

    DEFAULT_CSS = """
    IndexProgress {
        height: auto;
        padding: 0 1;
    }
    IndexProgress .stage {
        color: $text-muted;
    }
    IndexProgress ProgressBar Bar {
        width: 1fr;
    }
    IndexProgress .summary {
        color: $text;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("", classes="stage", markup=False)
        yield ProgressBar(total=None, show_eta=False)
        yield Static("", classes="summary", markup=False)

    def start(self, what: str = "Indexing") -> None:
        self.query_one(".stage", Label).update(f"{what}…")
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one(".summary", Static).update("")

    def advance(self, stage: str, done: int, total: int) -> None:
        label = STAGES.get(stage, stage)
        self.query_one(".stage", Label).update(f"{label} {done}/{total}")
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def finish(self, summary: IndexSummary) -> None:
        self.query_one(".stage", Label).update("Index up to date")
        self.query_one(ProgressBar).display = False
        self.query_one(".summary", Static).update(summary_text(summary))

    def fail(self, message: str) -> None:
        self.query_one(".stage", Label).update("Indexing failed")
        self.query_one(ProgressBar).display = False
        self.query_one(".summary", Static).update(message)
