"""The Coverage view (Exam screen, F7): the exam's blueprint against the learner's material
and record, as `tutor coverage` prints it. First the exam's facts and the share of its
weight the material covers, then the objectives with no material at all ("Add material
on:"), then per section and objective the passages supporting it and the learner's mastery
("—" until there is evidence)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tutor.learner.coverage import shown_mastery
from tutor.tui.widgets.exam_text import NO_BLUEPRINT, ExamView, index_note, objective_list, percent

if TYPE_CHECKING:
    from tutor.learner.coverage import Coverage
    from tutor.learner.mastery import Mastery

NO_EVIDENCE = "—"


def mastery_cell(mastery: Mastery) -> str:
    """The mastery in percent, or "—" until the learner has answered on it."""
    shown = shown_mastery(mastery)
    return NO_EVIDENCE if shown is None else percent(shown)


def facts_line(report: Coverage) -> str:
    exam = report.exam
    return (
        f"{exam.name}: {exam.questions} questions in {exam.minutes} minutes,"
        f" pass mark {percent(exam.pass_mark)}"
    )


def covered_line(report: Coverage) -> str:
    objectives = [o for s in report.sections for o in s.objectives]
    covered = sum(1 for o in objectives if o.passages)
    return (
        f"Your material covers {percent(report.covered_weight)} of the exam's weight"
        f" ({covered} of {len(objectives)} objectives)."
    )


def uncovered_list(report: Coverage) -> Table | str:
    """The objectives no passage supports, heaviest section first: what to add."""
    return objective_list((o.id, o.text) for o in report.uncovered)


def coverage_table(report: Coverage) -> Table:
    """Each section (bold), then its objectives: weight, passages and mastery."""
    table = Table(box=None, header_style="bold", expand=True, pad_edge=False)
    table.add_column("Section / objective", ratio=1, overflow="fold")
    for column in ("Weight", "Passages", "Mastery"):
        table.add_column(column, justify="right", no_wrap=True)
    for section in report.sections:
        table.add_row(
            Text(section.title, style="bold"),
            f"{section.weight:g}%",
            str(section.passages),
            mastery_cell(section.mastery),
        )
        for objective in section.objectives:
            table.add_row(
                Text(f"  {objective.id} {objective.text}"),
                "",
                str(objective.passages),
                mastery_cell(objective.mastery),
            )
    return table


class CoverageView(ExamView):
    """Filled in by `show` with each fresh report (None: there is no blueprint)."""

    def compose(self) -> ComposeResult:
        yield Static("Reading the blueprint…", classes="message", markup=False)
        yield Static("", id="coverage-facts", classes="title", markup=False)
        yield Static("", id="coverage-note", classes="note", markup=False)
        yield Static("", id="coverage-share", markup=False)
        yield Static("Add material on:", id="coverage-add-heading", classes="heading")
        yield Static("", id="coverage-add")
        yield Static("", id="coverage-table", classes="table")

    def show(self, report: Coverage | None) -> None:
        if report is None:
            self.say(NO_BLUEPRINT)
            return
        self.report_shown()
        self.line("#coverage-facts", facts_line(report))
        self.line("#coverage-note", index_note(report.indexed, report.stale))
        self.line("#coverage-share", covered_line(report))
        add = uncovered_list(report)
        self.line("#coverage-add", add)
        self.query_one("#coverage-add-heading").display = bool(add)
        self.line("#coverage-table", coverage_table(report))
