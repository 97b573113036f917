"""The settings screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from tutor.tui.screens.base import TutorScreen


class SettingsScreen(TutorScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("settings")
        yield Footer()
