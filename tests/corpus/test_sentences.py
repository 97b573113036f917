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
