"""Whose progress the tutor records: a learner already in the store, or a new name."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.validation import Length
from textual.widgets import Input, Label, Select

MAX_NAME = 64
"""As `Settings.learner` allows."""


class LearnerPicker(Horizontal):
    """A typed new name wins over the selected learner."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("Learner", classes="field")
        yield Select([("…", "")], allow_blank=False, compact=True, id="learner")
        yield Label("or new", classes="or")
        yield Input(
            placeholder="a new learner's name",
            validators=[Length(1, MAX_NAME)],
            valid_empty=True,
            compact=True,
            id="new-learner",
        )

    @property
    def chosen(self) -> str:
        """The typed name, else the selected learner ("" before the store was read)."""
        typed = self.query_one("#new-learner", Input).value.strip()
        value = self.query_one("#learner", Select).value
        return typed or (value if isinstance(value, str) else "")

    def show(self, learners: Iterable[str], current: str) -> None:
        """List the store's learners (and `current`, who may have recorded nothing yet)."""
        self.names = sorted({*learners, current})
        select = self.query_one("#learner", Select)
        select.set_options([(name, name) for name in self.names])
        select.value = current

    def added(self, name: str) -> None:
        """`name` was saved: list and select it, and clear the box it was typed in."""
        self.show(self.names, name)
        self.query_one("#new-learner", Input).value = ""
