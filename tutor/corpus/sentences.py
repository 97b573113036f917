"""Sentences of a passage and which of them answer a question best."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tutor.text import lexical_terms

# A sentence ends at . ! ? (optionally closed by a quote or bracket) followed by space and
# something that can start a sentence; "e.g. the" and "3.5" do not split.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "Mr.", "Dr.", "Fig.", "No.")

_LABELLED = re.compile(r"^[A-Z][\w ]{2,30}:\s*\S")
"""A short labelled fact ("Exam Questions: 92") is a sentence too, however short."""

Embed = Callable[[list[str]], np.ndarray]
"""Unit-length vectors for texts, one row each (the tutor's embedder)."""


class CachedEmbed:
    """An `Embed` that remembers vectors by text (least recently used dropped first).

    The same passages come back turn after turn, and embedding their sentences is most of
    a turn's own cost; a few thousand vectors of 384 floats are a few MB.
    """

    def __init__(self, embed: Embed, size: int = 4096) -> None:
        self.embed = embed
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self._vectors[text] = vector
        for text in texts:
            self._vectors.move_to_end(text)
        rows = [self._vectors[t] for t in texts]
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def split_sentences(text: str) -> list[str]:
    """The sentences of a passage, each on one line, list items and headings kept whole."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*]\s)", text):
        block = " ".join(block.split())
        if not block:
            continue
        pieces = _BOUNDARY.split(block)
        merged: list[str] = []
        for piece in pieces:
            if merged and merged[-1].endswith(_ABBREVIATIONS):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        sentences.extend(s.strip() for s in merged if s.strip())
    return sentences


@dataclass(frozen=True)
class KeySentence:
    passage: int
    """The passage's citation number."""
    text: str
    score: float


def key_sentences(
    question: str,
    passages: Sequence[tuple[int, str]],
    *,
    embed: Embed | None = None,
    limit: int = 3,
    per_passage: int = 2,
    bonus: Callable[[str], float] | None = None,
) -> list[KeySentence]:
    """The sentences (from numbered passages) that bear most on the question, best first.

    Meaning (cosine of sentence and question vectors) leads when an embedder is at hand;
    shared content words add to it and carry the ranking alone without one. `bonus` adds
    (or takes away) a score of its own per sentence.
    """
    candidates = [
        (n, sentence)
        for n, text in passages
        for sentence in split_sentences(text)
        if len(sentence.split()) >= 5 or _LABELLED.match(sentence)
    ]
    if not candidates:
        return []
    overlap = np.array([_word_overlap(question, s) for _, s in candidates], dtype=np.float32)
    scores = overlap
    if embed is not None:
        vectors = embed([question] + [s for _, s in candidates])
        scores = vectors[1:] @ vectors[0] + 0.15 * overlap
    if bonus is not None:
        scores = scores + np.array([bonus(s) for _, s in candidates], dtype=np.float32)
    picked: list[KeySentence] = []
    taken: dict[int, int] = {}
    for index in np.argsort(-scores, kind="stable"):
        n, sentence = candidates[int(index)]
        if taken.get(n, 0) >= per_passage:
            continue
        taken[n] = taken.get(n, 0) + 1
        picked.append(KeySentence(n, sentence, float(scores[int(index)])))
        if len(picked) == limit:
            break
    return picked


def _word_overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (stemmed crudely) found in the sentence."""
    wanted = {_stem(t) for t in lexical_terms(question)}
    if not wanted:
        return 0.0
    present = {_stem(t) for t in lexical_terms(sentence)}
    return len(wanted & present) / len(wanted)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
