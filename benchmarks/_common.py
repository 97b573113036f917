"""Helpers shared by the benchmark scripts: temp data dirs, settings, timing, tables."""

from __future__ import annotations

import json
import math
import os
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
from tutor.corpus.embeddings import Embedder

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
OUR_QUESTIONS = BENCH_DIR / "questions.jsonl"
CORPUS_DIR = PROJECT_CORPUS
TOPICS_FILE = PROJECT_CORPUS / "topics.toml"
MODELS_DIR = Path(tempfile.gettempdir()) / "tutor-bench-models"
"""The benchmarks' ONNX exports, kept between runs (an export takes ~10 s, never timed)."""


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
        models_dir=MODELS_DIR,
        embedding_runtime="onnx",
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


def load_embedder(runtime: str = "onnx") -> Embedder:
    """The packaged MiniLM as the tutor runs it (`runtime` "onnx", the default, or "torch"),
    loaded and warmed up once (first-call overheads excluded)."""
    embedder = Embedder(onnx_cache=MODELS_DIR if runtime == "onnx" else None)
    embedder.embed(["warm up the model", "and its tokenizer"])
    embedder.embed_query("and its one-thread session")
    if embedder.runtime != runtime:
        raise SystemExit(f"cannot embed with {runtime}: {embedder.onnx_problem}")
    return embedder


@dataclass
class Timing:
    wall: float = 0.0
    """Elapsed seconds."""
    cpu: float = 0.0
    """CPU seconds of this process (all its threads, Chroma's and torch's included)."""
    other_cores: float | None = None
    """Average cores other processes used meanwhile; near 0 means a clean measurement."""


@contextmanager
def stopwatch() -> Iterator[Timing]:
    """`with stopwatch() as t: ...` then read `t.wall`, `t.cpu` and `t.other_cores`."""
    timing = Timing()
    contention = CpuContention()
    cpu_started = _own_cpu_seconds()
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing.wall = time.perf_counter() - started
        timing.cpu = _own_cpu_seconds() - cpu_started
        timing.other_cores = contention.other_cores()


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


class CpuContention:
    """How much CPU other processes took while a benchmark ran (Linux /proc/stat).

    Timings on a small machine are only meaningful when nothing else competes for the
    cores; this puts a number on it so a contaminated run can be recognised.
    """

    def __init__(self) -> None:
        self._start = (time.perf_counter(), _system_busy_seconds(), _own_cpu_seconds())

    def other_cores(self) -> float | None:
        """Average cores used by other processes since construction (None if unknown)."""
        wall0, busy0, own0 = self._start
        busy1 = _system_busy_seconds()
        if busy0 is None or busy1 is None:
            return None
        wall = time.perf_counter() - wall0
        others = (busy1 - busy0) - (_own_cpu_seconds() - own0)
        return max(0.0, others / wall) if wall > 0 else None


def _system_busy_seconds() -> float | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
