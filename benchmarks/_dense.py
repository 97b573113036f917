"""Dense search on clustered corpora, for `index_bench.py`: recall@10 of the tutor's dense
search and of Chroma's HNSW graph against exact search, and whether the same files give the
same results when indexed in one run or in three.

Clustered corpora are what makes approximate search miss: many look-alike notes (one base
paragraph per cluster, each note changing a few of its words and adding a sentence of its
own) beside the real study page.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import CORPUS_DIR, make_settings, percentile, temp_dir

from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever

RECALL_AT = 10
TARGET_RECALL = 0.995
LOOKALIKE_CLUSTERS = 15
CHANGED_WORDS = 0.15
"""The share of a base paragraph's words a look-alike note replaces."""


@dataclass
class DenseFigures:
    chunks: int
    queries: int
    recall_search: float
    """Recall@10 of `HybridRetriever.dense` (what search uses) against exact search."""
    recall_hnsw: float
    """Recall@10 of Chroma's HNSW query alone against exact search."""
    p50_ms: float
    p95_ms: float
    """Latency of the tutor's dense search, warm."""


@dataclass
class OrderFigures:
    chunks: int
    questions: int
    search_differs: int
    """Questions whose top-5 search results differ between the two indexes."""
    hnsw_differs: int
    """Questions whose HNSW top-10 differs between the two indexes (the graph alone)."""


def lookalike_paragraphs(rng: random.Random, vocab: list[str], count: int) -> list[str]:
    """`count` paragraphs in `LOOKALIKE_CLUSTERS` clusters of near-copies."""
    bases = [
        " ".join(rng.choices(vocab, k=rng.randint(90, 130))) for _ in range(LOOKALIKE_CLUSTERS)
    ]
    paragraphs = []
    for number in range(count):
        words = bases[number % LOOKALIKE_CLUSTERS].split()
        for position in rng.sample(range(len(words)), int(len(words) * CHANGED_WORDS)):
            words[position] = rng.choice(vocab)
        own = " ".join(rng.choices(vocab, k=12))
        paragraphs.append((" ".join(words) + ". " + own + ".").capitalize())
    return paragraphs


def write_lookalike_notes(dest: Path, paragraphs: list[str], per_file: int = 5) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(paragraphs), per_file):
        body = "\n\n".join(paragraphs[start : start + per_file])
        name = f"lookalike-{start // per_file + 1:04d}.md"
        (dest / name).write_text(f"# Look-alike notes {start // per_file + 1}\n\n{body}\n")


def dense_recall(retriever: HybridRetriever, queries: list[str], chunks: int) -> DenseFigures:
    ids, matrix = retriever.vectors.all_vectors()
    version = retriever.catalog.vector_version()
    ours, hnsw, timings = [], [], []
    for query in queries:
        vector = retriever.embedder.embed_query(query)
        truth = {ids[i] for i in np.argsort(-(matrix @ vector), kind="stable")[:RECALL_AT]}
        started = time.perf_counter()
        found = retriever.dense.nearest(vector, RECALL_AT, version)
        timings.append((time.perf_counter() - started) * 1000)
        ours.append(len(truth & {i for i, _ in found}) / RECALL_AT)
        raw = retriever.vectors.query(vector, RECALL_AT)
        hnsw.append(len(truth & {i for i, _ in raw}) / RECALL_AT)
    return DenseFigures(
        chunks=chunks,
        queries=len(queries),
        recall_search=float(np.mean(ours)),
        recall_hnsw=float(np.mean(hnsw)),
        p50_ms=percentile(timings[5:], 0.50),
        p95_ms=percentile(timings[5:], 0.95),
    )


def clustered_run(
    embedder: Embedder, vocab: list[str], questions: list[str], notes: int, seed: int
) -> tuple[DenseFigures, OrderFigures]:
    """The study page beside `notes` look-alike paragraphs, indexed in one run and in three
    steps: dense recall on the first, and how many questions' results differ."""
    paragraphs = lookalike_paragraphs(random.Random(seed), vocab, notes)
    with temp_dir("dense-clustered") as work:
        source = work / "source"
        write_lookalike_notes(source, paragraphs)
        for page in sorted(CORPUS_DIR.glob("*.md")):
            shutil.copy(page, source / page.name)
        files = sorted(source.glob("*.md"))
        one_corpus, three_corpus = work / "a" / "corpus", work / "b" / "corpus"
        shutil.copytree(source, one_corpus)
        one = make_settings(work / "one", corpus_dir=one_corpus)
        Indexer(one, embedder).run([one_corpus])
        three = make_settings(work / "three", corpus_dir=three_corpus)
        three_corpus.mkdir(parents=True)
        third = len(files) // 3
        for part in (files[2 * third :], files[:third], files[third : 2 * third]):
            for file in part:
                shutil.copy(file, three_corpus / file.name)
            Indexer(three, embedder).run([three_corpus])
        first = HybridRetriever.open(one, embedder)
        second = HybridRetriever.open(three, embedder)
        try:
            chunks = first.catalog.count_chunks()
            recall = dense_recall(first, questions, chunks)
            search_differs = hnsw_differs = 0
            for question in questions:
                a, b = first.search(question, 5), second.search(question, 5)
                search_differs += [p.chunk_id for p in a] != [p.chunk_id for p in b]
                vector = embedder.embed_query(question)
                raw_a = [i for i, _ in first.vectors.query(vector, RECALL_AT)]
                raw_b = [i for i, _ in second.vectors.query(vector, RECALL_AT)]
                hnsw_differs += raw_a != raw_b
        finally:
            first.close()
            second.close()
    return recall, OrderFigures(chunks, len(questions), search_differs, hnsw_differs)


def dense_rows(figures: DenseFigures, label: str) -> list[list[str]]:
    target = f">= {TARGET_RECALL}"
    verdict = "ok" if figures.recall_search >= TARGET_RECALL else "MISSED"
    latency = f"{figures.p50_ms:.2f} / {figures.p95_ms:.2f} ms"
    return [
        [f"{label}: dense recall@10 vs exact", f"{figures.recall_search:.4f}", target, verdict, ""],
        [f"{label}: Chroma HNSW alone", f"{figures.recall_hnsw:.4f}", "", "", ""],
        [f"{label}: dense search p50 / p95", latency, "", "", ""],
    ]


def order_rows(figures: OrderFigures) -> list[list[str]]:
    return [
        [
            f"one run vs three: top-5 differs ({figures.chunks} chunks)",
            f"{figures.search_differs} of {figures.questions}",
            "0",
            "ok" if figures.search_differs == 0 else "MISSED",
            "",
        ],
        [
            "one run vs three: HNSW top-10 alone differs",
            f"{figures.hnsw_differs} of {figures.questions}",
            "",
            "",
            "",
        ],
    ]
