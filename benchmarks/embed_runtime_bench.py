"""The embedding runtimes side by side, in one run: ONNX Runtime (the tutor's default) and
sentence-transformers with torch, on what a learner waits for.

Measured:
  cold start   `tutor search "What is PCA?" --json` as a new process against a data dir
               holding the indexed project corpus, with TUTOR_EMBEDDING_RUNTIME=onnx and
               =torch (the ONNX export made beforehand, not timed): median wall time and
               peak RSS of --repeat runs each, started from a small launcher process.
               Targets for onnx: <= 2.0 s, <= 400 MB.
  throughput   texts per second embedding what the index embeds for the project corpus
               (each chunk's input and its sentences), every core, best of 3: onnx
               (batches of 8) against torch (batches of 64, as the tutor runs each).
               Target >= 2x.
  agreement    the lowest cosine between the two runtimes' vectors of those texts
               (target >= 0.999).
  retrieval    budget recall@3000 and MRR@20 of the tutor's search on the held-out
               questions, the corpus indexed and searched by each runtime (target: the
               same within 0.01).

Usage: python benchmarks/embed_runtime_bench.py [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from _common import (
    MODELS_DIR,
    format_table,
    load_embedder,
    load_questions,
    make_settings,
    note,
    stopwatch,
    temp_dir,
)
from retrieval_eval import HELD_OUT, PRIMARY, evaluate, tutor_systems

from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer, _embedding_input
from tutor.corpus.sentences import reading_texts

TARGET_COLD_S = 2.0
TARGET_COLD_MB = 400.0
TARGET_SPEEDUP = 2.0
TARGET_COSINE = 0.999
TARGET_RETRIEVAL_DELTA = 0.01
TUTOR = Path(sys.executable).parent / "tutor"


@dataclass
class Runtime:
    name: str
    cold_s: float
    cold_mb: float
    texts_per_s: float
    recall: float
    mrr: float


LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
output = child.stdout.read()
_pid, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"wall": time.perf_counter() - started, "mb": usage.ru_maxrss / 1024,
                  "ok": os.waitstatus_to_exitcode(status) == 0 and bool(json.loads(output))}))
"""
"""Starts `tutor` and reports its wall time and peak RSS. A small process of its own: a
child's peak RSS starts from its parent's at fork, and this benchmark holds torch."""


def cold_start(data_dir: Path, runtime: str, repeat: int) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of `tutor search` as a new process."""
    env = {
        **os.environ,
        "TUTOR_DATA_DIR": str(data_dir),
        "TUTOR_MODELS_DIR": str(MODELS_DIR),
        "TUTOR_EMBEDDING_RUNTIME": runtime,
    }
    walls, peaks = [], []
    for _ in range(repeat):
        command = [str(TUTOR), "search", "What is PCA?", "--json"]
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *command], env=env, capture_output=True, text=True
        )
        measured = json.loads(done.stdout or "{}")
        if not measured.get("ok"):
            raise SystemExit(f"`tutor search` failed with TUTOR_EMBEDDING_RUNTIME={runtime}")
        walls.append(measured["wall"])
        peaks.append(measured["mb"])
    return statistics.median(walls), statistics.median(peaks)


def index_texts(data_dir: Path) -> list[str]:
    catalog = Catalog(make_settings(data_dir).catalog_path, readonly=True)
    try:
        records = catalog.records(sorted(catalog.chunk_ids()))
    finally:
        catalog.close()
    chunks = [_embedding_input(r) for r in records.values()]
    return chunks + [t for r in records.values() for t in reading_texts(r.text)]


def throughput(embedder: Embedder, texts: list[str]) -> tuple[float, np.ndarray]:
    best, vectors = float("inf"), np.zeros(0)
    for _ in range(3):
        with stopwatch() as took:
            vectors = embedder.embed(texts)
        best = min(best, took.wall)
    return len(texts) / best, vectors


def retrieval(embedder: Embedder) -> tuple[float, float]:
    with tutor_systems(embedder) as systems:
        score, _ = evaluate(systems[PRIMARY], load_questions(HELD_OUT), "held-out")
    return score.budget_recall, score.mrr


def run(repeat: int) -> dict:
    embedders = {name: load_embedder(name) for name in ("onnx", "torch")}
    results: dict[str, Runtime] = {}
    with temp_dir("runtime") as data_dir:
        Indexer(make_settings(data_dir), embedders["onnx"]).run()
        texts = index_texts(data_dir)
        vectors = {}
        for name, embedder in embedders.items():
            note(f"[{name}] cold start x{repeat}, throughput, held-out retrieval ...")
            cold_s, cold_mb = cold_start(data_dir, name, repeat)
            speed, vectors[name] = throughput(embedder, texts)
            recall, mrr = retrieval(embedder)
            results[name] = Runtime(name, cold_s, cold_mb, speed, recall, mrr)
    cosine = float((vectors["onnx"] * vectors["torch"]).sum(axis=1).min())
    return {
        "texts": len(texts),
        "cosine": cosine,
        "runtimes": [asdict(r) for r in results.values()],
    }


def render(report: dict) -> str:
    onnx, torch = (Runtime(**r) for r in report["runtimes"])
    speedup = onnx.texts_per_s / torch.texts_per_s
    same_recall = abs(onnx.recall - torch.recall) <= TARGET_RETRIEVAL_DELTA
    same_mrr = abs(onnx.mrr - torch.mrr) <= TARGET_RETRIEVAL_DELTA

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        ["`tutor search` cold start", f"{onnx.cold_s:.2f} s", f"{torch.cold_s:.2f} s",
         f"<= {TARGET_COLD_S} s", verdict(onnx.cold_s <= TARGET_COLD_S)],
        ["`tutor search` peak RSS", f"{onnx.cold_mb:.0f} MB", f"{torch.cold_mb:.0f} MB",
         f"<= {TARGET_COLD_MB:.0f} MB", verdict(onnx.cold_mb <= TARGET_COLD_MB)],
        [f"embedding {report['texts']} index texts", f"{onnx.texts_per_s:.0f}/s",
         f"{torch.texts_per_s:.0f}/s", f">= {TARGET_SPEEDUP}x", f"{speedup:.2f}x "
         + verdict(speedup >= TARGET_SPEEDUP)],
        ["lowest cosine onnx vs torch", f"{report['cosine']:.6f}", "",
         f">= {TARGET_COSINE}", verdict(report["cosine"] >= TARGET_COSINE)],
        ["held-out recall@3000", f"{onnx.recall:.3f}", f"{torch.recall:.3f}",
         f"±{TARGET_RETRIEVAL_DELTA}", verdict(same_recall)],
        ["held-out MRR@20", f"{onnx.mrr:.3f}", f"{torch.mrr:.3f}",
         f"±{TARGET_RETRIEVAL_DELTA}", verdict(same_mrr)],
    ]  # fmt: skip
    table = format_table(["measure", "onnx", "torch", "target", ""], rows)
    return f"Embedding runtimes, one run ({os.cpu_count()} cores)\n{table}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold starts per runtime")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = run(args.repeat)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
