"""`tutor progress` and `tutor export anki`: what the learner's record shows and exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tutor.cli.root import JsonOption, LearnerOption, app, command, fail, one_line_errors, out
from tutor.config import Settings

export_app = typer.Typer(help="Export your questions for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("anki")
@one_line_errors
def export_anki(
    path: Annotated[Path, typer.Argument(help="The .apkg file to write.")],
    learner: LearnerOption = None,
) -> None:
    """An Anki deck of the questions you have answered; the ones you missed are tagged."""
    from tutor.corpus.exam import load_exam
    from tutor.learner.anki import export_deck
    from tutor.learner.store import LearnerStore

    settings = Settings()
    with LearnerStore.open(settings, readonly=True) as store:
        answered = store.answered_questions(learner or settings.learner)
    if not answered:
        raise fail("no answered questions yet: take a quiz with `tutor quiz` first")
    try:
        count = export_deck(answered, path, load_exam(settings.exam_path))
    except OSError as error:
        raise fail(f"cannot write {path}: {error.strerror or error}") from None
    missed = sum(1 for _, _, wrong in answered if wrong)
    out.print(f"Wrote {count} questions ({missed} tagged missed) to {path}.", markup=False)


@command
def progress(learner: LearnerOption = None, as_json: JsonOption = False) -> None:
    """Your mastery per topic, weakest first, with the evidence behind each estimate."""
    from tutor.corpus.topics import load_topics
    from tutor.learner.report import read_progress
    from tutor.learner.scheduling import when_due
    from tutor.learner.store import LearnerStore

    settings = Settings()
    topics = load_topics(settings.topics_path)
    with LearnerStore.open(settings, readonly=True) as store:
        report = read_progress(store, learner or settings.learner, topics.topics)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    table = Table(box=None, header_style="bold")
    for column in ("topic", "mastery", "", "right", "review", "why"):
        table.add_column(column, overflow="fold")
    for row in report.weakest_first():
        m = row.mastery
        bar = "█" * round(m.mastery * 10) + "░" * (10 - round(m.mastery * 10))
        table.add_row(
            Text(row.title),
            bar,
            f"{m.mastery:.0%}",
            f"{m.correct}/{m.attempts}",
            when_due(report.next_review.get(row.topic), report.now),
            Text(row.reason),
        )
    out.print(table)
