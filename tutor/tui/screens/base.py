"""The base of the app's screens: each gets the tutor's services once they have loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen
from textual.worker import get_current_worker

from tutor.errors import one_line

if TYPE_CHECKING:
    from tutor.tui.services import Services

T = TypeVar("T")


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

    def notify_error(self, title: str, error: BaseException) -> None:
        """A failure, in one line: the app carries on."""
        self.notify(one_line(error), title=title, severity="error", markup=False)

    def read_in_worker(
        self, group: str, read: Callable[[], T], show: Callable[[T], object], *, title: str
    ) -> None:
        """Run `read` (SQLite, the index, the network: slow) in a thread worker and hand its
        result to `show` on the UI thread, unless a newer read in the same `group` replaced
        it meanwhile: stale results never show. A failure is a notification titled `title`."""

        def run() -> None:
            worker = get_current_worker()
            try:
                result = read()
            except Exception as error:  # any failure becomes a notification, never a crash
                if not worker.is_cancelled:
                    self.app.call_from_thread(self.notify_error, title, error)
                return
            if not worker.is_cancelled:
                self.app.call_from_thread(show, result)

        self.run_worker(run, group=group, exclusive=True, thread=True, exit_on_error=False)
