"""Fixtures for the CLI tests: a CLI runner and a writable, indexed data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home(indexed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable data dir holding the indexed project corpus (a copy per test)."""
    data_dir = tmp_path / "home"
    shutil.copytree(indexed_data_dir, data_dir)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data_dir))
    return data_dir
