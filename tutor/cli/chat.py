"""`tutor ask`: one turn of a conversation with the tutor, streamed to the terminal."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

from tutor.cli.root import JsonOption, LearnerOption, command, err, fail, out
from tutor.config import Settings
from tutor.text import source_citation

MAX_QUESTION_CHARS = 20_000


@command
def ask(
    question: Annotated[str, typer.Argument(help="Your question; '-' reads it from stdin.")],
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            help="Continue a conversation (an id or prefix from `tutor sessions`).",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Answer from the material alone, without a model.")
    ] = False,
    socratic: Annotated[
        bool | None,
        typer.Option(
            "--socratic/--no-socratic",
            help="Guide with hints and a question back; stays on for the conversation.",
        ),
    ] = None,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the tutor: an answer from the study material, with its sources cited."""
    from tutor.llm import OllamaError
    from tutor.runtime.chat import TutorChat

    text = sys.stdin.read() if question == "-" else question
    if not text.strip():
        raise fail("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise fail(f"the question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    # Loading the embedding model and a cold chat model take seconds: say so on a terminal.
    waiting = err.status("Getting ready…") if err.is_terminal and not as_json else None
    if waiting is not None:
        waiting.start()

    def on_token(piece: str) -> None:
        if waiting is not None:
            waiting.stop()
        _print_token(piece)

    try:
        chat = TutorChat.open(Settings(), offline=offline, learner=learner)
        if waiting is not None:
            waiting.update("Thinking…")
        try:
            thread = chat.resolve_session(session)
            result = chat.ask(
                text, session=thread, socratic=socratic, on_token=None if as_json else on_token
            )
        except OllamaError as error:
            if error.started and not as_json:
                print(flush=True)
            raise fail(f"{error} (nothing was saved)") from None
        finally:
            chat.close()
    finally:
        if waiting is not None:
            waiting.stop()
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
        return
    if result.streamed:
        if result.check:
            print(f"\n\nQuick check: {result.check}\n(Reply with the missing term, or `skip`.)")
        else:
            print()
    else:
        print(result.answer)
    if result.sources:
        out.print("\n[bold]Sources[/]")
        for source in result.sources:
            out.print(
                f"  [{source['n']}] {source_citation(source)}",
                soft_wrap=True,
                markup=False,
            )
    thread = escape(thread)
    err.print(f'[dim]conversation {thread}: continue with `tutor ask -s {thread} "…"`[/]')


def _print_token(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
