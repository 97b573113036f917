"""`tutor sessions`: the learner's conversations and quizzes, most recent first."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tutor.cli.root import JsonOption, LearnerOption, command, out
from tutor.config import Settings


@command
def sessions(
    learner: LearnerOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to list.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List conversations, most recent first; continue one with `tutor ask --session ID`."""
    from tutor.learner.store import LearnerStore

    settings = Settings()
    with LearnerStore.open(settings, readonly=True) as store:
        found = store.sessions(learner or settings.learner, limit=limit)
    if as_json:
        print(json.dumps([s.to_dict() for s in found], indent=2))
        return
    if not found:
        out.print('No conversations yet: start one with `tutor ask "…"`.')
        return
    table = Table(box=None, header_style="bold")
    for column in ("id", "last active", "turns", "mode", "started with"):
        table.add_column(column)
    for info in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated_at))
        # Text cells: a title is what the learner typed, and "[/x]" in it is not markup.
        table.add_row(info.id, when, str(info.turns), info.mode or "", Text(info.title))
    out.print(table)
