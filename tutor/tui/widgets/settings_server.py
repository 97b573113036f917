"""What the Ollama server said when the Settings screen checked it: reachable or not (with
what to do about it), its version and the models it has installed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:
    from tutor.llm import ServerStatus


def report_text(status: ServerStatus) -> str:
    """One line for the learner; the error's own message already says how to fix it."""
    if not status.reachable:
        return f"✗ Not reachable: {status.error}"
    if status.error is not None and status.error.kind != "model_missing":
        return f"✗ {status.error}"
    version = f"Ollama {status.version}" if status.version else "Ollama (version unknown)"
    if not status.models:
        return f"✓ {version} at {status.url}: no models installed yet"
    count = f"{len(status.models)} model{'s' if len(status.models) != 1 else ''}"
    return f"✓ {version} at {status.url}: {count} ({', '.join(status.models)})"


class ServerReport(Static):
    """The outcome of the last check (the screen runs `server_status` in a worker)."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Not checked yet.", markup=False, **kwargs)
        self.status: ServerStatus | None = None

    def checking(self, url: str) -> None:
        self.status = None
        self.remove_class("-ok", "-error")
        self.update(f"Checking {url}…")

    def show(self, status: ServerStatus) -> None:
        self.status = status
        ok = status.reachable and (status.error is None or status.error.kind == "model_missing")
        self.set_class(ok, "-ok")
        self.set_class(not ok, "-error")
        self.update(report_text(status))
