"""Helpers shared by the benchmark scripts: temp data dirs, settings, timing, tables."""

from __future__ import annotations

import json
import math
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tutor.config import DEFAULT_EMBEDDING_MODEL, PROJECT_CORPUS, Settings
from tutor.embeddings import Embedder

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
OUR_QUESTIONS = BENCH_DIR / "questions.jsonl"
CORPUS_DIR = PROJECT_CORPUS
TOPICS_FILE = PROJECT_CORPUS / "topics.toml"


@dataclass(frozen=True)
class Question:
    q: str
    gold: str


def load_questions(path: Path) -> list[Question]:
    """One {"q", "gold"} object per non-blank line."""
    questions: list[Question] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append(Question(item["q"], item["gold"]))
    return questions


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS_DIR) -> Settings:
    """Settings for an isolated run: nothing taken from the developer's TUTOR_* variables
    that would change what is measured (embedded Chroma, packaged model, project topics)."""
    return Settings(
        data_dir=data_dir,
        corpus_dir=corpus_dir,
        topics_file=TOPICS_FILE,
        chroma_url=None,
        chroma_collection="tutor_chunks",
        embedding_model=DEFAULT_EMBEDDING_MODEL,
    )


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory, removed afterwards (Chroma's client cache is dropped first)."""
    path = Path(tempfile.mkdtemp(prefix=f"tutor-bench-{prefix}-"))
    try:
        yield path
    finally:
        forget_chroma_clients()
        shutil.rmtree(path, ignore_errors=True)


def forget_chroma_clients() -> None:
    """Chroma caches one system per persist path; clear it so removed dirs are not reused."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def load_embedder() -> Embedder:
    """The packaged MiniLM, loaded and warmed up once (first-call overheads excluded)."""
    embedder = Embedder()
    embedder.embed(["warm up the model", "and its tokenizer"])
    return embedder


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` is the elapsed wall time in seconds."""
    elapsed: list[float] = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


def dir_size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total / (1024 * 1024)


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [
        all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def note(message: str) -> None:
    """Progress and remarks go to stderr so `--json` output stays one clean object."""
    print(message, file=sys.stderr, flush=True)
