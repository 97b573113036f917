"""The base of the app's screens: each gets the tutor's services once they have loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from tutor.tui.services import Services


class TutorScreen(Screen):
    """A screen that works with the tutor. The window paints before the models load, so
    `services` is None at first; `services_ready` runs once they are there (at mount when
    the app has them already, else when the app's loader finishes)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.services: Services | None = None

    def on_mount(self) -> None:
        services = getattr(self.app, "services", None)
        if services is not None:
            self.call_later(self.receive, services)

    async def receive(self, services: Services) -> None:
        """Hand the screen its services (once)."""
        if self.services is services:
            return
        self.services = services
        await self.services_ready(services)

    async def services_ready(self, services: Services) -> None:
        """Override: fill the screen now that the tutor is loaded. Keep slow reads
        (SQLite, the index, the network) in workers."""

    async def services_changed(self, services: Services) -> None:
        """Override: the mode, model or learner changed (Settings, or Ollama came back)."""
