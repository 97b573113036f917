"""A fresh learner store per test (`test_store.py` opens its own, on its `path` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.learner.store import LearnerStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LearnerStore]:
    with LearnerStore(tmp_path / "learner.sqlite") as store:
        yield store
