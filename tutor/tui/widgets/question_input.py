"""The question box: an `Input` that remembers what was asked (up/down recall it)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class QuestionInput(Input):
    """Where the learner types; up and down walk through earlier questions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "recall(-1)", "Previous question", show=False),
        Binding("down", "recall(1)", "Next question", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="Ask about the material… (Enter to ask)", **kwargs)
        self.asked: list[str] = []
        self._cursor = 0
        self._draft = ""

    def remember(self, question: str) -> None:
        """Add a question to the history (once, most recent last) and reset the recall."""
        if question in self.asked:
            self.asked.remove(question)
        self.asked.append(question)
        self._cursor = len(self.asked)
        self._draft = ""

    def action_recall(self, step: int) -> None:
        if not self.asked:
            return
        if self._cursor == len(self.asked):
            self._draft = self.value  # what was being typed comes back after the newest
        self._cursor = max(0, min(len(self.asked), self._cursor + step))
        self.value = self._draft if self._cursor == len(self.asked) else self.asked[self._cursor]
        self.cursor_position = len(self.value)
