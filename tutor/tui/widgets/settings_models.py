"""The chat model, picked from the models the Ollama server has installed."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static

from tutor.tui.services import model_matches


class ModelPicker(Vertical):
    """The server's installed models; the wanted one is selected, and listed even when the
    server lacks it (the note says so), so saving never switches model behind one's back."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("Model", classes="field")
            yield Select([("…", "")], allow_blank=False, compact=True, id="model")
        yield Static("", classes="note", markup=False)

    def on_mount(self) -> None:
        self.query_one(".note").display = False

    @property
    def chosen(self) -> str:
        """The selected model's name ("" before the server has been asked)."""
        value = self.query_one("#model", Select).value
        return value if isinstance(value, str) else ""

    def preset(self, model: str) -> None:
        """The configured model, until the server has been asked."""
        select = self.query_one("#model", Select)
        select.set_options([(model, model)])
        select.value = model

    def show(self, installed: Sequence[str], wanted: str, reachable: bool) -> bool:
        """List `installed`, select `wanted`; return whether the server has it."""
        match = next((name for name in installed if model_matches(wanted, name)), None)
        # Labels are the names themselves: Select keeps showing the old label when the
        # options change but the selected value does not.
        options = [(name, name) for name in installed]
        if match is None and wanted:
            options.insert(0, (wanted, wanted))
        select = self.query_one("#model", Select)
        if options:
            select.set_options(options)
            select.value = match or wanted
        note = self.query_one(".note", Static)
        missing = reachable and match is None and bool(wanted)
        note.display = missing
        if missing:
            note.update(f"{wanted} is not installed on this server: Pull below downloads it.")
        return match is not None
