"""Retrieval quality of the tutor against a plain dense baseline, on gold-answer questions.

Each question set is JSON lines of {"q": question, "gold": a passage of the corpus that
answers it}. Texts are compared normalized (lowercase, only letters and digits kept), so
case, whitespace and punctuation never decide a hit.

Metrics, per system and question set:
  findable            questions whose gold lies whole inside one chunk of the system's
                      index (an upper bound on what MRR can count; a gold cut by a chunk
                      boundary can still count for budget recall if both halves are hit
                      in order).
  budget recall@3000  share of questions whose gold is inside the first 3,000 characters
                      of the ranked hits' texts concatenated (what fits in a prompt).
  MRR                 mean of 1/rank of the first hit (top 20) containing the gold; 0 if none.
  answer@3            (tutor hybrid only) share of questions whose gold is inside one of the
                      first three sentences an offline answer highlights (the chat's 4
                      passages, `graphs.chat.offline.offline_answer`).

Question sets: "dev" (the shared set), "ours" (benchmarks/questions.jsonl) and "paraphrased"
(benchmarks/questions_paraphrased.jsonl: questions in other words than the material's), all
used to tune the retriever, and "held-out" (benchmarks/heldout/retrieval_heldout.jsonl:
paraphrased questions written before, and never used for, tuning). Misses are listed for
the tuning sets only; held-out misses are counted (--show-held-out lists them too, for a
look after a change is final).

Systems, each indexing the project corpus into a fresh temp dir, one model load for all:
  tutor hybrid        Indexer + HybridRetriever.search(q, k=20) (dense + BM25, fused).
  tutor dense only    the same index, Chroma nearest neighbours alone (ablation).
  tutor lexical only  the same index, SQLite FTS5 BM25 alone (ablation).
  baseline dense      whole .md files split by RecursiveCharacterTextSplitter(1000, 200),
                      the same MiniLM vectors in a cosine Chroma collection.

Target: tutor hybrid should beat the baseline on both metrics and sets; its misses are
listed so each can be looked at.

Usage: python benchmarks/retrieval_eval.py [--dev PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from _common import (
    CORPUS_DIR,
    OUR_QUESTIONS,
    Question,
    format_table,
    load_embedder,
    load_questions,
    make_settings,
    note,
    stopwatch,
    temp_dir,
)

from graphs.chat.offline import offline_answer
from graphs.chat.state import passage_ref
from graphs.context import DEFAULT_PASSAGES
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared/eval/dev_questions.jsonl"
PARAPHRASED = Path(__file__).resolve().parent / "questions_paraphrased.jsonl"
HELD_OUT = Path(__file__).resolve().parent / "heldout" / "retrieval_heldout.jsonl"
HIGHLIGHTS = 3
BUDGET_CHARS = 3000
DEPTH = 20
BASELINE_CHUNK_SIZE = 1000
BASELINE_OVERLAP = 200
PRIMARY = "tutor hybrid"

Search = Callable[[str], list[str]]
"""A system under test: question -> hit texts, best first."""


@dataclass
class System:
    search: Search
    chunks: list[str]
    """Every chunk text in the system's index, to tell which golds it can return whole."""
    highlights: Search | None = None
    """Question -> the sentences an offline answer highlights, best first."""


@dataclass
class Score:
    n: int
    findable: int
    """Questions whose gold lies inside one chunk of the index (the most MRR can count)."""
    budget_hits: int
    budget_recall: float
    mrr: float
    answer_at_3: float | None = None


@dataclass
class Miss:
    set: str
    q: str
    gold: str
    rank: int | None
    """Rank of the first hit containing the gold within the top 20, if any."""


