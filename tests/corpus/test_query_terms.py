"""What a question asks about: its terms with their other names (query expansion), whether it
asks what something is, and which sentences define a term rather than mention it."""

from __future__ import annotations

import pytest

from tutor.corpus.glossary import Glossary
from tutor.corpus.query import compared, defines, query_terms

GLOSSARY = Glossary.build(
    [
        "Retrieval-augmented generation (RAG) pipelines pair a retriever with a generator.",
        "Reinforcement learning from human feedback (RLHF) aligns a model with people.",
    ]
)


def test_an_acronym_is_searched_with_its_expansion_too() -> None:
    terms = query_terms("What is a RAG pipeline?", GLOSSARY)
    assert "rag" in terms.asked and "retrieval-augmented generation" in terms.asked
    assert terms.other_names == ("retrieval-augmented generation",)
    assert terms.asks_what
    assert terms.expanded("What is a RAG pipeline?") == (
        "What is a RAG pipeline? retrieval-augmented generation"
    )


def test_an_expansion_is_searched_with_its_acronym_too() -> None:
    terms = query_terms("How does retrieval-augmented generation work?", GLOSSARY)
    assert terms.other_names == ("RAG",)
    assert not terms.asks_what


def test_the_fields_own_acronyms_expand_without_the_material_defining_them() -> None:
    terms = query_terms("What are GANs made of?", Glossary.builtin())
    assert terms.other_names == ("generative adversarial network",)
    assert terms.asks_what  # "made of" asks for the parts


def test_a_question_naming_no_term_is_left_as_it_is() -> None:
    terms = query_terms("How long should I study each day?", GLOSSARY)
    assert terms.other_names == ()
    assert terms.expanded("How long should I study each day?") == (
        "How long should I study each day?"
    )


@pytest.mark.parametrize(
    "sentence, term",
    [
        ("A GAN consists of a generator and a discriminator.", "gan"),
        ("In practice, a GAN pits two networks against each other.", "gan"),
        ("Q-learning learns a value for each action in each state.", "q-learning"),
        ("RLHF uses human evaluators who rank the model's outputs.", "rlhf"),
        ("The lakehouse model—a hybrid architecture joining lakes and warehouses.", "lakehouse"),
        ("Supervised learning (learning from labelled examples) maps inputs to outputs.",
         "supervised learning"),
        # Naming it, with the function word the text chose (the glossary's "from").
        ("The integration of reinforcement learning with human feedback, commonly known "
         "as RLHF, changed chat models.", "reinforcement learning from human feedback"),
        ("Low-rank adaptation, also called LoRA, trains small matrices.",
         "low-rank adaptation"),
    ],
)  # fmt: skip
def test_sentences_that_say_what_a_term_is_or_does_define_it(sentence, term) -> None:
    assert defines(sentence, (term,))


@pytest.mark.parametrize(
    "sentence, term",
    [
        ("Understanding RLHF is both a technical and philosophical imperative.", "rlhf"),
        ("Candidates often mention GANs in passing.", "gan"),
        ("The philosophical resonance of GANs is profound.", "gan"),
        ("We will come back to Q-learning later.", "q-learning"),
        ("A GAN consists of a generator and a discriminator.", "rlhf"),
    ],
)
def test_sentences_that_only_mention_a_term_do_not_define_it(sentence, term) -> None:
    assert not defines(sentence, (term,))


@pytest.mark.parametrize(
    "question, sides",
    [
        ("supervised vs unsupervised learning", ("supervised", "unsupervised learning")),
        ("CNN vs RNN: what is each one good at?", ("CNN", "RNN")),
        ("What is the difference between CNNs and RNNs?", ("CNNs", "RNNs")),
        ("lakehouse compared to a warehouse", ("lakehouse", "warehouse")),
        ("What is a GAN?", ()),
        ("How does RAG work?", ()),
    ],
)
def test_what_a_question_compares(question, sides) -> None:
    assert compared(question) == sides
