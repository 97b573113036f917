"""Sentence splitting and picking the sentences that answer a question."""

from __future__ import annotations

import numpy as np

from tutor.corpus.sentences import CachedEmbed, key_sentences, split_sentences


def test_split_sentences_keeps_abbreviations_and_numbers() -> None:
    text = (
        "Models such as GANs, e.g. StyleGAN, create images. Version 3.5 is newer! "
        "Is it better? Yes.\n\n- a list item without a stop\n- another item"
    )
    assert split_sentences(text) == [
        "Models such as GANs, e.g. StyleGAN, create images.",
        "Version 3.5 is newer!",
        "Is it better?",
        "Yes.",
        "- a list item without a stop",
        "- another item",
    ]


PASSAGES = [
    (1, "The lakehouse unifies lakes and warehouses. It is governed by Unity Catalog today."),
    (
        2,
        "Reinforcement learning adapts agents through rewards over time. "
        "RLHF aligns model outputs with human feedback and values.",
    ),
]


def test_key_sentences_by_shared_words() -> None:
    picked = key_sentences("How does RLHF use human feedback?", PASSAGES)
    assert picked[0].passage == 2
    assert picked[0].text.startswith("RLHF aligns")


def test_key_sentences_by_meaning_with_an_embedder(embedder) -> None:
    picked = key_sentences(
        "Which tool controls who may access data?", PASSAGES, embed=embedder.embed, limit=1
    )
    assert [p.text for p in picked] == ["It is governed by Unity Catalog today."]


def test_key_sentences_limits_per_passage_and_total() -> None:
    many = [(1, ". ".join(f"Sentence number {i} about retrieval here" for i in range(6)) + ".")]
    picked = key_sentences("retrieval", many, limit=5, per_passage=2)
    assert len(picked) == 2
    assert key_sentences("anything", []) == []


def test_fake_embedder_shape_is_respected() -> None:
    def embed(texts: list[str]) -> np.ndarray:
        vectors = np.array([[1.0, 0.0] if "feedback" in t else [0.0, 1.0] for t in texts])
        return vectors.astype(np.float32)

    picked = key_sentences("feedback", PASSAGES, embed=embed, limit=1)
    assert "feedback" in picked[0].text


def test_cached_embed_embeds_each_text_once() -> None:
    seen: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    cached = CachedEmbed(embed, size=2)
    first = cached(["aa", "b", "aa"])
    assert first.tolist() == [[2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    cached(["b", "aa"])
    assert seen == ["aa", "b"]
    cached(["ccc"])  # evicts the least recently used ("b")
    cached(["b"])
    assert seen == ["aa", "b", "ccc", "b"]


def test_a_labelled_list_item_is_a_sentence_however_short() -> None:
    passage = [(1, "- Exam Code: GENAI-ASSOC\n- Exam Questions: 92\n- Vendor: Databricks")]
    picked = key_sentences("How many exam questions are there?", passage, limit=1)
    assert picked[0].text == "- Exam Questions: 92"


CARRYING_ON = [
    (
        1,
        "MLflow is the backbone of transparency in the platform. "
        "It allows candidates to log every experiment, track hyperparameters, and measure "
        "performance metrics across time.",
    ),
    (2, "Generative systems thrive on exploration and creativity at enterprise scale."),
]


def test_a_sentence_carrying_on_is_judged_with_the_one_before(embedder) -> None:
    question = "What can MLflow keep a record of?"
    picked = key_sentences(question, CARRYING_ON, embed=embedder.embed, limit=1)
    assert picked[0].text.startswith("It allows candidates to log every experiment")
    # Read alone, "it" is nothing to the embedder: the carrying-on sentence loses.
    alone = [(1, CARRYING_ON[0][1].split(". ", 1)[1]), (1, CARRYING_ON[0][1].split(". ")[0])]
    vectors = embedder.embed([question, alone[0][1], alone[1][1]])
    assert vectors[1] @ vectors[0] < vectors[2] @ vectors[0]


def test_specificity_prefers_the_sentence_stating_particulars() -> None:
    passages = [
        (
            1,
            "Understanding feedback matters for the exam in many ways. "
            "Human evaluators rank sampled outputs during feedback collection.",
        )
    ]
    rarity = {"Human": 3.0, "Understanding": 1.0}
    question = "What about feedback?"
    plain = key_sentences(question, passages, limit=2)
    specific = key_sentences(
        question, passages, limit=2, specificity=lambda s: rarity[s.split()[0]]
    )
    assert plain[0].text.startswith("Understanding")  # same words: reading order
    assert specific[0].text.startswith("Human evaluators")
