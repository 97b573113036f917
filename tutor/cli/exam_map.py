"""`tutor coverage` and `tutor readiness`: the exam's blueprint against the material and the
learner's record, and the forecast for the exam date."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tutor.cli.root import JsonOption, LearnerOption, command, fail, out
from tutor.config import Settings, save_settings

NO_BLUEPRINT = (
    "no exam blueprint: add blueprint.toml to the corpus folder to see the exam's sections"
    " and objectives (the README's \"The exam's blueprint\" says how); chat and quizzes work"
    " without one"
)


def percent(share: float) -> str:
    return f"{share:.0%}"


@command
def coverage(learner: LearnerOption = None, as_json: JsonOption = False) -> None:
    """Which of the exam's objectives your material covers, and your mastery of each:
    objectives with no material first."""
    from tutor.learner.coverage import read_coverage

    settings = Settings()
    report = read_coverage(settings, learner or settings.learner)
    if report is None:
        raise fail(NO_BLUEPRINT)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    exam = report.exam
    out.print(
        Text.assemble(
            (exam.name, "bold"),
            f": {exam.questions} questions in {exam.minutes} minutes,"
            f" pass mark {percent(exam.pass_mark)}",
        )
    )
    say_index_state(report.indexed, report.stale)
    objectives = [o for s in report.sections for o in s.objectives]
    covered = sum(1 for o in objectives if o.passages)
    out.print(
        f"Your material covers {percent(report.covered_weight)} of the exam's weight"
        f" ({covered} of {len(objectives)} objectives).",
        markup=False,
    )
    uncovered = report.uncovered
    if uncovered:
        out.print()
        out.print(Text("Add material on:", style="bold"))
        for objective in uncovered:
            out.print(Text(f"  {objective.id:<5} {objective.text}"), soft_wrap=True)
    out.print()
    table = Table(box=None, header_style="bold")
    for column in ("section / objective", "weight", "passages", "mastery"):
        table.add_column(column, overflow="fold")
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
    out.print(table)


def mastery_cell(m) -> str:
    from tutor.learner.coverage import shown_mastery

    shown = shown_mastery(m)
    return "—" if shown is None else percent(shown)


def say_index_state(indexed: bool, stale: bool) -> None:
    if not indexed:
        out.print("No material is indexed yet: run `tutor index`.", markup=False)
    elif stale:
        out.print(
            "The passages were mapped to another version of the blueprint:"
            " run `tutor index` to map them again (nothing is re-embedded).",
            markup=False,
        )


@command
def readiness(
    exam_date: Annotated[
        str | None,
        typer.Option(
            "--exam-date",
            metavar="YYYY-MM-DD",
            help="The day of your exam (default: the one saved in settings).",
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Also save --exam-date in settings for next time.")
    ] = False,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your forecast score on the exam date if you studied no more: per section, with a 90%
    band and your chance of passing, and the three objectives whose study would raise it
    most."""
    from tutor.learner.exam_forecast import chosen_exam_date, parse_exam_date, read_readiness

    settings = Settings()
    given = parse_exam_date(exam_date) if exam_date is not None else None
    day = chosen_exam_date(settings, given)
    found = read_readiness(settings, learner or settings.learner, day)
    if found is None:
        raise fail(NO_BLUEPRINT)
    if save and given is not None:
        save_settings({"exam_date": given})
    record, outlook = found
    if as_json:
        print(json.dumps(outlook.to_dict(), indent=2))
        return
    exam = record.blueprint.exam
    days = (day - date.today()).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    out.print(Text.assemble((exam.name, "bold"), f" on {day.isoformat()} ({when})"))
    say_index_state(record.indexed, record.stale)
    out.print(
        Text.assemble(
            "Forecast score: ",
            (percent(outlook.predicted), "bold"),
            f" (90% band {percent(outlook.low)} to {percent(outlook.high)}),"
            f" pass mark {percent(outlook.pass_mark)}; chance of passing: ",
            (percent(outlook.p_pass), "bold"),
        ),
        soft_wrap=True,
    )
    out.print(evidence_line(outlook.answers), markup=False)
    out.print()
    titles = {s.id: s.title for s in record.blueprint.sections}
    table = Table(box=None, header_style="bold")
    for column in ("section", "weight", "forecast", "answers"):
        table.add_column(column, overflow="fold")
    for section in outlook.sections:
        table.add_row(
            titles[section.id],
            f"{section.weight:g}%",
            percent(section.predicted),
            str(section.answers),
        )
    out.print(table)
    if outlook.study_next:
        named = {o.id: o for o in record.blueprint.objectives}
        out.print()
        out.print(Text("Study next (raises the forecast most):", style="bold"))
        for oid in outlook.study_next:
            out.print(Text(f"  {oid:<5} {named[oid].text}"), soft_wrap=True)
        out.print("`tutor quiz --for-exam` quizzes you on them.", markup=False)


FEW_ANSWERS = 30
"""Below this many answers the forecast says how little it rests on."""


def evidence_line(answers: int) -> str:
    """What the forecast rests on, in words."""
    if answers == 0:
        return (
            "No answers on the exam's objectives yet: this is a typical new learner's forecast,"
            " and the band narrows as you answer questions (`tutor quiz --for-exam`)."
        )
    if answers < FEW_ANSWERS:
        return (
            f"Based on only {answers} answer{'s' if answers != 1 else ''} on the exam's"
            " objectives: the band narrows as you answer more."
        )
    return f"Based on {answers} answers on the exam's objectives."
