"""Fixtures for the app's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def data_dir(indexed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the indexed corpus, so each test has its own learner store."""
    copy = tmp_path / "indexed"
    shutil.copytree(indexed_data_dir, copy)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(copy))
    return copy
