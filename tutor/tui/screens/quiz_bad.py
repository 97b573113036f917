"""Asks before a question is retired as bad (Ctrl+B on the quiz card), with an optional
reason, so one stray key does not drop a question for good."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

WHY_LENGTH = 200


class ConfirmBad(ModalScreen[tuple[bool, str | None]]):
    """Dismisses with (True, the reason or None) to retire the question, (False, None) to
    keep it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "keep", "Keep it"),
    ]

    def __init__(self, previous: bool) -> None:
        super().__init__()
        self.previous = previous

    def compose(self) -> ComposeResult:
        which = "the question you just answered" if self.previous else "this question"
        with Vertical():
            yield Static(
                f"Retire {which} as bad? You will not be asked it again, its review is "
                "dropped and its grade no longer counts.",
                markup=False,
            )
            yield Input(placeholder="why (optional), Enter to retire", id="bad-why")
            with Horizontal():
                yield Button("Retire (Enter)", id="retire", variant="error")
                yield Button("Keep it (Esc)", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#bad-why", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._retire()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "retire":
            self._retire()
        else:
            self.action_keep()

    def _retire(self) -> None:
        why = " ".join(self.query_one("#bad-why", Input).value.split())[:WHY_LENGTH]
        self.dismiss((True, why or None))

    def action_keep(self) -> None:
        self.dismiss((False, None))
