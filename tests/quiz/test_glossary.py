"""The grader's glossary: acronyms the material defines (every way it writes them), the
field's built-in ones, and which terms and words exist."""

from __future__ import annotations

import pytest

from tutor.config import PROJECT_CORPUS
from tutor.corpus.glossary import Glossary, defining_words, spells
from tutor.corpus.topics import load_topics

MATERIAL = [
    "Teams use reinforcement learning with human feedback, commonly known as RLHF, to align.",
    "Principal component analysis (PCA) reduces dimensionality.",
    "Each TVF (table-valued function) returns rows.",
    "A Feature Engineering Store (FES) serves features.",
    "Low-Rank Adaptation (LoRA) trains small matrices. Then Unity Catalog governs it.",
]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.build(MATERIAL)


@pytest.mark.parametrize(
    ("acronym", "long"),
    [
        ("RLHF", "reinforcement learning with human feedback"),  # "commonly known as"
        ("RLHF", "reinforcement learning from human feedback"),  # with/from vary
        ("PCA", "principal component analysis"),  # long form (ACR)
        ("TVF", "table-valued function"),  # ACR (long form), letters from hyphen parts
        ("FES", "feature engineering store"),  # not in the built-in list
        ("LoRA", "low-rank adaptation"),  # lowercase letters inside the acronym
        ("FES", "feature engineering stores"),  # plural
    ],
)
def test_acronyms_the_material_defines_match_both_ways(glossary, acronym, long) -> None:
    assert glossary.expansion_match(acronym, long) is not None
    assert glossary.expansion_match(long, acronym) is not None


def test_the_material_defines_what_the_field_does_not() -> None:
    assert Glossary.builtin().expansion_match("FES", "feature engineering store") is None
    assert Glossary.build(MATERIAL).expansion_match("FES", "feature engineering store")


@pytest.mark.parametrize(
    ("acronym", "long"),
    [
        ("RAG", "retrieval-augmented generation"),
        ("LLMs", "large language models"),
        ("MDP", "Markov decision process"),
        ("LSTM", "long short-term memory networks"),  # the expansion with a generic head
        ("MLOps", "machine learning operations"),
        ("ETL", "extract, transform, load"),
        ("KNN", "k-nearest neighbors"),  # American spelling of the built-in entry
    ],
)
def test_the_field_glossary_knows_common_acronyms(acronym, long) -> None:
    assert Glossary.builtin().expansion_match(acronym, long) is not None


def test_an_acronym_does_not_match_another_expansion() -> None:
    field = Glossary.builtin()
    assert field.expansion_match("RLHF", "reinforcement learning from AI feedback") is None
    assert field.expansion_match("CNN", "recurrent neural network") is None
    assert field.acronym_meaning("DL") == "deep learning"


def test_letters_may_come_from_hyphen_parts_and_skip_function_words() -> None:
    assert spells(["long", "short-term", "memory"], "LSTM")
    assert spells(["reinforcement", "learning", "with", "human", "feedback"], "RLHF")
    assert not spells(["reinforcement", "learning"], "RLHF")
    before = ["Teams", "use", "reinforcement", "learning", "with", "human", "feedback"]
    assert defining_words(before, "RLHF") == "reinforcement learning with human feedback"
    assert defining_words(["the", "cat", "sat"], "RLHF") is None


def test_known_terms_and_their_kinds() -> None:
    field = Glossary.builtin()
    assert field.known("unsupervised learning") == "unsupervised learning"
    assert field.known("Data Lakes") == "data lake"
    assert field.known("banana bread") is None
    assert field.confusable("encoder", "decoder")
    assert field.confusable("MLlib", "MLflow") and not field.confusable("MLflow", "Unity Catalog")
    assert field.kind_of("recall") == "metric"


def test_terms_and_words_come_from_the_material_and_the_topic_map() -> None:
    glossary = Glossary.build(
        [(PROJECT_CORPUS / "databricks-genai-engineer-associate-guide.md").read_text()],
        load_topics(PROJECT_CORPUS / "topics.toml"),
    )
    assert glossary.known("Unity Catalog") and glossary.known("market basket analysis") is None
    assert glossary.known("association rule")  # a topic keyword
    assert glossary.known("Markov Decision Processes")  # written in capitals in the text
    assert glossary.is_word("data") and glossary.is_word("lakes")
    assert not glossary.is_word("catalgo")
    assert glossary.expansion_match("RLHF", "reinforcement learning with human feedback")
    assert glossary.expansion_match("PCA", "principal component analysis")  # topics.toml


def test_from_records_reads_chunk_headings_and_text() -> None:
    class Record:
        heading = "Lakehouse Storage"
        text = "A Medallion Architecture (MA) layers bronze, silver and gold tables."

    glossary = Glossary.from_records([Record()])
    assert glossary.expansion_match("MA", "medallion architecture")
    assert glossary.known("medallion architecture") == "Medallion Architecture"
    assert glossary.is_word("storage") and glossary.is_word("bronze")


def test_glosses_come_from_the_opening_of_topic_descriptions() -> None:
    glossary = Glossary.build([], load_topics(PROJECT_CORPUS / "topics.toml"))
    assert glossary.gloss("Unsupervised learning") == "works when no labels exist"
    assert glossary.gloss("MLflow") == "manages the lifecycle of models with transparency"
    # The description opens with the longer name, not the keyword "retrieval-augmented".
    assert glossary.gloss("retrieval-augmented generation").startswith("unites structured data")
    assert glossary.gloss("retrieval-augmented") is None
    assert all(len(g) <= 61 for g in glossary.glosses.values())
    assert Glossary.builtin().gloss("unsupervised learning") is None


def test_specificity_is_how_rare_a_sentences_words_are_in_the_material() -> None:
    material = [
        "Generative AI matters for the exam and for the profession.",
        "Generative AI shapes the profession and the exam alike.",
        "Generative AI in the exam: human evaluators rank sampled outputs.",
    ]
    glossary = Glossary.build(material)
    particular = glossary.specificity("Human evaluators rank sampled outputs.")
    general = glossary.specificity("Generative AI matters for the profession.")
    assert particular > general > 0
    # A word the material never uses is as rare as can be, not an error.
    assert glossary.specificity("Discriminators") > particular
    assert glossary.specificity("the and of") == 0.0
    assert Glossary.builtin().specificity("Human evaluators rank outputs.") == 0.0
