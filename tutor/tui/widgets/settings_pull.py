"""Pulling a model into the Ollama server: a name, a button, and the download's progress.

The screen runs the pull in a worker and feeds each progress line to `advance`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.filesize import decimal
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, ProgressBar

if TYPE_CHECKING:
    from tutor.llm import PullProgress


def progress_text(step: PullProgress) -> str:
    """Ollama's status line, with the bytes so far while a layer downloads."""
    status = step.status or "pulling"
    if step.total and step.completed is not None:
        return f"{status} · {decimal(step.completed)} of {decimal(step.total)}"
    return status


class PullPanel(Vertical):
    """Type a model name and press Enter (or Pull): posts `Requested`."""

    class Requested(Message):
        """The learner asked to pull `model`."""

        def __init__(self, model: str) -> None:
            super().__init__()
            self.model = model

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("Pull", classes="field")
            yield Input(placeholder="a model name, e.g. qwen2.5:0.5b", compact=True, id="pull-name")
            yield Button("Pull", compact=True, id="pull")
        with Horizontal(id="pull-progress"):
            yield ProgressBar(total=None, show_eta=False)
            yield Label("", classes="pull-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pull-progress").display = False

    @on(Input.Submitted, "#pull-name")
    @on(Button.Pressed, "#pull")
    def request(self, event: Message) -> None:
        event.stop()
        name = self.query_one("#pull-name", Input).value.strip()
        if not name:
            self.notify("Type the name of a model to pull, e.g. llama3.2.", severity="warning")
            return
        self.post_message(self.Requested(name))

    def suggest(self, model: str) -> None:
        """Offer `model` for pulling (the configured one is missing), unless a name is typed."""
        box = self.query_one("#pull-name", Input)
        if not box.value.strip():
            box.value = model

    def start(self, model: str) -> None:
        self.query_one("#pull-progress").display = True
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self._status(f"pulling {model}…")

    def advance(self, step: PullProgress) -> None:
        if step.total and step.completed is not None:
            self.query_one(ProgressBar).update(total=step.total, progress=step.completed)
        self._status(progress_text(step))

    def finish(self, model: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=bar.total or 1, progress=bar.total or 1)
        self._status(f"Pulled {model}.")
        self.query_one("#pull-name", Input).value = ""

    def fail(self, message: str) -> None:
        self.query_one(ProgressBar).display = False  # the whole message, where the bar was
        self._status(message, error=True)

    def _status(self, text: str, error: bool = False) -> None:
        label = self.query_one(".pull-status", Label)
        label.set_class(error, "-error")
        label.update(text)
