"""`tutor pull` and `tutor doctor`: get the chat model, and check that everything works."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from tutor.cli.bars import progress_bar
from tutor.cli.root import JsonOption, command, err, out
from tutor.config import Settings


@command
def pull(
    model: Annotated[
        str | None, typer.Argument(help="The Ollama model (default: TUTOR_OLLAMA_MODEL).")
    ] = None,
) -> None:
    """Download a chat model into the Ollama server, with a progress bar."""
    from tutor.llm import PullProgress, pull_model

    settings = Settings()
    name = model or settings.ollama_model
    bars: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description:<24}", markup=False),  # the server's words
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:

        def show(step: PullProgress) -> None:
            key = step.digest or step.status
            label = (step.digest or step.status)[:24].replace("sha256:", "")
            if key not in bars:
                bars[key] = bar.add_task(label, total=step.total)
            bar.update(bars[key], completed=step.completed or 0, total=step.total)

        pull_model(settings, name, show)
    out.print(f"Pulled {name}; `tutor ask` will use it.", markup=False)


@command
def doctor(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="First make the index agree with the files: reindex changed files, rebuild "
            "lost catalog rows and full-text entries, fix or drop wrong vectors (embedding "
            "only chunks that have no usable vector).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the data dir, the index (and drift between its stores), the vector store and
    Ollama, and say what is wrong."""
    from tutor.runtime.doctor import run_checks

    settings = Settings()
    repaired = None
    if repair:
        from tutor.corpus.repair import repair_index

        with progress_bar(not as_json and err.is_terminal) as progress:
            repaired = repair_index(settings, progress=progress)
        if not as_json:
            out.print(repaired.describe(), soft_wrap=True, markup=False)
    checks = run_checks(settings)
    if as_json:
        listed = [c.to_dict() for c in checks]
        data = {"repair": repaired.to_dict(), "checks": listed} if repaired else listed
        print(json.dumps(data, indent=2))
    else:
        for check in checks:
            # An optional check (Ollama, the question supply) is a note, not a failure.
            mark = (
                "[green]ok[/]  "
                if check.ok
                else "[red]FAIL[/]"
                if check.required
                else "[yellow]note[/]"
            )
            out.print(f"{mark} {escape(f'{check.name:<12} {check.detail}')}", soft_wrap=True)
    if not all(c.ok for c in checks if c.required):
        raise typer.Exit(1)
