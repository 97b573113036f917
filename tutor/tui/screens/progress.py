"""Progress (F4): mastery per topic with the evidence behind it, reviews due, and mastery
over time. Read from the learner store in a worker whenever the screen is shown, on R,
and when the learner changes; nothing here writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from tutor.errors import one_line
from tutor.learner.records import TopicProgress
from tutor.learner.report import ProgressReport, read_progress
from tutor.learner.scheduling import when_due
from tutor.tui.screens.base import TutorScreen
from tutor.tui.widgets.progress_plot import MasteryPlot
from tutor.tui.widgets.progress_reviews import ReviewsDue, plural
from tutor.tui.widgets.progress_table import MasteryTable

if TYPE_CHECKING:
    from tutor.tui.services import Services


def detail_text(report: ProgressReport, row: TopicProgress) -> str:
    """The highlighted topic in full: title, mastery, evidence and reviews."""
    due = report.due.get(row.topic, 0)
    if due:
        review = f"{plural(due, 'review')} due now"
    elif row.topic in report.next_review:
        review = f"next review {when_due(report.next_review[row.topic], report.now)}"
    else:
        review = "no reviews scheduled"
    return f"{row.title}: {row.mastery.mastery:.0%}, {row.reason}; {review}."


class ProgressScreen(TutorScreen):
    """The learner's progress, fresh each time it is shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("o", "order", "Order"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: ProgressReport | None = None
        """The report on show (None until the first read finishes)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ReviewsDue(id="reviews")
        yield MasteryTable(id="mastery")
        yield Static("", id="detail", markup=False)
        yield MasteryPlot(id="history")
        yield Footer()

    # --- when to read --------------------------------------------------------------------

    async def services_ready(self, services: Services) -> None:
        self.refresh_progress()

    async def services_changed(self, services: Services) -> None:
        self.refresh_progress()  # the learner may have changed

    def on_screen_resume(self) -> None:
        # Answers given in the quiz or the chat since the screen was last shown.
        self.refresh_progress()

    def action_refresh(self) -> None:
        self.refresh_progress()

    def action_order(self) -> None:
        self.query_one(MasteryTable).toggle_order()

    def refresh_progress(self) -> None:
        """Read the learner's progress afresh (in a worker); a no-op until loaded."""
        if self.services is not None:
            self._read(self.services)

    # --- reading and showing -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="progress", exit_on_error=False)
    def _read(self, services: Services) -> None:
        worker = get_current_worker()
        try:
            context = services.chat.context.ready()
            assert context.learner_store is not None and context.topics is not None
            report = read_progress(
                context.learner_store, context.learner_name, context.topics.topics, history=True
            )
        except Exception as error:  # any failure becomes a notification, never a traceback
            if not worker.is_cancelled:
                self.app.call_from_thread(
                    self.notify, one_line(error), title="Progress", severity="error", markup=False
                )
            return
        if not worker.is_cancelled:  # a newer read is on its way
            self.app.call_from_thread(self.show_report, report)

    def show_report(self, report: ProgressReport) -> None:
        self.report = report
        self.query_one(ReviewsDue).show(report)
        self.query_one(MasteryTable).show(report)
        self.query_one(MasteryPlot).show(report.history, len(report.rows), report.learner)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#mastery")
    def _show_detail(self) -> None:
        row = self.query_one(MasteryTable).highlighted
        detail = self.query_one("#detail", Static)
        detail.update(detail_text(self.report, row) if self.report and row else "")
