"""One line saying what the tutor runs on: model or offline, learner, conversation."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class StatusLine(Static):
    """Mode, learner and session, set by the screen as they become known."""

    mode: reactive[str] = reactive("loading…")
    learner: reactive[str] = reactive("")
    session: reactive[str] = reactive("")

    def render(self) -> str:
        parts = [self.mode]
        if self.learner:
            parts.append(f"learner {self.learner}")
        if self.session:
            parts.append(f"session {self.session}")
        return " · ".join(parts)
