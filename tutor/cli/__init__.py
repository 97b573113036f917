"""The `tutor` command: a thin layer over the Python API, one module per command group.

`tutor.cli.root` holds the Typer `app`, `main` and what the commands share; each other
module adds its commands to `app` when it is imported.
"""

from tutor.cli.root import app, main

# Imported for their side effect, registering their commands on `app`: this is the one
# place that does it. Typer lists commands in the order they were registered, so this
# order is the order of `tutor --help` (hence no sorting).
# isort: off
from tutor.cli import corpus, chat, quiz, sessions, progress, exam_map, setup  # noqa: F401
# isort: on

__all__ = ["app", "main"]
