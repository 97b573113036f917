"""Grading quiz answers by rule."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.config import PROJECT_CORPUS
from tutor.corpus.glossary import Glossary
from tutor.corpus.topics import load_topics
from tutor.quiz.grading import grade, grade_answer, option_given
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


# --- free text: what the grader knows it is comparing ---------------------------------

NEGATED = "A negated answer: it says what the answer is not."
HEDGED = "Two candidate answers: give one."


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("not PCA", "PCA"),  # the audit's examples
        ("not the Markov Decision Process", "Markov Decision Process"),
        ("no vector search", "vector search"),
        ("isn't MLflow", "MLflow"),
        ("it is not Unity Catalog", "Unity Catalog"),
        ("anything but RLHF", "RLHF"),
        ("never the generator", "generator"),
        ("except K-means clustering", "K-means clustering"),
        ("not principal component analysis", "PCA"),  # negated expansion of the key
    ],
)
def test_a_negated_answer_is_wrong_and_says_so(answer: str, key: str) -> None:
    assert tutor_grade(answer, key) == (False, NEGATED)


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("CNNs or RNNs", "CNN"),  # the audit's examples
        ("GAN or VAE", "GAN"),
        ("LangChain or MLflow", "MLflow"),
        ("either MLflow or Unity Catalog", "Unity Catalog"),
        ("supervised and/or unsupervised learning", "supervised learning"),
        ("PCA / K-means", "PCA"),
        ("generator vs discriminator", "generator"),
        ("CNNs and RNNs", "CNN"),  # two terms joined by "and"
    ],
)
def test_hedging_between_two_answers_is_wrong_and_says_so(answer: str, key: str) -> None:
    assert tutor_grade(answer, key) == (False, HEDGED)


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("structured and unstructured data", "structured and unstructured data"),
        ("non-linear", "non-linear"),
        ("not applicable", "not applicable"),
        ("precision or recall", "precision or recall"),
        ("the lakehouse, combining warehouses and lakes", "lakehouse"),  # "and" inside one
        ("I'm not sure, but I think it's PCA", "PCA"),  # unsure is not a negation
        ("RAG or retrieval-augmented generation", "RAG"),  # both alternatives name it
    ],
)
def test_keys_with_or_not_and_still_match_and_one_answer_may_use_and(answer: str, key: str) -> None:
    assert tutor_grade(answer, key)[0] is True


@pytest.mark.parametrize(
    ("answer", "key", "reason"),
    [
        ("unsupervised learning", "supervised learning",
         "You named a different learning paradigm: unsupervised learning."),
        ("decoder", "encoder", "You named a different component: decoder."),
        ("zero-shot prompting", "few-shot prompting",
         "You named a different prompting technique: zero-shot prompting."),
        ("data lake", "Delta Lake", "You named a different storage layer: data lake."),
        ("AI feedback", "human feedback", "You named a different kind of feedback: AI feedback."),
        ("MLlib", "MLflow", "You named a different tool: MLlib."),
        ("recall", "precision", "You named a different metric: recall."),
        ("VAE", "GAN", "You named a different generative model: VAE (variational autoencoder)."),
        ("semi-supervised learning", "supervised learning",
         "You named a different learning paradigm: semi-supervised learning."),
        ("MLflow", "Unity Catalog", "You named a different term: MLflow."),
    ],
)  # fmt: skip
def test_a_near_match_that_is_another_term_is_wrong_and_named(answer, key, reason) -> None:
    assert tutor_grade(answer, key) == (False, reason)


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("nonconvex optimisation", "convex optimisation"),  # un-/non- make another word
        ("deserialisation", "serialisation"),
        ("underfitting model", "overfitting model"),
    ],
)
def test_a_negating_prefix_makes_another_word_not_a_typo(answer: str, key: str) -> None:
    correct, reason = tutor_grade(answer, key)
    assert not correct and reason.startswith("You named a different term")


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("retrieval augmented generaton", "retrieval augmented generation"),
        ("Unity Catalgo", "Unity Catalog"),
        ("embedings", "embeddings"),
        ("reinforcment learning", "reinforcement learning"),
        ("Markov Desicion Process", "Markov Decision Process"),
    ],
)
def test_real_misspellings_stay_right(answer: str, key: str) -> None:
    assert tutor_grade(answer, key) == (True, f"Right, with a small misspelling: {key}.")


def test_a_misspelling_that_spells_a_word_of_the_material_is_another_term() -> None:
    material = Glossary.build(["The Photon engine and the Proton engine differ."])
    assert grade("Proton", "Photon").correct  # no material: a misspelling
    result = grade("Proton", "Photon", glossary=material)
    assert (result.correct, result.reason) == (False, "You named a different term: Proton.")


@pytest.mark.parametrize(
    ("answer", "key", "reason"),
    [
        ("reinforcement learning from human feedback", "RLHF",
         "Right: RLHF is the acronym of reinforcement learning from human feedback."),
        ("reinforcement learning with human feedback", "RLHF",
         "Right: RLHF is the acronym of reinforcement learning with human feedback."),
        ("PCA", "principal component analysis",
         "Right: PCA is the acronym of principal component analysis."),
        ("LLMs", "large language model", "Right: LLM is the acronym of large language model."),
        ("GANs", "generative adversarial networks",
         "Right: GAN is the acronym of generative adversarial networks."),
    ],
)  # fmt: skip
def test_acronyms_and_expansions_both_ways(answer: str, key: str, reason: str) -> None:
    assert tutor_grade(answer, key) == (True, reason)


def test_acronyms_the_material_defines() -> None:
    material = Glossary.build(["Agents vote in a Mixture of Agents (MoA) setup."])
    assert not grade("MoA", "mixture of agents").correct  # its letters are not the initials
    assert grade("MoA", "mixture of agents", glossary=material).correct
    assert grade("mixtures of agents", "MoA", glossary=material).correct


def test_another_acronym_is_named_with_its_meaning() -> None:
    assert tutor_grade("CNN", "recurrent neural networks") == (
        False,
        "You named a different architecture: CNN (convolutional neural network).",
    )


@pytest.mark.parametrize(
    ("answer", "key", "correct", "reason"),
    [
        ("k-means", "K-means clustering", True, "Right: k-means is short for K-means clustering."),
        ("Unity Catalog", "Databricks Unity Catalog", True,
         "Right: Unity Catalog is short for Databricks Unity Catalog."),
        ("supervised", "supervised learning", True,
         "Right: supervised is short for supervised learning."),
        ("learning", "supervised learning", False, "Too general: which learning?"),
        ("clustering", "K-means clustering", False, "Too general: which clustering?"),
        ("Unity", "Unity Catalog", False, "Part of the answer is missing."),
        ("Markov decision processes", "Markov Decision Process", True, "Right: that's the answer."),
        ("the Lakehouse", "lakehouse", True, "Right: that's the answer."),
        ("Q learning", "Q-learning", True, "Right: that's the answer."),
        ("labeled data", "labelled data", True, "Right: that's the answer."),
    ],
)  # fmt: skip
def test_forms_and_the_head_noun(answer: str, key: str, correct: bool, reason: str) -> None:
    assert tutor_grade(answer, key) == (correct, reason)


def _same_for_all(texts):
    """An embedder that finds every text alike: only the rules can say no."""
    return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)


def test_a_short_answer_is_judged_on_polarity_before_meaning() -> None:
    key = "learning from labelled data"
    right = grade("it learns from data with labels", key, kind="short", embed=_same_for_all)
    assert (right.correct, right.reason) == (True, "Right: it means the same as the answer.")
    result = grade("it learns from data without labels", key, kind="short", embed=_same_for_all)
    assert (result.correct, result.reason) == (False, "That says the opposite of the answer.")
    assert result.settled  # no model may overturn it either
    result = grade("it does not learn from labels", key, kind="short", embed=_same_for_all)
    assert (result.correct, result.reason, result.settled) == (False, NEGATED, True)
    flipped = grade("learning from unlabelled data", key, kind="short", embed=_same_for_all)
    assert not flipped.correct


def test_a_negated_or_hedged_short_answer_is_settled_wrong() -> None:
    result = grade_answer("not human feedback on model outputs", SHORT, _same_for_all)
    assert (result.correct, result.reason, result.settled) == (False, NEGATED, True)
    open_wrong = grade_answer("more GPUs", SHORT)
    assert not open_wrong.correct and not open_wrong.settled  # a model may still judge it


@pytest.mark.parametrize(
    ("answer", "key", "kind"),
    [
        ("PCA", "PCA", "cloze"),
        ("bananas", "Unity Catalog", "cloze"),
        ("not PCA", "PCA", "cloze"),
        ("skip", "PCA", "cloze"),
        ("I don't know", "PCA", "cloze"),
        ("", "PCA", "short"),
        ("A", "MLflow", "mc"),
        ("7", "MLflow", "mc"),
        ("x " * 300, "PCA", "cloze"),
    ],
)
def test_every_verdict_has_one_line_for_the_learner(answer: str, key: str, kind: str) -> None:
    options = MC.options if kind == "mc" else None
    reason = grade(answer, key, kind=kind, options=options).reason
    assert reason and "\n" not in reason and len(reason) <= 120
    assert reason[0].isupper() and reason.endswith(".")
    assert "key" not in reason.lower()  # written for the learner, not about the grader


def tutor_grade(answer: str, key: str) -> tuple[bool, str]:
    result = grade(answer, key)
    return result.correct, result.reason


def test_where_the_material_defines_the_term_given_the_reason_glosses_it() -> None:
    material = Glossary.build([], load_topics(PROJECT_CORPUS / "topics.toml"))
    result = grade("unsupervised learning", "supervised learning", glossary=material)
    assert (result.correct, result.reason) == (
        False,
        "You named a different learning paradigm: unsupervised learning, which works when no "
        "labels exist.",
    )


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("Unity Catalog, not MLflow", True),
        ("It's not MLflow, it's Unity Catalog", True),
        ("not Unity Catalog", False),
        ("Unity Catalog is not it", False),
    ],
)
def test_a_negation_counts_against_the_answer_only_in_its_own_clause(
    answer: str, correct: bool
) -> None:
    assert grade(answer, "Unity Catalog").correct is correct


@pytest.mark.parametrize(
    ("answer", "correct", "says"),
    [
        ("the lifecycle of ML models", True, "with more detail"),
        ("it manages the whole lifecycle of models", True, "Right"),
        ("not the lifecycle of models", False, "negated"),
        ("the lifecycle of models or of data", False, "Two candidate"),
        ("the models", False, "Too general: which model?"),
    ],
)
def test_a_short_answer_with_more_detail_still_says_the_key(
    answer: str, correct: bool, says: str
) -> None:
    result = grade(answer, "the lifecycle of models", kind="short")
    assert (result.correct, says in result.reason) == (correct, True), result
