"""What the CLI tests share: a tiny corpus with the shipped topic map, exam and blueprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.config import PROJECT_CORPUS
from tutor.learner.records import GradedAnswer
from tutor.learner.scheduling import rating_for
from tutor.quiz.questions import Question

NOTES = Path(__file__).parents[1] / "corpus" / "objective_notes"
"""Short notes on the exam's objectives (see tests/corpus/test_objective_map.py)."""


@pytest.fixture
def tiny_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped topic map, exam and blueprint beside two notes: on re-ranking (2.8) and
    prompt injection (5.2)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("topics.toml", "exam.toml", "blueprint.toml"):
        shutil.copy(PROJECT_CORPUS / name, corpus / name)
    for name in ("rerank.md", "injection.md"):
        shutil.copy(NOTES / name, corpus / name)
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(corpus))
    return corpus


def answer(chunk: str, topic: str, correct: bool, at: float, n: int) -> GradedAnswer:
    """A graded short answer of the default learner on the re-ranking note's passage."""
    question = Question(
        kind="short",
        prompt=f"What reorders retrieved passages in a second stage? ({n})",
        answer="a re-ranker",
        explanation="The material says a re-ranker is a second stage of retrieval.",
        topic=topic,
        chunk_id=chunk,
        source="rerank.md § Re-ranking retrieved passages (lines 3-3)",
    )
    return GradedAnswer(
        "default", question, "a re-ranker", correct, rating_for(correct), at, f"quiz:{n}"
    )
