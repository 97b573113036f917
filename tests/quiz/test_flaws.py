"""The item-writing flaw checker: each named flaw on a hand-made question, and a clean
question that has none."""

from __future__ import annotations

import numpy as np

from tests.quiz.test_bank import MATERIALS, TOPICS, fake_embed
from tutor.quiz.bank import QuestionBank
from tutor.quiz.categories import Families
from tutor.quiz.flaws import (
    ALL_OPTIONS_FIT,
    ANOTHER_OPTION_FITS,
    ANOTHER_TERM_FITS,
    CUE_IN_STEM,
    DANGLING_REFERENCE,
    DUPLICATE_STEM,
    GENERIC_BLANK,
    LENGTH_CUE,
    NEGATIVE_STEM,
    FlawChecker,
)
from tutor.quiz.questions import Question
from tutor.quiz.rivals import MARGIN, Rivals

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
        "What does the acronym RLHF stand for?",
        "reinforcement learning with human feedback",
        "short",
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


def test_people_are_a_generic_blank() -> None:
    # "What does retrieval-augmented generation teach?" keyed "candidates".
    q = question("What does retrieval-augmented generation teach?", "candidates", "short")
    assert GENERIC_BLANK in CHECKER.flaws(q)
    assert GENERIC_BLANK in CHECKER.flaws(
        question("_____ log every run.", "the engineers", "cloze")
    )


def _rivals(claims: dict[str, list[float]]) -> Rivals:
    """Rivals over three methods whose names embed as the axes; each claim as given."""
    axes = {"supervised learning": 0, "k-means clustering": 1, "pca": 2}

    def embed(texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            vector = np.zeros(4)
            if text in axes:
                vector[axes[text]] = 1.0
            else:  # the claim, however the stem wraps it
                [given] = [v for c, v in claims.items() if c in text]
                vector[: len(given)] = given
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows)

    keys = list(axes)
    return Rivals(
        dict.fromkeys(keys, "method"), {}, Families([], keys, {}, lambda _: []), None, [],
        lambda _: [], embed,
    )  # fmt: skip


def test_another_term_fits_when_the_claim_is_nearer_another_term() -> None:
    labelled = "can provide labelled insights for a supervised classifier"
    tracked = "groups documents into clusters"
    rivals = _rivals({labelled: [0.9, 0.3, 0.0], tracked: [0.1, 0.9, 0.1]})
    stem = f"_____ {labelled}."
    assert rivals.rival("k-means clustering", labelled, stem) == "supervised learning"
    assert rivals.rival("K-means clustering", tracked, f"_____ {tracked}.") is None
    # A term the stem names is no rival: the question is about something else.
    assert rivals.rival("k-means clustering", labelled, "Unlike supervised learning, _____") is None
    assert rivals.rival("a term with no sort", labelled, stem) is None


def test_another_term_fits_needs_the_margin() -> None:
    claim = "finds structure"
    near = np.cos(np.arcsin(0.5))  # the rival a little nearer than the key, under MARGIN
    rivals = _rivals({claim: [0.5 + MARGIN / 2, near, 0.0]})
    assert rivals.rival("k-means clustering", claim, f"_____ {claim}.") is None


def test_the_checker_names_another_term_fits() -> None:
    labelled = "can provide labelled insights for a supervised classifier"
    checker = FlawChecker(rivals=_rivals({labelled: [0.9, 0.3, 0.0]}))
    q = question(f"_____ {labelled}.", "k-means clustering", "cloze")
    assert checker.flaws(q) == [ANOTHER_TERM_FITS]
    short = question(f"Which technique {labelled}?", "k-means clustering", "short")
    assert checker.flaws(short) == [ANOTHER_TERM_FITS]


def test_a_choice_among_options_looks_for_rivals_among_them_only() -> None:
    labelled = "is a technique of unsupervised learning"
    checker = FlawChecker(rivals=_rivals({labelled: [0.9, 0.3, 0.0]}))
    options = ["k-means clustering", "Q-learning", "prompt chaining", "decision trees"]
    choice = question(f"Which of these {labelled}?", "k-means clustering", "mc", options)
    assert ANOTHER_TERM_FITS not in checker.flaws(choice)  # supervised learning: no option
    blank = question(f"_____ {labelled}.", "k-means clustering", "mc", options)
    assert ANOTHER_TERM_FITS in checker.flaws(blank)  # a claim of the material: any term


def test_a_sort_of_things_is_a_generic_blank() -> None:
    # "_____ are used to organize and embed knowledge." keyed "unsupervised techniques"
    q = question("_____ are used to organize and embed knowledge.", "unsupervised techniques")
    assert GENERIC_BLANK in CHECKER.flaws(question(q.prompt, q.answer, "cloze"))
    named = question("_____ are used to organize knowledge.", "k-means clustering", "cloze")
    assert GENERIC_BLANK not in CHECKER.flaws(named)
