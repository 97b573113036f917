"""The mastery table: one row per topic with a bar, the evidence behind the estimate and its
next review. Columns are sized to the table's width (the evidence takes what is left and
ends in "…" when narrow; the screen shows the highlighted row whole below)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from tutor.learner.records import TopicProgress
from tutor.learner.report import ProgressReport
from tutor.learner.scheduling import when_due

BAR = 8
"""Cells in a mastery bar."""
MASTERY_WIDTH = BAR + 5  # the bar, a space and "100%"
REVIEW_WIDTH = 10  # "in 14 days"
COLUMNS = 4


def mastery_bar(mastery: float) -> str:
    """E.g. "█████░░░  62%": the bar shows it at a glance, the number exactly."""
    filled = round(mastery * BAR)
    return "█" * filled + "░" * (BAR - filled) + f" {mastery:>4.0%}"


def review_cell(report: ProgressReport, topic: str) -> str:
    """ "2 due" when questions wait for review now, else when the next one is due."""
    due = report.due.get(topic, 0)
    if due:
        return f"{due} due"
    return when_due(report.next_review.get(topic), report.now)


def column_widths(width: int, padding: int) -> tuple[int, int]:
    """(topic, evidence) widths for a table `width` cells wide, scrollbar included."""
    free = max(0, width - 2 - 2 * padding * COLUMNS - MASTERY_WIDTH - REVIEW_WIDTH)
    topic = min(40, max(14, free * 2 // 5))
    return topic, max(16, free - topic)


def cell(text: str) -> Text:
    """Plain text (never markup: titles come from the material), cut with "…"."""
    return Text(text, no_wrap=True, overflow="ellipsis", end="")


class MasteryTable(DataTable):
    """Every topic of the map, weakest first or in map order (`toggle_order`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.report: ProgressReport | None = None
        self.weakest_first = True
        self._built_for = 0

    def show(self, report: ProgressReport) -> None:
        """Fill the table from a fresh report, keeping the highlighted topic."""
        self.report = report
        self._fill()

    def toggle_order(self) -> None:
        self.weakest_first = not self.weakest_first
        self._fill()

    @property
    def highlighted(self) -> TopicProgress | None:
        """The topic under the cursor."""
        if self.report is None or not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.report.row(key) if key is not None else None

    def on_resize(self, event: events.Resize) -> None:
        if self.report is not None and event.size.width != self._built_for:
            self._fill()

    def _fill(self) -> None:
        report = self.report
        if report is None:
            return
        keep = self.highlighted
        width = self.size.width or self.app.size.width
        self._built_for = width
        topic_width, evidence_width = column_widths(width, self.cell_padding)
        order = "Weakest first" if self.weakest_first else "Map order"  # heads the titles
        self.clear(columns=True)
        self.add_column(order, width=topic_width, key="topic")
        self.add_column("Mastery", width=MASTERY_WIDTH, key="mastery")
        self.add_column("Review", width=REVIEW_WIDTH, key="review")
        self.add_column("Evidence", width=evidence_width, key="evidence")
        for row in report.ordered(self.weakest_first):
            self.add_row(
                cell(row.title),
                cell(mastery_bar(row.mastery.mastery)),
                cell(review_cell(report, row.topic)),
                cell(row.reason),
                key=row.topic,
            )
        if keep is not None and report.row(keep.topic) is not None:
            self.move_cursor(row=self.get_row_index(keep.topic), animate=False)
