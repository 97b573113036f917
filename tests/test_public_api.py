"""The Python API in `tutor/__init__.py`: every name resolves to the one module defining it,
`import tutor` loads nothing heavy, and `grade`, `index` and `search` work as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tutor
from tutor.quiz.grading import grade_answer
from tutor.quiz.questions import Question

NOTES = Path(__file__).parent / "reliability" / "fixtures" / "notes"


def test_every_public_name_resolves_and_nothing_else_does() -> None:
    for name in tutor.__all__:
        value = getattr(tutor, name)
        assert value.__module__.startswith("tutor."), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tutor.nope  # noqa: B018


def test_importing_the_package_loads_no_heavy_library() -> None:
    script = (
        "import sys, json, tutor; tutor.grade('PCA', 'PCA');"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", script], text=True)))
    assert not loaded & {"torch", "chromadb", "langchain_core", "langgraph", "textual"}, loaded


@pytest.mark.parametrize(
    ("answer", "key", "options", "kind", "correct", "reason"),
    [
        ("PCA", "PCA", None, "cloze", True, "Right: that's the answer"),
        ("principal component analysis", "PCA", None, "cloze", True,
         "Right: PCA is the acronym of principal component analysis"),
        ("not PCA", "PCA", None, "cloze", False, "negated answer"),
        ("CNNs or RNNs", "CNN", None, "cloze", False, "two candidate answers"),
        ("unsupervised learning", "supervised learning", None, "cloze", False,
         "different learning paradigm: unsupervised learning"),
        ("retrieval augmented generaton", "retrieval augmented generation", None, "cloze", True,
         "small misspelling"),
        ("delta", "chunks", None, "cloze", False, "doesn't match"),
        ("chunks, vectors, models, queries", "chunks", None, "cloze", False, "list of terms"),
        ("B", "chunks", ["index", "chunks", "vector", "model"], "mc", True, "right option"),
        ("1", "chunks", ["index", "chunks", "vector", "model"], "mc", False, "picked 'index'"),
        ("7", "chunks", ["index", "chunks", "vector", "model"], "mc", False, "letter A-D"),
        ("f", "True", None, "tf", False, "picked 'False'"),
        ("yes", "True", None, "tf", True, "right option"),
    ],
)  # fmt: skip
def test_grade_says_right_or_wrong_and_why(
    answer: str, key: str, options: list[str] | None, kind: str, correct: bool, reason: str
) -> None:
    result = tutor.grade(answer, key, kind=kind, options=options)
    assert (result.correct, reason.lower() in result.reason.lower()) == (correct, True), result


def test_grade_is_the_grader_the_quiz_uses() -> None:
    question = Question(
        kind="mc",
        prompt="A vector index returns the nearest _____ first.",
        options=["chunks", "tables", "models", "users"],
        answer="chunks",
        explanation="The material says so.",
        topic="retrieval-augmented-generation",
        chunk_id="c1",
        source="notes.md § Vectors (lines 1-2)",
    )
    for reply in ("A", "b", "chunks", "4", "nonsense"):
        assert grade_answer(reply, question) == tutor.grade(
            reply, "chunks", kind="mc", options=question.options
        )


def test_index_then_search_from_python(settings: tutor.Settings) -> None:
    summary = tutor.index([NOTES], settings=settings)
    assert (summary.files_indexed, summary.chunks_added) == (1, 4)
    assert tutor.index([NOTES], settings=settings).chunks_unchanged == 4

    passages = tutor.search("nearest chunks by cosine similarity", k=2, settings=settings)
    assert len(passages) == 2
    assert passages[0].citation == (
        "notes/vector-search-notes.md § Vector search notes > Embeddings and similarity"
        " (lines 13-15)"
    )
    assert "cosine similarity" in passages[0].text


def test_chat_and_quiz_from_python(home) -> None:
    """The module docstring's walk-through, offline: a conversation that continues, then a
    quiz answered to its end."""
    chat = tutor.TutorChat.open(tutor.Settings(), offline=True)
    try:
        turn = chat.ask("What is RLHF?")
        assert turn.mode == "offline" and turn.sources and turn.session
        follow = chat.ask("Why does it need a reward model?", session=turn.session)
        assert follow.session == turn.session
        assert [q for q, _ in chat.history(turn.session)][:2] == [
            "What is RLHF?",
            "Why does it need a reward model?",
        ]
    finally:
        chat.close()

    quiz = tutor.QuizSession.open(tutor.Settings(), offline=True)
    try:
        step = quiz.start(n=2, kind="tf")
        graded = []
        while step.question:
            assert step.question["options"] == ["True", "False"]
            step = quiz.answer(step.quiz, "True")
            graded.append(step.graded)
        assert len(graded) == 2 and all(g["key"] in ("True", "False") for g in graded)
        assert step.summary["asked"] == 2
        assert step.summary["correct"] == sum(g["correct"] for g in graded)
    finally:
        quiz.close()
