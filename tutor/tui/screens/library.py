"""The library (F5): the study material's folders and files with their index state; add a
folder; reindex with a live progress bar, then the summary with every skipped file and why.

Reading the states (which hashes every file) and indexing run in thread workers, so the
app keeps answering keys meanwhile. One index run at a time: another is refused with a
message, and one started by `tutor index` elsewhere is named.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input, Static

from tutor.corpus.library import Library, check_folder, library_roots
from tutor.errors import IndexBusyError, TutorError, one_line
from tutor.tui.screens.base import TutorScreen
from tutor.tui.widgets.index_progress import IndexProgress, ProgressRelay
from tutor.tui.widgets.library_tree import LibraryTree

if TYPE_CHECKING:
    from tutor.corpus.index import IndexSummary
    from tutor.tui.services import Services


def status_text(library: Library) -> str:
    """The line above the listing: how much material, and when it was last indexed."""
    folders = len(library.folders)
    files = sum(len(folder.files) for folder in library.folders)
    when = (
        time.strftime("last indexed %Y-%m-%d %H:%M", time.localtime(library.last_indexed))
        if library.last_indexed
        else "never indexed"
    )
    return (
        f"{folders} folder{'' if folders == 1 else 's'} · "
        f"{files} file{'' if files == 1 else 's'} · {when}"
    )


class LibraryScreen(TutorScreen):
    """The material and its index; `action_reindex` is also in the app's palette."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reindex", "Reindex"),
        Binding("a", "add_folder", "Add folder"),
        Binding("escape", "to_list", "Back to the list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.library: Library | None = None
        """The listing on screen (None until first read)."""
        self.indexing = False
        self._added: list[Path] = []
        """Folders added here; after their first run the catalog remembers them too."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the library…", id="library-status", markup=False)
        yield LibraryTree(id="files")
        with VerticalScroll(id="index-report"):
            yield IndexProgress(id="index-progress")
        yield Input(placeholder="Add a folder: type its path, then Enter", id="folder")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#index-report").display = False
        self.query_one(LibraryTree).focus()

    async def services_ready(self, services: Services) -> None:
        self.refresh_library()

    def on_screen_resume(self) -> None:
        # Files may have been edited while another screen was showing.
        if self.services is not None and not self.indexing:
            self.refresh_library()

    # --- the listing ---------------------------------------------------------------------

    def refresh_library(self) -> None:
        """Read every folder's file states again (hashes the files: off the UI thread)."""
        services, added = self.services, list(self._added)
        if services is not None:
            self.read_in_worker(
                "library", lambda: services.library(added), self._show, title="Library"
            )

    def _show(self, library: Library) -> None:
        self.library = library
        self.query_one(LibraryTree).show(library)
        self.query_one("#library-status", Static).update(status_text(library))

    # --- adding a folder -------------------------------------------------------------------

    def action_add_folder(self) -> None:
        self.query_one("#folder", Input).focus()

    def action_to_list(self) -> None:
        self.query_one(LibraryTree).focus()

    @on(Input.Submitted, "#folder")
    def folder_submitted(self, event: Input.Submitted) -> None:
        if not self._may_index():
            return
        settings = self.services.settings
        roots = self.library.roots if self.library else library_roots(settings, (), self._added)
        try:
            folder = check_folder(event.value, roots)
        except TutorError as error:
            self.notify_error("Add a folder", error)
            return
        event.input.clear()
        self._added.append(folder)
        self._start([folder], f"Indexing {folder}")

    # --- indexing --------------------------------------------------------------------------

    def action_reindex(self) -> None:
        """Index every folder of the library again (only new and changed files cost time)."""
        if self._may_index():
            self._start(None, "Reindexing the library")

    def _may_index(self) -> bool:
        if self.services is None:
            self.notify("The tutor is still loading; try again in a moment.", severity="warning")
            return False
        if self.indexing:
            self.notify(
                "Indexing is already running; wait for it to finish.",
                title="Library",
                severity="warning",
            )
            return False
        return True

    def _start(self, folders: list[Path] | None, what: str) -> None:
        self.indexing = True
        self.query_one("#index-report").display = True
        panel = self.query_one(IndexProgress)
        panel.start(what)
        self._index(folders, ProgressRelay(self.app, panel.advance))

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def _index(self, folders: list[Path] | None, progress: ProgressRelay) -> None:
        services = self.services
        assert services is not None
        try:
            summary = services.index(folders, progress, added=list(self._added))
        except Exception as error:  # any failure is a notification; the app carries on
            self.app.call_from_thread(self._failed, error)
        else:
            self.app.call_from_thread(self._indexed, summary)

    def _indexed(self, summary: IndexSummary) -> None:
        self.indexing = False
        self.query_one(IndexProgress).finish(summary)
        if not summary.usable:
            self.notify("Nothing usable was found to index.", title="Library", severity="warning")
        self.refresh_library()

    def _failed(self, error: Exception) -> None:
        self.indexing = False
        self.query_one(IndexProgress).fail(one_line(error))
        busy = isinstance(error, IndexBusyError)
        self.notify_error("Index busy" if busy else "Indexing failed", error)
        self.refresh_library()
