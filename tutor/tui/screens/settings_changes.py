"""What saving the Settings screen's form means: the changes from the settings in use, checked
before they are written, and which of them the environment overrides."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, ValidationError

from tutor.config import SAVED_SETTINGS, Settings
from tutor.errors import TutorError
from tutor.learner.exam_forecast import parse_exam_date
from tutor.tui.services import model_matches


def env_names(key: str) -> list[str]:
    """The environment variables that set `key` (e.g. OLLAMA_HOST for ollama_host)."""
    alias = Settings.model_fields[key].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"TUTOR_{key.upper()}"]


def env_override(key: str) -> str | None:
    """The environment variable setting `key` now, if any (names match in any case, as
    pydantic-settings reads them)."""
    present = {name.upper() for name in os.environ}
    return next((name for name in env_names(key) if name.upper() in present), None)


def changes_from(current: Settings, form: dict[str, Any]) -> dict[str, Any]:
    """The form's values that differ from the settings in use (a blank choice keeps it)."""
    changes: dict[str, Any] = {}
    for key, value in form.items():
        if key in ("ollama_model", "learner") and not value:
            continue
        if key == "ollama_model" and model_matches(current.ollama_model, value):
            continue  # "llama3.2" is installed as "llama3.2:latest": the same model
        if getattr(current, key) != value:
            changes[key] = value
    return changes


def kept(current: Settings) -> dict[str, Any]:
    """The settings this screen does not change (data dir...), as they are in use now."""
    return current.model_dump(exclude=set(SAVED_SETTINGS))


def check_valid(current: Settings, changes: dict[str, Any]) -> None:
    """Raise a one-line TutorError if `changes` would not make valid settings."""
    if "ollama_host" in changes and not str(changes["ollama_host"]).strip():
        raise TutorError("the Ollama host is empty: give host:port, e.g. 127.0.0.1:11434")
    folder = changes.get("reranker")
    if folder is not None and not Path(folder).is_dir():
        raise TutorError(f"reranker {folder} is not a folder: give a cross-encoder's folder")
    try:
        Settings(**kept(current), **changes)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "setting"
        raise TutorError(f"invalid {field}: {problem['msg']}") from None


def overridden(saved: dict[str, Any], now: Settings) -> list[str]:
    """The saved keys the environment overrides (their value in use is not the saved one)."""
    return [key for key, value in saved.items() if getattr(now, key) != value]


def read_exam_date(text: str) -> date | None:
    """The exam date typed in the form: None when empty, a one-line TutorError when it is
    not a date."""
    return parse_exam_date(text) if text.strip() else None


def read_folder(text: str) -> Path | None:
    """A folder typed in the form: None when empty (that it is a folder is checked before
    saving; whether it holds a model, when it is used and by `tutor doctor`)."""
    return Path(text.strip()).expanduser() if text.strip() else None
