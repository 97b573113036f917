"""Grading quiz answers by rule."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.quiz.grading import grade_answer, option_given
from tutor.quiz.questions import TRUE_FALSE, Question

MC = Question(
    kind="mc",
    prompt="Which tool governs access to data and models?",
    options=["MLflow", "Unity Catalog", "Delta Lake", "Vector Search"],
    answer="Unity Catalog",
    explanation="The material says Unity Catalog enforces governance.",
    topic="unity-catalog-governance",
    chunk_id="c1",
    source="guide.md § Governance (line 3)",
)
TF = MC.model_copy(
    update={
        "kind": "tf",
        "prompt": "MLflow enforces governance.",
        "options": TRUE_FALSE,
        "answer": "False",
    }
)
SHORT = MC.model_copy(
    update={
        "kind": "short",
        "prompt": "What does RLHF add to training?",
        "options": [],
        "answer": "human feedback on model outputs",
    }
)


@pytest.mark.parametrize(
    ("reply", "given", "correct"),
    [
        ("B", "Unity Catalog", True),
        ("b)", "Unity Catalog", True),
        ("2", "Unity Catalog", True),
        ("unity catalog", "Unity Catalog", True),
        ("A", "MLflow", False),
        ("E", "E", False),
        ("", "", False),
    ],
)
def test_multiple_choice(reply, given, correct) -> None:
    result = grade_answer(reply, MC)
    assert (result.given, result.correct) == (given, correct)


@pytest.mark.parametrize(
    ("reply", "correct"),
    [("False", True), ("f", True), ("no", True), ("True", False), ("yes", False), ("maybe", False)],
)
def test_true_false(reply, correct) -> None:
    assert grade_answer(reply, TF).correct is correct


def test_option_given_none_for_nonsense() -> None:
    assert option_given("the second one", MC) is None


def test_short_answers_by_rule_and_by_meaning() -> None:
    assert grade_answer("Human feedback on model outputs", SHORT).correct

    def embed(texts):
        # "people rate the model's outputs" means the key; anything else does not.
        return np.array(
            [[1.0, 0.0] if "feedback" in t or "rate" in t else [0.0, 1.0] for t in texts],
            dtype=np.float32,
        )

    assert grade_answer("feedback from humans about outputs", SHORT, embed).correct
    # Same meaning per the embedder but too few of the key's words: not accepted.
    assert not grade_answer("people rate things", SHORT, embed).correct
    assert not grade_answer("more GPUs", SHORT, embed).correct
