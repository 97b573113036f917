"""`tutor quiz` and `tutor exam`: their options; `tutor.cli.quiz_loop` runs them."""

from __future__ import annotations

from typing import Annotated

import typer

from tutor.cli.quiz_loop import run_quiz
from tutor.cli.root import JsonOption, LearnerOption, command, fail

KindOption = Annotated[
    str,
    typer.Option(
        "--kind",
        help="mc (multiple choice), tf (true/false), short (short answer), or mixed.",
    ),
]
QUIZ_KINDS = ("mc", "tf", "short", "mixed")
DEFAULT_EXAM_QUESTIONS = 20
"""An exam's length when no blueprint gives the real exam's."""
OfflineOption = Annotated[
    bool, typer.Option("--offline", help="Questions built from the material, no model.")
]


@command
def quiz(
    topic: Annotated[
        str | None,
        typer.Option("--topic", help="Stay on one topic (an id from `tutor progress --json`)."),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=200, help="How many questions.")] = 5,
    kind: KindOption = "mixed",
    offline: OfflineOption = False,
    for_exam: Annotated[
        bool | None,
        typer.Option(
            "--for-exam/--any-topic",
            help="Aim at the exam objectives whose study raises your readiness forecast most"
            " (the default once an exam date is saved), or at your weakest topics anywhere.",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue your last unfinished quiz or exam.")
    ] = False,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Quiz yourself: due reviews first, then your weakest topics (or, aimed at the exam,
    the topics of the objectives that raise your forecast most). Answers are read from
    stdin, one per line (a letter or the option for multiple choice, True/False, or a few
    words; a line in another form is asked again); end an answer with ' !' if you were
    sure or ' ?' if you guessed."""
    if kind not in QUIZ_KINDS:
        raise fail(f"--kind must be one of {', '.join(QUIZ_KINDS)}, not {kind!r}")
    run_quiz(
        dict(n=n, kind=kind, topic=topic, exam=False, for_exam=for_exam),
        offline=offline,
        learner=learner,
        as_json=as_json,
        minutes=None,
        resume=resume,
    )


@command
def exam(
    n: Annotated[
        int | None,
        typer.Option(
            "--n",
            min=1,
            max=200,
            help="How many questions (default: as many as the real exam, from blueprint.toml).",
        ),
    ] = None,
    minutes: Annotated[
        float | None,
        typer.Option(
            "--minutes",
            min=0,
            help="The time limit (default: the real exam's; 0 for none).",
        ),
    ] = None,
    offline: OfflineOption = False,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """An exam simulation: questions spread over the exam's sections by their weight in the
    blueprint (or over the topics by their share of the material, without one), no feedback
    until the end, then a report per section against the pass mark and what to review."""
    from tutor.config import Settings
    from tutor.corpus.blueprint import load_blueprint

    blueprint = load_blueprint(Settings().blueprint_path)
    facts = blueprint.exam if blueprint else None
    run_quiz(
        dict(
            n=n or (facts.questions if facts else DEFAULT_EXAM_QUESTIONS),
            kind="mixed",
            topic=None,
            exam=True,
        ),
        offline=offline,
        learner=learner,
        as_json=as_json,
        minutes=(facts.minutes if facts else None) if minutes is None else (minutes or None),
    )
