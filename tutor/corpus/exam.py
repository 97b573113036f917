"""The exam the material prepares for (`exam.toml` in the corpus folder): its name and facts,
read from one place so that no prompt, help text or export names an exam of its own."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import TutorError

EXAM_FILE = "exam.toml"


@dataclass(frozen=True)
class Exam:
    name: str
    """The full name, e.g. "Databricks Certified Generative AI Engineer Associate"."""
    short_name: str
    """A shorter form for narrow places (an Anki deck's name)."""


UNNAMED = Exam(name="certification", short_name="Certification")
"""Used when the corpus folder has no exam.toml: the tutor still works, naming no exam."""


def read_toml(path: Path, what: str) -> dict | None:
    """A TOML file of the corpus folder; None if there is none, a one-line `TutorError`
    naming `what` it is if it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TutorError(f"cannot read the {what} {path}: {error}") from None


def load_exam(path: Path) -> Exam:
    """The exam described by `path`; `UNNAMED` if there is no such file."""
    data = read_toml(path, "exam file")
    if data is None:
        return UNNAMED
    exam = data.get("exam")
    name = exam.get("name") if isinstance(exam, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise TutorError(f"{path} needs an [exam] table with a name")
    name, short = name.strip(), exam.get("short_name")
    short = short.strip() if isinstance(short, str) else ""
    return Exam(name=name, short_name=short or name)
