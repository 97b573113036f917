"""The Readiness view (Exam screen, F7): the forecast of the learner's score on the exam
date saved in Settings if they studied no more, as `tutor readiness` prints it. The forecast
with its 90% band, the pass mark and the chance of passing; what it rests on; per section
its weight, forecast and answers; and the objectives whose study would raise it most."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tutor.errors import one_line
from tutor.tui.widgets.exam_text import ExamView, index_note, objective_list, percent, plural

if TYPE_CHECKING:
    from tutor.tui.services import Readiness

NO_EXAM_DATE = (
    "No exam date yet: set it in Settings (F6) to see your forecast score for that day"
    " and what to study next."
)
FEW_ANSWERS = 30
"""Below this many answers the forecast says how little it rests on (as the CLI does)."""
AIMED = "A quiz on any topic (F3) asks about them while your exam date is ahead."


def date_message(saved: date | None, error: BaseException, today: date | None = None) -> str:
    """Why there is no forecast, in one line: no exam date saved, or it has passed."""
    today = today or date.today()
    if saved is None:
        return NO_EXAM_DATE
    if saved < today:
        return (
            f"Your exam date, {saved.isoformat()}, has passed: set the next one in Settings (F6)."
        )
    return one_line(error)


def evidence_line(answers: int) -> str:
    """What the forecast rests on, in words."""
    if answers == 0:
        return (
            "No answers on the exam's objectives yet: this is a typical new learner's forecast,"
            " and the band narrows as you answer questions (a quiz for the exam, F3)."
        )
    if answers < FEW_ANSWERS:
        return (
            f"Based on only {plural(answers, 'answer')} on the exam's objectives: the band"
            " narrows as you answer more."
        )
    return f"Based on {answers} answers on the exam's objectives."


def when(day: date, today: date) -> str:
    days = (day - today).days
    return "today" if days == 0 else f"in {plural(days, 'day')}"


def title_line(shown: Readiness, today: date) -> str:
    exam = shown.record.blueprint.exam
    return f"{exam.name} on {shown.day.isoformat()} ({when(shown.day, today)})"


def forecast_line(shown: Readiness) -> Text:
    outlook = shown.forecast
    return Text.assemble(
        "Forecast score: ",
        (percent(outlook.predicted), "bold"),
        f" (90% band {percent(outlook.low)} to {percent(outlook.high)}),"
        f" pass mark {percent(outlook.pass_mark)}; chance of passing: ",
        (percent(outlook.p_pass), "bold"),
    )


def sections_table(shown: Readiness) -> Table:
    titles = {s.id: s.title for s in shown.record.blueprint.sections}
    table = Table(box=None, header_style="bold", expand=True, pad_edge=False)
    table.add_column("Section", ratio=1, overflow="fold")
    for column in ("Weight", "Forecast", "Answers"):
        table.add_column(column, justify="right", no_wrap=True)
    for section in shown.forecast.sections:
        table.add_row(
            Text(titles[section.id]),
            f"{section.weight:g}%",
            percent(section.predicted),
            str(section.answers),
        )
    return table


def study_next_list(shown: Readiness) -> Table | str:
    """The objectives whose study would raise the forecast most, with their text."""
    named = {o.id: o for o in shown.record.blueprint.objectives}
    return objective_list((oid, named[oid].text) for oid in shown.forecast.study_next)


class ReadinessView(ExamView):
    """Filled in by `show` with each fresh forecast, or by `say` with why there is none."""

    def compose(self) -> ComposeResult:
        yield Static("Reading your record…", classes="message", markup=False)
        yield Static("", id="readiness-title", classes="title", markup=False)
        yield Static("", id="readiness-note", classes="note", markup=False)
        yield Static("", id="readiness-forecast")
        yield Static("", id="readiness-evidence", classes="about", markup=False)
        yield Static("", id="readiness-table", classes="table")
        yield Static(
            "Study next (raises the forecast most):", id="readiness-next-heading", classes="heading"
        )
        yield Static("", id="readiness-next")
        yield Static(AIMED, id="readiness-aimed", classes="about", markup=False)

    def show(self, shown: Readiness, today: date | None = None) -> None:
        today = today or date.today()
        record = shown.record
        self.report_shown()
        self.line("#readiness-title", title_line(shown, today))
        self.line("#readiness-note", index_note(record.indexed, record.stale))
        self.line("#readiness-forecast", forecast_line(shown))
        self.line("#readiness-evidence", evidence_line(shown.forecast.answers))
        self.line("#readiness-table", sections_table(shown))
        study = study_next_list(shown)
        self.line("#readiness-next", study)
        for selector in ("#readiness-next-heading", "#readiness-aimed"):
            self.query_one(selector).display = bool(study)
