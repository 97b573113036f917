"""Dense search that does not depend on how the index was built: exact over the vectors
while the collection is small, ties by chunk id, reloaded when the index changes; and the
same results whether the files were indexed in one run or several."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import NOTES
from tutor.config import Settings
from tutor.corpus.dense import DenseSearch
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.vectors import VectorStore


def clustered(n: int, seed: int = 0, dims: int = 32) -> np.ndarray:
    """Look-alike vectors: 8 tight clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, dims))
    points = centres[rng.integers(0, 8, n)] + 0.3 * rng.normal(size=(n, dims))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def store(settings: Settings, name: str, ids: list[str], points: np.ndarray) -> VectorStore:
    vectors = VectorStore(settings.model_copy(update={"chroma_collection": name}))
    for start in range(0, len(ids), 100):
        part = slice(start, start + 100)
        vectors.upsert(ids[part], points[part], [{"n": 1}] * len(ids[part]), [""] * len(ids[part]))
    return vectors


def test_exact_search_is_the_true_nearest_whatever_the_insertion_order(settings) -> None:
    points = clustered(600)
    ids = [f"c{i:04d}" for i in range(len(points))]
    order = np.random.default_rng(1).permutation(len(ids))
    forward = DenseSearch(store(settings, "forward", ids, points))
    shuffled = DenseSearch(store(settings, "shuffled", [ids[i] for i in order], points[order]))
    queries = clustered(25, seed=2)
    for query in queries:
        truth = np.argsort(-(points @ query), kind="stable")[:10]
        got = forward.nearest(query, 10, version=1)
        assert [i for i, _ in got] == [ids[i] for i in truth]
        assert got == shuffled.nearest(query, 10, version=1)


def test_equal_scores_are_ordered_by_chunk_id(settings) -> None:
    twin = clustered(1)[0]
    points = np.vstack([twin, twin, twin, clustered(5, seed=3)])
    ids = ["b", "c", "a", "x1", "x2", "x3", "x4", "x5"]
    search = DenseSearch(store(settings, "twins", ids, points))
    assert [i for i, _ in search.nearest(twin, 3, version=1)] == ["a", "b", "c"]
    assert [i for i, _ in search.nearest(twin, 2, version=1)] == ["a", "b"]


def test_the_copy_is_reloaded_when_the_index_changes(settings) -> None:
    points = clustered(50)
    ids = [f"c{i:02d}" for i in range(50)]
    vectors = store(settings, "changing", ids, points)
    search = DenseSearch(vectors)
    assert search.nearest(points[7], 1, version="v1")[0][0] == "c07"
    vectors.delete(["c07"])
    assert search.nearest(points[7], 1, version="v1")[0][0] == "c07"  # same version: kept
    assert search.nearest(points[7], 1, version="v2")[0][0] != "c07"


def test_beyond_the_exact_limit_hnsw_answers_in_a_stable_order(settings) -> None:
    points = clustered(300)
    ids = [f"c{i:03d}" for i in range(300)]
    search = DenseSearch(store(settings, "large", ids, points), exact_limit=100)
    for query in clustered(5, seed=4):
        got = search.nearest(query, 10, version=1)
        scores = [s for _, s in got]
        assert len(got) == 10 and scores == sorted(scores, reverse=True)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for note in sorted(NOTES.glob("*.md")):
        shutil.copy(note, folder / note.name)
    return folder


QUESTIONS = [
    "How should personal data be handled before indexing?",
    "What does a second retrieval stage do?",
    "How is a chain packaged for serving?",
    "How are models versioned in the catalog?",
    "How do I keep an eye on a deployed endpoint?",
]


def search_all(settings: Settings, embedder) -> list[list[str]]:
    retriever = HybridRetriever.open(settings, embedder)
    try:
        return [[p.chunk_id for p in retriever.search(q, k=5)] for q in QUESTIONS]
    finally:
        retriever.close()


def test_one_run_or_three_give_the_same_results(isolated_env, notes, embedder) -> None:
    files = sorted(notes.glob("*.md"))
    one = Settings(data_dir=isolated_env / "one")
    Indexer(one, embedder).run([notes])
    three = Settings(data_dir=isolated_env / "three")
    staged = notes.parent / "later" / "notes"  # the same folder name: the same citations
    staged.mkdir(parents=True)
    for part in (files[10:], files[:4], files[4:10]):
        for file in part:
            shutil.copy(file, staged / file.name)
        Indexer(three, embedder).run([staged])
    assert search_all(one, embedder) == search_all(three, embedder)
