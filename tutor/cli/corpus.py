"""`tutor index` and `tutor search`: build the index of the study material and search it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.bars import progress_bar
from tutor.cli.root import JsonOption, command, err, fail, out
from tutor.config import Settings


@command
def index(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to index (default: the corpus folder)."),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the whole index and build it again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Index study material incrementally: only new or changed files are embedded."""
    from tutor.corpus.index import Indexer

    settings = Settings()
    show_progress = not as_json and err.is_terminal
    with progress_bar(show_progress) as progress:
        summary = Indexer(settings, progress=progress).run(paths or None, rebuild=rebuild)
    if as_json:
        print(json.dumps(summary.to_dict()))
    else:
        out.print(
            f"Indexed {summary.files_indexed} of {summary.files_seen} files in "
            f"{summary.seconds:.1f}s: {summary.chunks_added} chunks added, "
            f"{summary.chunks_removed} removed, {summary.chunks_unchanged} unchanged."
        )
        for skipped in summary.skipped:
            out.print(f"  skipped {skipped.path}: {skipped.reason}", soft_wrap=True, markup=False)
    if not summary.usable:
        where = ", ".join(str(p) for p in paths) if paths else str(settings.corpus_dir)
        raise fail(f"nothing usable to index in {where}")


@command
def search(
    query: Annotated[
        str, typer.Argument(help="What to look for; '-' reads one query per line from stdin.")
    ],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages to return.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Find the passages of the study material that best answer a question."""
    from tutor.corpus.search import HybridRetriever

    retriever = HybridRetriever.open(Settings())
    try:
        if query == "-":
            # One model load serves every query; one JSON line per query, in order.
            for line in sys.stdin:
                passages = retriever.search(line.strip(), k) if line.strip() else []
                print(json.dumps([p.to_dict() for p in passages]), flush=True)
            return
        passages = retriever.search(query, k)
    finally:
        retriever.close()
    if as_json:
        print(json.dumps([p.to_dict() for p in passages], indent=2))
        return
    if not passages:
        out.print("No passages match that query. Try other words, or check `tutor doctor`.")
        return
    for passage in passages:
        out.print(f"[bold][{passage.rank}][/] [cyan]{escape(passage.citation)}[/]", soft_wrap=True)
        out.print(_excerpt(passage.text), soft_wrap=True, markup=False)
        out.print()


def _excerpt(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"
