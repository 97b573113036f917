"""Pick an earlier conversation to resume (the palette's "Resume a conversation")."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from tutor.learner.records import SessionInfo


def ago(then: float, now: float) -> str:
    minutes = max(0, int((now - then) // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


class SessionPicker(ModalScreen[str | None]):
    """Returns the chosen session's id, or None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, sessions: Sequence[SessionInfo]) -> None:
        super().__init__()
        self.sessions = list(sessions)

    def compose(self) -> ComposeResult:
        now = time.time()
        with Vertical():
            yield Label("Resume a conversation (Enter picks, Esc cancels)")
            yield OptionList(
                *(
                    Option(
                        f"{s.title[:60]}  ·  {s.turns} turns  ·  {ago(s.updated_at, now)}",
                        id=s.id,
                    )
                    for s in self.sessions
                )
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
