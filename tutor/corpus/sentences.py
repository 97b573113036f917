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

_LABELLED = re.compile(r"^(?:[-*]\s+)?[A-Z][\w ]{2,30}:\s*\S")
"""A short labelled fact ("Exam Questions: 92", in a list or not) is a sentence too,
however short."""

CARRIES_ON = re.compile(r"^(?:it|its|they|their|them|this|these|such)\b", re.I)
"""A sentence that goes on about the previous sentence's subject ("It allows ...")."""
SPECIFIC_WEIGHT = 0.03
"""For a sentence whose words are rarer in the material than its neighbours' (per standard
deviation among the candidates): "human evaluators rank outputs" over "understanding RLHF
is both a technical and philosophical imperative". Chosen on the tuning questions
(benchmarks/retrieval_eval.py, answer@3)."""

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

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Take vectors made elsewhere (the index's), so these texts are not embedded."""
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
        self._trim()

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self._vectors[text] = vector
        for text in texts:
            self._vectors.move_to_end(text)
        rows = [self._vectors[t] for t in texts]
        self._trim()
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def _trim(self) -> None:
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


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


def readings(sentences: list[str]) -> list[tuple[str, str | None]]:
    """Each sentence with how it reads together with the one before when it carries on
    from it ("MLflow is ... It allows ..."), else None: "it" means nothing to an embedder."""
    return [
        (sentence, f"{sentences[n - 1]} {sentence}" if n and CARRIES_ON.match(sentence) else None)
        for n, sentence in enumerate(sentences)
    ]


def reading_texts(text: str) -> list[str]:
    """Every sentence of a passage, and each carrying-on sentence read with the one before,
    in order: the texts whose vectors the index keeps for a chunk."""
    return [reading for pair in readings(split_sentences(text)) for reading in pair if reading]


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
    specificity: Callable[[str], float] | None = None,
) -> list[KeySentence]:
    """The sentences (from numbered passages) that bear most on the question, best first.

    Meaning (cosine of sentence and question vectors) leads when an embedder is at hand; a
    sentence that carries on the one before ("It allows candidates to log every
    experiment") is also judged read together with it, since "it" means nothing to the
    embedder. Shared content words add to it and carry the ranking alone without one.
    `bonus` adds (or takes away) a score of its own per sentence; `specificity` (how rare a
    sentence's words are in the material) favours the sentences that state particulars.
    """
    candidates = [
        (n, sentence, read_with)
        for n, text in passages
        for sentence, read_with in readings(split_sentences(text))
        if len(sentence.split()) >= 5 or _LABELLED.match(sentence)
    ]
    if not candidates:
        return []
    texts = [s for _, s, _ in candidates]
    overlap = np.array([_word_overlap(question, s) for s in texts], dtype=np.float32)
    scores = overlap
    if embed is not None:
        scores = _similarities(question, candidates, embed) + 0.15 * overlap
    if bonus is not None:
        scores = scores + np.array([bonus(s) for s in texts], dtype=np.float32)
    if specificity is not None:
        rarity = np.array([specificity(s) for s in texts], dtype=np.float32)
        spread = float(rarity.std()) or 1.0
        scores = scores + SPECIFIC_WEIGHT * (rarity - rarity.mean()) / spread
    picked: list[KeySentence] = []
    taken: dict[int, int] = {}
    for index in np.argsort(-scores, kind="stable"):
        n, sentence, _ = candidates[int(index)]
        if taken.get(n, 0) >= per_passage:
            continue
        taken[n] = taken.get(n, 0) + 1
        picked.append(KeySentence(n, sentence, float(scores[int(index)])))
        if len(picked) == limit:
            break
    return picked


def _similarities(
    question: str, candidates: list[tuple[int, str, str | None]], embed: Embed
) -> np.ndarray:
    """Each sentence's cosine to the question; a carrying-on sentence's is the better of
    its own and that of it read with the sentence before."""
    vectors = embed([question] + [s for _, s, _ in candidates])
    scores = vectors[1:] @ vectors[0]
    carried = [(k, read_with) for k, (_, _, read_with) in enumerate(candidates) if read_with]
    if carried:
        together = embed([read_with for _, read_with in carried]) @ vectors[0]
        for (k, _), score in zip(carried, together, strict=True):
            scores[k] = max(scores[k], score)
    return scores


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
