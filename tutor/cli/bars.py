"""A progress bar on stderr, one row per stage, for the long runs: indexing and repair."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from tutor.cli.root import err


class progress_bar:
    """A rich progress bar on a terminal; a no-op callback otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        self.bar = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.bar.start()
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        assert self.bar is not None
        label = {"read": "Reading files", "load": "Loading model", "embed": "Embedding chunks"}.get(
            stage, stage
        )
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
