"""Cloze checks: the term picked, the sentence it makes, and how replies are graded."""

from __future__ import annotations

import pytest

from tutor.config import PROJECT_CORPUS
from tutor.corpus.catalog import Catalog
from tutor.corpus.sentences import split_sentences
from tutor.corpus.topics import load_topics
from tutor.quiz.cloze import (
    BLANK,
    CheckQuestion,
    build_check,
    grade_reply,
    pick_term,
    reply_problem,
)
from tutor.quiz.grading import grade_answer
from tutor.quiz.questions import Question
from tutor.text import STOPWORDS

KEYWORDS = [k for t in load_topics(PROJECT_CORPUS / "topics.toml").topics for k in t.keywords]


def test_topic_keyword_preferred_longest_first() -> None:
    sentence = (
        "Within this lakehouse, MLflow manages the lifecycle of models with experiment tracking."
    )
    assert pick_term(sentence, keywords=KEYWORDS) == "experiment tracking"


def test_acronym_then_capitalised_phrase_then_long_word() -> None:
    assert pick_term("Teams rely on RLHF to align outputs with values.") == "RLHF"
    assert pick_term("Access is governed centrally by Unity Catalog in practice.") == (
        "Unity Catalog"
    )
    assert pick_term("models learn predictable relationships between inputs") == ("relationships")


def test_terms_from_the_question_are_avoided() -> None:
    sentence = "Within this lakehouse, MLflow manages the lifecycle of models."
    term = pick_term(sentence, keywords=KEYWORDS, avoid="What does MLflow manage?")
    assert term is not None and term.lower() != "mlflow"


def test_build_check_blanks_the_term_and_keeps_the_rest() -> None:
    sentence = (
        "Clustering algorithms and dimensionality reduction techniques like principal "
        "component analysis help reveal patterns invisible to human inspection."
    )
    check = build_check(
        sentence,
        topic="unsupervised-learning",
        source="guide.md § X",
        chunk_id="c1",
        keywords=KEYWORDS,
    )
    assert check is not None
    assert check.answer == "dimensionality reduction"
    assert BLANK in check.prompt and "dimensionality reduction" not in check.prompt
    assert check.prompt.replace(BLANK, check.answer) == sentence
    assert CheckQuestion.from_state(check.to_state()) == check


def test_too_short_or_too_long_sentences_make_no_check() -> None:
    assert build_check("MLflow tracks runs.", topic="t", source="s", chunk_id="c") is None
    long = "MLflow " + "tracks many runs and models " * 12
    assert build_check(long, topic="t", source="s", chunk_id="c") is None


def test_checks_on_the_real_corpus_blank_real_terms(indexed_settings) -> None:
    """Every sentence of the corpus that yields a check blanks a term that occurs in it,
    is not a stopword, and leaves enough of the sentence to think with."""
    catalog = Catalog(indexed_settings.catalog_path, readonly=True)
    records = catalog.records(catalog.chunk_ids()).values()
    built = 0
    for record in records:
        for sentence in split_sentences(record.text):
            check = build_check(
                sentence, topic="t", source="s", chunk_id=record.id, keywords=KEYWORDS
            )
            if check is None:
                continue
            built += 1
            assert check.answer in sentence
            assert check.answer.lower() not in STOPWORDS
            assert len(check.answer) >= 3
            assert len(check.prompt.replace(BLANK, "").split()) >= 6
    catalog.close()
    assert built >= 200


@pytest.mark.parametrize(
    ("reply", "key", "expected"),
    [
        ("Unity Catalog", "Unity Catalog", "right"),
        ("unity catalog", "Unity Catalog", "right"),
        ("the Unity Catalog", "Unity Catalog", "right"),
        ("I think it's unity catalog", "Unity Catalog", "right"),
        ("Unity Catalogue", "Unity Catalog", "right"),
        ("embeddings", "embedding", "right"),
        ("PCA", "principal component analysis", "right"),
        ("retrieval augmented generation", "RAG", "right"),
        ("MLflow", "Unity Catalog", "wrong"),
        ("", "Unity Catalog", "wrong"),
        ("cat", "Unity Catalog", "wrong"),
        ("I don't know", "MLflow", "wrong"),
        ("skip", "MLflow", "skipped"),
        ("pass", "MLflow", "skipped"),
    ],
)
def test_grade_reply(reply: str, key: str, expected: str) -> None:
    assert grade_reply(reply, key) == expected


PASSAGE = (
    "Unity Catalog provides centralised governance for data and AI assets on the "
    "Databricks platform, so access control, lineage and auditing are defined once and "
    "apply across every workspace of the account."
)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (PASSAGE, "far too long"),  # the whole passage, pasted
        ("MLflow, RAG, LoRA, Unity Catalog, RLHF", "a list of terms"),
        ("MLflow / Unity Catalog / Vector Search", "a list of terms"),
        ("- MLflow\n- Unity Catalog\n- RAG", "a list of terms"),
        ("- MLflow - Unity Catalog - RAG", "a list of terms"),  # its line breaks made spaces
        ("MLflow or Delta Lake or Unity Catalog", "a list of terms"),
    ],
)
def test_a_paste_or_a_list_holding_the_key_is_not_right(reply: str, why: str) -> None:
    assert "unity catalog" in reply.lower()
    assert grade_reply(reply, "Unity Catalog") == "wrong"
    assert (reply_problem(reply, "Unity Catalog") or "").startswith(why)


@pytest.mark.parametrize(
    ("reply", "key"),
    [
        ("Unity Catalog, I think", "Unity Catalog"),
        ("I'm fairly sure it's the Unity Catalog.", "Unity Catalog"),
        ("the lakehouse, combining warehouses and lakes", "lakehouse"),
        ("precision, recall", "precision, recall"),
        ("retrieval-augmented generation - RAG", "RAG"),
        ("feedback that people give on the outputs of the model", "human feedback"),
    ],
)
def test_an_answer_with_a_few_words_around_it_is_no_paste(reply: str, key: str) -> None:
    assert reply_problem(reply, key) is None


def test_a_list_of_terms_does_not_score_in_a_quiz_either() -> None:
    cloze = Question(
        kind="cloze",
        prompt="_____ provides centralised governance for data and AI assets.",
        answer="Unity Catalog",
        explanation="The material says so.",
        topic="unity-catalog-governance",
        chunk_id="c1",
        source="guide.md § Governance (line 3)",
    )
    assert grade_answer("Unity Catalog", cloze).correct
    assert not grade_answer("MLflow, Delta Lake, Unity Catalog, Vector Search", cloze).correct
