"""The app's screens and widgets reach the index, the learner store and Ollama only through
`tutor.tui.services`: none of their modules imports those layers when it runs (imports
under `if TYPE_CHECKING:`, for annotations, are fine)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import tutor.tui

TUI = Path(tutor.tui.__file__).parent
MODULES = sorted([*TUI.glob("screens/*.py"), *TUI.glob("widgets/*.py")])

FORBIDDEN = (
    "tutor.corpus.index",
    "tutor.corpus.catalog",
    "tutor.llm",
    "tutor.learner.store",
    "sqlite3",
    "chromadb",
    "ollama",
)
"""What only `tutor.tui.services` (or the app's loader) may import."""


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(source: str, package: str = "tutor.tui") -> Iterator[tuple[int, str]]:
    """(line, module) for every import that runs: at the top, in a function, anywhere but
    the body of an `if TYPE_CHECKING:`. `from a import b` yields `a.b` (b may be a module)."""

    def walk(node: ast.AST) -> Iterator[tuple[int, str]]:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:  # the `else:` of `if TYPE_CHECKING` does run
                yield from walk(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        for child in ast.iter_child_nodes(node):
            yield from walk(child)

    yield from walk(ast.parse(source))


def forbidden_imports(source: str, package: str = "tutor.tui") -> list[str]:
    return [
        f"line {line}: {name}"
        for line, name in runtime_imports(source, package)
        if any(name == layer or name.startswith(f"{layer}.") for layer in FORBIDDEN)
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_screens_and_widgets_import_no_storage_index_or_ollama(path: Path) -> None:
    package = f"tutor.tui.{path.parent.name}"
    assert forbidden_imports(path.read_text(encoding="utf-8"), package) == []


def test_there_are_modules_to_check() -> None:
    assert {"chat.py", "settings.py", "library.py"} <= {p.name for p in MODULES}
    assert {"settings_models.py", "library_tree.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize(
    "source",
    [
        "import sqlite3",
        "import chromadb.api",
        "from tutor.llm import server_status",
        "from tutor import llm",
        "from tutor.corpus.index import Indexer",
        "from tutor.corpus import catalog",
        "def read():\n    from tutor.learner.store import LearnerStore\n",
        "if TYPE_CHECKING:\n    pass\nelse:\n    import ollama\n",
        "from ...learner.store import LearnerStore",
    ],
)
def test_the_check_catches_a_run_time_import(source: str) -> None:
    assert forbidden_imports(source, "tutor.tui.screens") != []


@pytest.mark.parametrize(
    "source",
    [
        "if TYPE_CHECKING:\n    from tutor.llm import ServerStatus\n",
        "import typing\nif typing.TYPE_CHECKING:\n    import sqlite3\n",
        "from tutor.tui.services import model_matches",
        "from tutor.corpus.library import check_folder",
        "from tutor.llmish import nothing",
    ],
)
def test_the_check_lets_annotations_and_services_through(source: str) -> None:
    assert forbidden_imports(source, "tutor.tui.screens") == []
