"""Which exam objectives a passage supports: the blueprint's objectives matched to chunks.

A passage supports an objective when it is about it, not when it mentions it: its vector is
close to the objective's text and it uses one of the objective's keywords. A passage may
support none (much study material is background the exam does not test); it supports at
most `MAX_OBJECTIVES_PER_CHUNK`.

Similarity alone is not enough. Material about the exam names Databricks, MLflow and
certification on every line, which makes every paragraph of a general study page about as
close to "build an agent with MLflow and the Databricks agent framework" (0.50-0.62) as a
note written on an objective is to its own (0.65-0.86). The keywords are the evidence the
vector cannot give; the floor keeps a passing use of a keyword ("a prompt") from counting.

Calibrated like the topic map: `tests/corpus/test_objective_map.py` holds labelled notes
(each on one objective) and the shipped study page, which covers next to none. `VERSION`
changes whenever these rules do; the index then maps every chunk again, reusing its vector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tutor.corpus.blueprint import Blueprint, Objective

VERSION = 1
MAX_OBJECTIVES_PER_CHUNK = 3
MIN_SIMILARITY = 0.55
"""Cosine between a passage and an objective's text below which the passage is not about it
(the shipped study page's keyword-backed best: 0.52; labelled notes: 0.65 and above)."""
MARGIN = 0.25
"""Besides the closest backed objective, others this close to it are supported too (a note
on Vector Search is about its parts and also how to query it)."""


class ObjectiveMapper:
    """Maps a chunk (its stored vector and text) to the objectives it supports."""

    def __init__(self, objectives: Sequence[Objective], vectors: np.ndarray) -> None:
        self.objectives = tuple(objectives)
        self.vectors = vectors

    @classmethod
    def build(
        cls, blueprint: Blueprint | None, embed: Callable[[list[str]], np.ndarray]
    ) -> ObjectiveMapper:
        """`embed` turns texts into unit vectors (the index's embedder). No blueprint: a
        mapper that maps nothing."""
        objectives = blueprint.objectives if blueprint else ()
        vectors = embed([o.text for o in objectives]) if objectives else np.zeros((0, 1))
        return cls(objectives, vectors)

    def map(self, vector: np.ndarray, text: str) -> list[str]:
        """The ids of the objectives the chunk supports, closest first."""
        if not self.objectives:
            return []
        similarities = self.vectors @ vector
        backed = [
            (float(similarities[i]), objective.id)
            for i, objective in enumerate(self.objectives)
            if similarities[i] >= MIN_SIMILARITY and objective.mentions(text)
        ]
        if not backed:
            return []
        backed.sort(key=lambda pair: (-pair[0], pair[1]))
        best = backed[0][0]
        return [oid for score, oid in backed if score >= best - MARGIN][:MAX_OBJECTIVES_PER_CHUNK]


def mapping_digest(blueprint: Blueprint | None) -> str:
    """Names the objectives and the rules a catalog's mapping was made with."""
    return f"{blueprint.digest if blueprint else 'none'}:objectives-{VERSION}"