def normalize(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def within_budget(texts: list[str], gold: str, budget: int = BUDGET_CHARS) -> bool:
    prefix = "\n\n".join(texts)[:budget]
    return normalize(gold) in normalize(prefix)


def first_rank(texts: list[str], gold: str, depth: int = DEPTH) -> int | None:
    wanted = normalize(gold)
    for rank, text in enumerate(texts[:depth], start=1):
        if wanted in normalize(text):
            return rank
    return None


def evaluate(system: System, questions: list[Question], set_name: str) -> tuple[Score, list[Miss]]:
    hits, reciprocal = 0, 0.0
    misses: list[Miss] = []
    chunks = [normalize(text) for text in system.chunks]
    findable = sum(any(normalize(q.gold) in chunk for chunk in chunks) for q in questions)
    for question in questions:
        texts = system.search(question.q)
        rank = first_rank(texts, question.gold)
        reciprocal += 1 / rank if rank else 0.0
        if within_budget(texts, question.gold):
            hits += 1
        else:
            misses.append(Miss(set_name, question.q, question.gold, rank))
    n = len(questions)
    score = Score(n, findable, hits, hits / n if n else 0.0, reciprocal / n if n else 0.0)
    if system.highlights is not None and n:
        answered = 0
        for question in questions:
            shown = system.highlights(question.q)[:HIGHLIGHTS]
            answered += any(normalize(question.gold) in normalize(text) for text in shown)
        score.answer_at_3 = answered / n
    return score, misses


# --- systems ---------------------------------------------------------------------------


@contextmanager
def tutor_systems(embedder: Embedder) -> Iterator[dict[str, System]]:
    """The tutor's index of the project corpus, searched three ways."""
    with temp_dir("eval-tutor") as data_dir:
        settings = make_settings(data_dir)
        with stopwatch() as took:
            summary = Indexer(settings, embedder).run()
        note(f"tutor index: {summary.chunks_added} chunks in {took.wall:.1f}s")
        retriever = HybridRetriever.open(settings, embedder)
        chunks = _texts(retriever, sorted(retriever.catalog.chunk_ids()))
        try:
            yield {
                PRIMARY: System(
                    lambda q: [p.text for p in retriever.search(q, k=DEPTH)],
                    chunks,
                    lambda q: _highlights(retriever, q),
                ),
                "tutor dense only": System(
                    lambda q: _texts(retriever, _dense_ids(retriever, q)), chunks
                ),
                "tutor lexical only": System(
                    lambda q: _texts(retriever, retriever.catalog.lexical_search(q, DEPTH)),
                    chunks,
                ),
            }
        finally:
            retriever.close()


def _dense_ids(retriever: HybridRetriever, query: str) -> list[str]:
    vector = retriever.embedder.embed_query(query)
    version = retriever.catalog.vector_version()
    return [chunk_id for chunk_id, _ in retriever.dense.nearest(vector, DEPTH, version)]


def _highlights(retriever: HybridRetriever, question: str) -> list[str]:
    found = retriever.search(question, k=DEFAULT_PASSAGES)
    passages = [passage_ref(p, n) for n, p in enumerate(found, start=1)]
    _text, _quoted, shown = offline_answer(
        question, passages, "", embed=retriever.sentence_embed, glossary=retriever.glossary()
    )
    return [h["text"] for h in shown]


def _texts(retriever: HybridRetriever, ids: list[str]) -> list[str]:
    records = retriever.catalog.records(ids)
    return [records[i].text for i in ids if i in records]


def baseline_chunks(corpus_dir: Path) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=BASELINE_CHUNK_SIZE, chunk_overlap=BASELINE_OVERLAP
    )
    chunks: list[str] = []
    for path in sorted(corpus_dir.rglob("*.md")):
        chunks.extend(splitter.split_text(path.read_text(encoding="utf-8")))
    return chunks


