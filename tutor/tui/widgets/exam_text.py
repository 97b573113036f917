"""What the Exam screen's views (coverage and readiness) say in common: shares as percents,
no blueprint, and the state of the index the passages were mapped in. The wording follows
`tutor coverage` and `tutor readiness`, with the app's keys where those name commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from tutor.learner.exam_forecast import ExamFocus

NO_BLUEPRINT = (
    "No exam blueprint: add blueprint.toml to the corpus folder to see the exam's sections"
    " and objectives (the README's \"The exam's blueprint\" says how); chat and quizzes work"
    " without one."
)
NOT_INDEXED = "No material is indexed yet: index it in the Library (F5, then r)."
STALE = (
    "The passages were mapped to another version of the blueprint: reindex in the Library"
    " (F5, then r) to map them again (nothing is re-embedded)."
)

NOT_AIMED = "No exam objectives to aim at: quizzing on your weakest topics."


def aimed_text(focus: ExamFocus) -> str:
    """What the quiz says when it aims at the exam (as `tutor quiz` does)."""
    return (
        f"Aimed at your exam: objectives {', '.join(focus.objectives)} (Readiness, F7, says why)."
    )


def percent(share: float) -> str:
    return f"{share:.0%}"


def index_note(indexed: bool, stale: bool) -> str:
    """Why the passage counts may be off, or "" when the index is up to date."""
    if not indexed:
        return NOT_INDEXED
    return STALE if stale else ""


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def objective_list(objectives: Iterable[tuple[str, str]]) -> Table | str:
    """(id, text) pairs, a line each, the text wrapped beside its id ("" for none)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, min_width=4)
    table.add_column(ratio=1, overflow="fold")
    for oid, text in objectives:
        table.add_row(oid, Text(text))
    return table if table.row_count else ""


class ExamView(VerticalScroll):
    """A scrolling view of plain-text lines: a `.message` line first for when there is no
    report to show (no blueprint, no exam date...), then the report's own lines."""

    def line(self, selector: str, text: object) -> None:
        """Show `text` (a str or a rich renderable) in the Static at `selector`; hide it
        when empty."""
        widget = self.query_one(selector, Static)
        widget.update(text)  # type: ignore[arg-type]
        widget.display = bool(text)

    def say(self, message: str) -> None:
        """Only `message`, nothing else."""
        for widget in self.query(Static):
            widget.display = False
        self.line(".message", message)

    def report_shown(self) -> None:
        """The report's lines fill the view: no message (`line` shows each of them)."""
        self.query_one(".message", Static).display = False
