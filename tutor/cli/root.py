"""The root `tutor` command: the Typer app, the options its commands share, the `command`
decorator, and `main`, which turns any error into one line on stderr."""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.text import printable_name

app = typer.Typer(
    help="A study tutor for a certification exam (the one named in the corpus folder's "
    "exam.toml): it answers from your study material with citations, quizzes you and keeps "
    "track of your weak topics. Run `tutor` alone in a terminal to open the app.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LearnerOption = Annotated[
    str | None,
    typer.Option("--learner", help="Whose progress to use (default: TUTOR_LEARNER or 'default')."),
]


@app.callback(invoke_without_command=True)
def open_app(context: typer.Context) -> None:
    """`tutor` alone opens the app in a terminal, and prints this help anywhere else."""
    if context.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        from tutor.tui.app import run

        run()
    else:
        print(context.get_help())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say `message` as one error line; raise what this returns to end the command."""
    _say_error(message)
    return typer.Exit(code)


def _say_error(message: object, label: str = "error:") -> None:
    """One line on stderr. The message often quotes what the learner typed, a path or an
    exception's text: shown as plain text (never markup) with control characters as "?"."""
    line = printable_name(" ".join(str(message).split()))
    err.print(Text.assemble((label, "bold red"), " ", line), soft_wrap=True)


def one_line_errors(function: Callable[P, None]) -> Callable[P, None]:
    """`function` with its learner-facing errors (`TutorError`) ending it in one line."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            function(*args, **kwargs)
        except TutorError as error:
            raise fail(str(error)) from None

    return run


def command(function: Callable[P, None]) -> Callable[P, None]:
    """Register a command whose learner-facing errors end it with one line on stderr."""
    return app.command()(one_line_errors(function))


def main() -> None:
    """Entry point: learner-facing errors become one line on stderr, never a traceback."""
    try:
        app()
    except TutorError as error:
        _say_error(error)
        sys.exit(1)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        _say_error(f"invalid setting: {problems}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as error:  # last resort: say what broke in one line
        if os.environ.get("TUTOR_DEBUG"):
            raise
        trouble = _storage_trouble(error)
        if trouble is not None:
            _say_error(trouble)
            sys.exit(1)
        _say_error(
            f"{type(error).__name__}: {error} (run with TUTOR_DEBUG=1 for details)",
            label="internal error:",
        )
        sys.exit(2)


# What to do about a file that cannot be read or written, by errno.
def _storage_trouble(error: Exception) -> str | None:
    """A file or database the tutor could not read or write, said in one line; None when
    the error is something else. The stores word their own errors; this catches the rest."""
    from tutor.storage import storage_hint, storage_problem

    if isinstance(error, sqlite3.OperationalError) and storage_hint(error):
        return f"cannot read or write the data in {_data_dir()}: {storage_problem(error)}"
    if isinstance(error, OSError) and (error.filename is not None or storage_hint(error)):
        where = error.filename if error.filename is not None else _data_dir()
        if isinstance(where, bytes):
            where = os.fsdecode(where)
        return f"cannot read or write {where}: {storage_problem(error)}"
    return None


def _data_dir() -> str:
    try:
        return str(Settings().data_dir)
    except Exception:  # the settings themselves may be what is broken
        return "the data dir"