@contextmanager
def baseline_system(embedder: Embedder, corpus_dir: Path) -> Iterator[System]:
    """The plain recipe: fixed-size splits, MiniLM vectors, a cosine Chroma collection."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with temp_dir("eval-baseline") as chroma_dir:
        client = chromadb.PersistentClient(
            path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        collection = client.get_or_create_collection(
            "baseline", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        chunks = baseline_chunks(corpus_dir)
        with stopwatch() as took:
            vectors = embedder.embed(chunks)
            for start in range(0, len(chunks), 1000):
                end = start + 1000
                collection.add(
                    ids=[f"c{i}" for i in range(start, min(end, len(chunks)))],
                    embeddings=vectors[start:end],
                    documents=chunks[start:end],
                )
        note(f"baseline index: {len(chunks)} chunks in {took.wall:.1f}s")

        def search(query: str) -> list[str]:
            result = collection.query(
                query_embeddings=[embedder.embed_query(query)],
                n_results=DEPTH,
                include=["documents"],
            )
            return list(result["documents"][0])

        yield System(search, chunks)


# --- running and reporting -------------------------------------------------------------


def question_sets(dev_path: Path) -> dict[str, list[Question]]:
    sets: dict[str, list[Question]] = {}
    if dev_path.is_file():
        sets["dev"] = load_questions(dev_path)
    else:
        note(f"note: dev questions not found at {dev_path}; skipping that set")
    sets["ours"] = load_questions(OUR_QUESTIONS)
    sets["paraphrased"] = load_questions(PARAPHRASED)
    if HELD_OUT.is_file():
        sets["held-out"] = load_questions(HELD_OUT)
    return sets


def run(dev_path: Path) -> tuple[dict[str, dict[str, Score]], list[Miss]]:
    sets = question_sets(dev_path)
    embedder = load_embedder()
    results: dict[str, dict[str, Score]] = {}
    misses: list[Miss] = []
    with ExitStack() as stack:
        systems = stack.enter_context(tutor_systems(embedder))
        systems["baseline dense"] = stack.enter_context(baseline_system(embedder, CORPUS_DIR))
        for name, system in systems.items():
            results[name] = {}
            for set_name, questions in sets.items():
                score, missed = evaluate(system, questions, set_name)
                results[name][set_name] = score
                if name == PRIMARY:
                    misses.extend(missed)
    return results, misses


def render(
    results: dict[str, dict[str, Score]], misses: list[Miss], show_held_out: bool = False
) -> str:
    rows = [
        [
            name,
            set_name,
            s.n,
            s.findable,
            f"{s.budget_hits}/{s.n}",
            s.budget_recall,
            s.mrr,
            "-" if s.answer_at_3 is None else f"{s.answer_at_3:.3f}",
        ]
        for name, by_set in results.items()
        for set_name, s in by_set.items()
    ]
    headers = [
        "system", "set", "n", "findable", "hits", f"recall@{BUDGET_CHARS}", "MRR@20", "answer@3",
    ]  # fmt: skip
    held_out = [m for m in misses if m.set == "held-out"]
    shown = misses if show_held_out else [m for m in misses if m.set != "held-out"]
    lines = [format_table(headers, rows), "", f"Missed by {PRIMARY} ({len(misses)}):"]
    if held_out and not show_held_out:
        lines.append(f"  {len(held_out)} held-out (not listed: --show-held-out)")
    for miss in shown:
        where = f"rank {miss.rank}" if miss.rank else "not in top 20"
        lines.append(f"  [{miss.set}] {miss.q}\n      gold: {miss.gold!r} ({where})")
    return "\n".join(lines)


def to_json(results: dict[str, dict[str, Score]], misses: list[Miss]) -> dict:
    return {
        "systems": {
            name: {set_name: asdict(score) for set_name, score in by_set.items()}
            for name, by_set in results.items()
        },
        "misses": [asdict(miss) for miss in misses],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Retrieval quality: budget recall@3000 and MRR of the tutor vs. a baseline."
    )
    parser.add_argument(
        "--dev",
        type=Path,
        default=DEFAULT_DEV,
        help=f"the shared dev question set (default: {DEFAULT_DEV}); skipped if missing",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--show-held-out", action="store_true", help="list the held-out questions missed too"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, misses = run(args.dev)
    if args.json:
        print(json.dumps(to_json(results, misses), indent=2))
    else:
        print(render(results, misses, args.show_held_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
