"""Calibration of "the material does not cover that": the retriever's similarity floors.

A question is refused when no passage clears the coverage floor (COVERED_SIMILARITY, or
the lower COVERED_SIMILARITY_WITH_WORDS when the passage also shares words with the
question); the chat graph then answers "the study material does not cover that" instead
of calling a model.
This script measures, for the shipped floors and a sweep around them:

  answered   share of on-topic questions (the shared dev set and benchmarks/questions.jsonl)
             that still get at least one passage (want 1.0: a refusal here hides material)
  refused    share of off-topic questions (benchmarks/off_topic.txt: cooking, sport,
             travel, other software) that get none (want 1.0: an answer here invites
             a model to improvise from unrelated text)

Usage: python benchmarks/coverage_eval.py [--dev PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _common import (
    BENCH_DIR,
    OUR_QUESTIONS,
    format_table,
    load_embedder,
    load_questions,
    make_settings,
    note,
    temp_dir,
)

from tutor.corpus import search as retrieval
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared/eval/dev_questions.jsonl"
OFF_TOPIC = BENCH_DIR / "off_topic.txt"
SWEEP = [(f, w) for f in (0.18, 0.24, 0.30) for w in (0.10, 0.15, 0.18, 0.21) if w <= f]


def rates(retriever: HybridRetriever, on_topic: list[str], off_topic: list[str]) -> dict:
    answered = sum(1 for q in on_topic if retriever.search(q, 1))
    refused = sum(1 for q in off_topic if not retriever.search(q, 1))
    return {
        "answered": answered / len(on_topic),
        "refused": refused / len(off_topic),
        "missed_on_topic": [q for q in on_topic if not retriever.search(q, 1)],
        "answered_off_topic": [q for q in off_topic if retriever.search(q, 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    on_topic = [q.q for q in load_questions(OUR_QUESTIONS)]
    if args.dev.exists():
        on_topic += [q.q for q in load_questions(args.dev)]
    else:
        note(f"{args.dev} not found: using benchmarks/questions.jsonl only")
    off_topic = [line for line in OFF_TOPIC.read_text().splitlines() if line.strip()]
    shipped = (retrieval.COVERED_SIMILARITY, retrieval.COVERED_SIMILARITY_WITH_WORDS)
    results = []
    with temp_dir("coverage") as data_dir:
        settings = make_settings(data_dir)
        embedder = load_embedder()
        Indexer(settings, embedder).run()
        retriever = HybridRetriever.open(settings, embedder)
        for floor, worded in sorted({*SWEEP, shipped}):
            retrieval.COVERED_SIMILARITY, retrieval.COVERED_SIMILARITY_WITH_WORDS = floor, worded
            result = rates(retriever, on_topic, off_topic)
            results.append(
                {
                    "floor": floor,
                    "with_words": worded,
                    **result,
                    "shipped": (floor, worded) == shipped,
                }
            )
        retriever.close()
    if args.json:
        print(json.dumps(results))
        return
    rows = [
        [
            r["floor"],
            r["with_words"],
            r["answered"],
            r["refused"],
            "<- shipped" if r["shipped"] else "",
        ]
        for r in results
    ]
    print(f"{len(on_topic)} on-topic, {len(off_topic)} off-topic questions")
    print(format_table(["floor", "with words", "answered", "refused", ""], rows))
    for r in results:
        if r["shipped"]:
            for q in r["missed_on_topic"]:
                print(f"  on-topic refused:  {q}")
            for q in r["answered_off_topic"]:
                print(f"  off-topic answered: {q}")


if __name__ == "__main__":
    main()
