"""The item-writing flaw checker: each named flaw on a hand-made question, and a clean
question that has none."""

from __future__ import annotations

import numpy as np

from tests.quiz.test_bank import MATERIALS, TOPICS, fake_embed
from tutor.quiz.bank import QuestionBank
from tutor.quiz.flaws import (
    ALL_OPTIONS_FIT,
    ANOTHER_OPTION_FITS,
    CUE_IN_STEM,
    DANGLING_REFERENCE,
    DUPLICATE_STEM,
    GENERIC_BLANK,
    LENGTH_CUE,
    NEGATIVE_STEM,
    FlawChecker,
)
from tutor.quiz.questions import Question

BANK = QuestionBank.build(MATERIALS, TOPICS, embed=fake_embed())
CHECKER = BANK.checker


def question(prompt: str, answer: str, kind: str = "mc", options: list[str] | None = None):
    if kind == "mc" and options is None:
        options = [answer, "Unity Catalog", "LangChain", "vector search"]
    if kind == "tf":
        options = ["True", "False"]
    return Question(
        kind=kind,
        prompt=prompt,
        options=options or [],
        answer=answer,
        explanation="x",
        topic="tools",
        chunk_id="e",
        source="guide.md",
    )


def test_a_clean_question_has_no_flaw() -> None:
    q = question("_____ tracks every experiment with its parameters and metrics.", "MLflow")
    assert CHECKER.flaws(q) == []


def test_generic_blank() -> None:
    q = question("Recurrent neural networks bring another _____ of intelligence.", "layer", "cloze")
    assert GENERIC_BLANK in CHECKER.flaws(q)
    q = question(
        "True _____ emerges not from memorization but from experiments.", "readiness", "cloze"
    )
    assert GENERIC_BLANK in CHECKER.flaws(q)  # no term of the material
    named = question("_____ registers models and serves them behind endpoints.", "MLflow", "cloze")
    assert GENERIC_BLANK not in CHECKER.flaws(named)


def test_all_options_fit_when_the_stem_tells_them_apart_by_nothing() -> None:
    q = question("The importance of _____ cannot be overstated.", "MLflow")
    assert ALL_OPTIONS_FIT in CHECKER.flaws(q)


def test_another_option_fits_when_the_material_says_the_stem_of_it_too() -> None:
    # The material says Unity Catalog records lineage: asked of MLflow's options, two fit.
    q = question(
        "_____ records lineage for every table in the lakehouse.",
        "MLflow",
        options=["MLflow", "Unity Catalog", "LangChain", "vector search"],
    )
    assert ANOTHER_OPTION_FITS in CHECKER.flaws(q)


def test_cue_in_stem() -> None:
    expansion = "reinforcement learning with human feedback"
    rlhf = FlawChecker(aliases={"rlhf": expansion, expansion: "rlhf"})
    q = question(
        "Integrating _____, commonly known as RLHF, aligns outputs with values.",
        "reinforcement learning with human feedback",
        "cloze",
    )
    assert CUE_IN_STEM in rlhf.flaws(q)  # its acronym
    q = question(
        "Which tool, a catalog of data, governs access to tables?", "Unity Catalog", "short"
    )
    assert CUE_IN_STEM in CHECKER.flaws(q)  # a word of the key
    asked = question(
        "What is the acronym RLHF short for?", "reinforcement learning with human feedback", "short"
    )
    assert CUE_IN_STEM not in rlhf.flaws(asked)  # the acronym is what is asked
    shared = question(
        "_____ works when no labels exist in the learning data.",
        "unsupervised learning",
        options=[
            "unsupervised learning",
            "supervised learning",
            "deep learning",
            "machine learning",
        ],
    )
    assert CUE_IN_STEM not in CHECKER.flaws(shared)  # every option has "learning"


def test_length_cue() -> None:
    q = question(
        "_____ tracks every experiment with its parameters and metrics.",
        "the MLflow experiment tracking and model registry service",
        options=[
            "the MLflow experiment tracking and model registry service",
            "PCA",
            "RLHF",
            "GANs",
        ],
    )
    assert LENGTH_CUE in CHECKER.flaws(q)


def test_negative_stem() -> None:
    q = question("Which of these is NOT a tool of the lakehouse?", "MLflow")
    assert NEGATIVE_STEM in CHECKER.flaws(q)
    q = question("Which tool does not track experiments across runs?", "Unity Catalog", "short")
    assert NEGATIVE_STEM in CHECKER.flaws(q)


def test_dangling_reference() -> None:
    q = question(
        "It is the _____ of accountability in every enterprise.", "infrastructure", "cloze"
    )
    assert DANGLING_REFERENCE in CHECKER.flaws(q)


def test_duplicate_stem_by_embedding_similarity() -> None:
    def embed(texts: list[str]) -> np.ndarray:  # two stems about MLflow are one vector
        rows = [[1.0, 0.0] if "tracks" in t or "logs" in t else [0.0, 1.0] for t in texts]
        return np.array(rows, dtype=np.float32)

    checker = FlawChecker(embed=embed)
    q = question("_____ tracks every experiment with its parameters.", "MLflow", "cloze")
    asked = ["True or false? MLflow logs each run with its metrics."]
    assert DUPLICATE_STEM in checker.flaws(q, asked)
    assert DUPLICATE_STEM not in checker.flaws(q, ["Which tool records lineage?"])
    assert DUPLICATE_STEM in FlawChecker().flaws(q, [q.prompt])  # the same words, no embedder
