"""`tutor coverage`: the exam's blueprint against the material and the learner's record."""

from __future__ import annotations

import json

from rich.table import Table
from rich.text import Text

from tutor.cli.root import JsonOption, LearnerOption, command, fail, out
from tutor.config import Settings

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
    if not report.indexed:
        out.print("No material is indexed yet: run `tutor index`.", markup=False)
    elif report.stale:
        out.print(
            "The passages were mapped to another version of the blueprint:"
            " run `tutor index` to map them again (nothing is re-embedded).",
            markup=False,
        )
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
