"""Indexing speed, re-index cost, query latency and footprint of the tutor's index.

The embedding model is loaded and warmed up once before anything is timed, so every
index time below is the pipeline's own work (read, chunk, catalog, embed, tag, upsert),
not the model's start-up. The first index does include the one-off `import chromadb`
(about 1 s), as `tutor index` does; on the small project corpus that is most of the
difference from the bare encode.

Measured:
  project corpus   full index of corpus/ into a fresh data dir (Indexer.run wall time)
                   vs. the bare SentenceTransformer.encode of the same texts (each chunk's
                   input and its sentences, which the index keeps vectors of too; batch
                   64, normalized) -> overhead ratio, target <= 1.3x;
                   then a no-change re-index -> its share of the full index, target <= 5%.
  scale run        a synthetic corpus (seeded, so repeatable) of --chunks chunks of
                   500-900 characters built from the real corpus's words (200 files of
                   50 paragraphs for 10,000), indexed the same way: index time, overhead
                   ratio (unless --skip-encode-baseline), no-change re-index and ratio,
                   warm query latency of HybridRetriever.search over --queries queries
                   after 5 warm-ups (p50/p95/max, target p95 <= 50 ms), data-dir size.
  dense search     recall@10 of the dense search against exact search, and of Chroma's
                   HNSW alone, on clustered corpora (`_dense.py`): the study page beside
                   ~320 look-alike notes (~400 chunks), and the scale run, whose synthetic
                   paragraphs are look-alikes too (15 clusters); target >= 0.995. The ~400
                   chunks are also indexed in one run and in three: the questions whose top-5
                   differ (target 0).
  process          peak RSS (getrusage).

Each timing is also given in CPU seconds of this process, and with the average number of
cores other processes used meanwhile (from /proc/stat): on a 2-core machine a concurrent
job easily doubles wall times, so a run is flagged when others used > 0.2 cores, and the
CPU-time ratio is the steadier overhead figure then.

Usage: python benchmarks/index_bench.py [--quick] [--chunks N] [--skip-encode-baseline] [--json]
The default scale run (10,000 chunks) takes about 13 minutes on 2 CPU cores (about 5 of
them the bare-encode baseline, which --skip-encode-baseline leaves out); --quick uses 2,000
chunks for a smoke run (about 2.5 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from _common import (
    CORPUS_DIR,
    OUR_QUESTIONS,
    CpuContention,
    Timing,
    dir_size_mb,
    format_table,
    load_embedder,
    load_questions,
    make_settings,
    note,
    peak_rss_mb,
    percentile,
    stopwatch,
    temp_dir,
)
from _dense import (
    DenseFigures,
    OrderFigures,
    clustered_run,
    dense_recall,
    dense_rows,
    lookalike_paragraphs,
    order_rows,
)

from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer, _embedding_input
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import reading_texts

TARGET_OVERHEAD = 1.3
TARGET_REINDEX_SHARE = 0.05
TARGET_P95_MS = 50.0
ENCODE_BATCH = 64
PARAGRAPHS_PER_FILE = 50
PARAGRAPHS_PER_SECTION = 5
PARAGRAPH_CHARS = (500, 900)
WARMUP_QUERIES = 5
RANDOM_QUERY_EVERY = 4
"""Every 4th timed query is a few random corpus words; the rest are our questions."""
LOOKALIKE_NOTES = 320
"""Beside the study page's chunks: a clustered corpus of about 400 chunks."""
BUSY_CORES = 0.2
"""Above this average CPU use by other processes, a measurement is flagged as disturbed."""


@dataclass
class IndexFigures:
    files: int
    chunks: int
    index: Timing
    """The full index of an empty data dir."""
    encode: Timing | None
    """The bare SentenceTransformer.encode of the same inputs (None when skipped)."""
    reindex: Timing
    """A second run with nothing changed."""
    data_dir_mb: float
    overhead_ratio: float | None = None
    cpu_overhead_ratio: float | None = None
    reindex_share: float = 0.0

    def __post_init__(self) -> None:
        if self.encode:
            self.overhead_ratio = self.index.wall / self.encode.wall
            self.cpu_overhead_ratio = self.index.cpu / self.encode.cpu
        self.reindex_share = self.reindex.wall / self.index.wall


@dataclass
class QueryFigures:
    queries: int
    k: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    mean_ms: float
    other_cores: float | None


@dataclass
class ScaleFigures:
    chunks_requested: int
    generate_s: float
    index: IndexFigures
    query: QueryFigures
    dense: DenseFigures | None = None


@dataclass
class Report:
    model_preloaded: bool = True
    cpu_cores: int = 0
    torch_threads: int = 0
    other_processes_cores: float | None = None
    """Average CPU cores other processes used during the whole run."""
    project: IndexFigures | None = None
    clustered: DenseFigures | None = None
    order: OrderFigures | None = None
    scale: ScaleFigures | None = None
    peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- indexing --------------------------------------------------------------------------


def embedding_inputs(settings: Settings) -> list[str]:
    """Exactly the texts the indexer embedded, read back from the catalog: each chunk's
    input and its sentences."""
    catalog = Catalog(settings.catalog_path, readonly=True)
    try:
        ids = sorted(catalog.chunk_ids())
        records = catalog.records(ids)
    finally:
        catalog.close()
    chunks = [_embedding_input(records[i]) for i in ids]
    return chunks + [t for i in ids for t in reading_texts(records[i].text)]


def bare_encode(settings: Settings, embedder: Embedder) -> Timing:
    """Time SentenceTransformer.encode alone on the texts the index embedded."""
    texts = embedding_inputs(settings)
    with stopwatch() as took:
        embedder.model.encode(
            texts,
            batch_size=ENCODE_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return took


def measure_index(
    settings: Settings, embedder: Embedder, label: str, *, encode_baseline: bool = True
) -> IndexFigures:
    """Full index into an empty data dir, bare-encode baseline, then a no-change re-index."""
    note(f"[{label}] full index ...")
    with stopwatch() as full:
        summary = Indexer(settings, embedder).run()
    note(f"[{label}] {summary.chunks_added} chunks indexed in {full.wall:.1f}s")
    encode = None
    if encode_baseline:
        note(f"[{label}] bare encode of the same chunks and sentences ...")
        encode = bare_encode(settings, embedder)
        note(f"[{label}] bare encode took {encode.wall:.1f}s")
    note(f"[{label}] no-change re-index ...")
    with stopwatch() as again:
        second = Indexer(settings, embedder).run()
    if second.chunks_added or second.files_indexed:
        note(f"[{label}] warning: the re-index found work to do: {second.to_dict()}")
    return IndexFigures(
        files=summary.files_indexed,
        chunks=summary.chunks_added,
        index=full,
        encode=encode,
        reindex=again,
        data_dir_mb=dir_size_mb(settings.data_dir),
    )


# --- synthetic corpus ------------------------------------------------------------------


def vocabulary(corpus_dir: Path) -> list[str]:
    """The real corpus's words with repeats, so sampling follows their frequency."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.md")))
    return [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]", text)]


def title(rng: random.Random, vocab: list[str]) -> str:
    return " ".join(rng.choices(vocab, k=rng.randint(2, 5))).title()


def write_synthetic_corpus(dest: Path, chunks: int, seed: int) -> int:
    """Markdown files of PARAGRAPHS_PER_FILE one-line look-alike paragraphs (one chunk
    each, as each is between the chunker's 400 and 1,200 character bounds, in clusters of
    near-copies); returns the file count."""
    rng = random.Random(seed)
    vocab = vocabulary(CORPUS_DIR)
    paragraphs = iter(lookalike_paragraphs(rng, vocab, chunks))
    dest.mkdir(parents=True, exist_ok=True)
    files = 0
    for first in range(0, chunks, PARAGRAPHS_PER_FILE):
        count = min(PARAGRAPHS_PER_FILE, chunks - first)
        lines = [f"# Study notes {files + 1}: {title(rng, vocab)}", ""]
        for number in range(count):
            if number % PARAGRAPHS_PER_SECTION == 0:
                lines += [f"## {title(rng, vocab)}", ""]
            lines += [next(paragraphs), ""]
        (dest / f"notes-{files + 1:04d}.md").write_text("\n".join(lines), encoding="utf-8")
        files += 1
    return files


# --- queries ---------------------------------------------------------------------------


def query_mix(count: int, seed: int) -> list[str]:
    questions = [q.q for q in load_questions(OUR_QUESTIONS)]
    rng = random.Random(seed + 1)
    vocab = vocabulary(CORPUS_DIR)
    mix: list[str] = []
    for number in range(count):
        if number % RANDOM_QUERY_EVERY == RANDOM_QUERY_EVERY - 1:
            mix.append(" ".join(rng.choices(vocab, k=rng.randint(2, 6))))
        else:
            mix.append(questions[number % len(questions)])
    return mix


def measure_queries(
    settings: Settings, embedder: Embedder, count: int, k: int, seed: int
) -> QueryFigures:
    queries = query_mix(WARMUP_QUERIES + count, seed)
    retriever = HybridRetriever.open(settings, embedder)
    try:
        for query in queries[:WARMUP_QUERIES]:
            retriever.search(query, k)
        timings: list[float] = []
        contention = CpuContention()
        for query in queries[WARMUP_QUERIES:]:
            started = time.perf_counter()
            retriever.search(query, k)
            timings.append((time.perf_counter() - started) * 1000)
        others = contention.other_cores()
    finally:
        retriever.close()
    return QueryFigures(
        queries=count,
        k=k,
        p50_ms=percentile(timings, 0.50),
        p95_ms=percentile(timings, 0.95),
        max_ms=max(timings),
        mean_ms=statistics.fmean(timings),
        other_cores=others,
    )


# --- runs ------------------------------------------------------------------------------


def project_run(embedder: Embedder) -> IndexFigures:
    with temp_dir("index-project") as data_dir:
        return measure_index(make_settings(data_dir), embedder, "project")


def scale_run(embedder: Embedder, args: argparse.Namespace) -> ScaleFigures:
    with temp_dir("index-scale") as work:
        corpus = work / "corpus"
        with stopwatch() as generated:
            write_synthetic_corpus(corpus, args.chunks, args.seed)
        note(f"[scale] wrote {args.chunks} paragraphs in {generated.wall:.1f}s")
        settings = make_settings(work / "data", corpus_dir=corpus)
        index = measure_index(
            settings, embedder, "scale", encode_baseline=not args.skip_encode_baseline
        )
        note(f"[scale] {args.queries} warm queries ...")
        query = measure_queries(settings, embedder, args.queries, args.k, args.seed)
        note("[scale] dense recall against exact search ...")
        retriever = HybridRetriever.open(settings, embedder)
        try:
            queries = query_mix(WARMUP_QUERIES + args.queries, args.seed)
            dense = dense_recall(retriever, queries, index.chunks)
        finally:
            retriever.close()
        return ScaleFigures(args.chunks, generated.wall, index, query, dense)


def run(args: argparse.Namespace) -> Report:
    import torch

    contention = CpuContention()
    report = Report(cpu_cores=os.cpu_count() or 0, torch_threads=torch.get_num_threads())
    note("loading the embedding model (not timed) ...")
    embedder = load_embedder()
    report.project = project_run(embedder)
    note(f"[clustered] the study page beside {LOOKALIKE_NOTES} look-alike notes ...")
    report.clustered, report.order = clustered_run(
        embedder,
        vocabulary(CORPUS_DIR),
        [q.q for q in load_questions(OUR_QUESTIONS)],
        LOOKALIKE_NOTES,
        args.seed,
    )
    if args.chunks > 0:
        report.scale = scale_run(embedder, args)
        if report.scale.index.chunks != args.chunks:
            report.notes.append(
                f"the synthetic corpus gave {report.scale.index.chunks} chunks, "
                f"not the {args.chunks} asked for"
            )
    if args.skip_encode_baseline:
        report.notes.append("bare-encode baseline skipped for the scale run")
    report.peak_rss_mb = peak_rss_mb()
    report.other_processes_cores = contention.other_cores()
    if (report.other_processes_cores or 0.0) > BUSY_CORES:
        report.notes.append(
            f"other processes used {report.other_processes_cores:.2f} of "
            f"{report.cpu_cores} cores on average during this run: wall times are inflated "
            "(see the 'others' column); run again on a quiet machine"
        )
    return report


# --- reporting -------------------------------------------------------------------------


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "-"
    return "ok" if value <= target else "MISSED"


def _others(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.2f}" + (" !" if value > BUSY_CORES else "")


def _seconds(timing: Timing) -> str:
    return f"{timing.wall:.2f} s (CPU {timing.cpu:.1f} s)"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}x"


def _index_rows(figures: IndexFigures) -> list[list[str]]:
    encode = figures.encode
    target = f"<= {TARGET_OVERHEAD}x"
    return [
        ["files / chunks", f"{figures.files} / {figures.chunks}", "", "", ""],
        [
            "full index (Indexer.run)",
            _seconds(figures.index),
            "",
            "",
            _others(figures.index.other_cores),
        ],
        [
            "bare encode, same chunks and sentences",
            _seconds(encode) if encode else "skipped",
            "",
            "",
            _others(encode.other_cores) if encode else "",
        ],
        [
            "index / bare encode, wall",
            _ratio(figures.overhead_ratio),
            target,
            _verdict(figures.overhead_ratio, TARGET_OVERHEAD),
            "",
        ],
        [
            "index / bare encode, CPU",
            _ratio(figures.cpu_overhead_ratio),
            target,
            _verdict(figures.cpu_overhead_ratio, TARGET_OVERHEAD),
            "",
        ],
        [
            "no-change re-index",
            f"{figures.reindex.wall * 1000:.0f} ms",
            "",
            "",
            _others(figures.reindex.other_cores),
        ],
        [
            "re-index / full index",
            f"{figures.reindex_share:.1%}",
            f"<= {TARGET_REINDEX_SHARE:.0%}",
            _verdict(figures.reindex_share, TARGET_REINDEX_SHARE),
            "",
        ],
        ["data dir size", f"{figures.data_dir_mb:.1f} MB", "", "", ""],
    ]


def _query_rows(figures: QueryFigures) -> list[list[str]]:
    label = f"query latency ({figures.queries} warm, k={figures.k})"
    others = _others(figures.other_cores)
    return [
        [f"{label} p50", f"{figures.p50_ms:.1f} ms", "", "", others],
        [
            f"{label} p95",
            f"{figures.p95_ms:.1f} ms",
            f"<= {TARGET_P95_MS:.0f} ms",
            _verdict(figures.p95_ms, TARGET_P95_MS),
            "",
        ],
        [f"{label} max", f"{figures.max_ms:.1f} ms", "", "", ""],
    ]


def render(report: Report) -> str:
    headers = ["measure", "value", "target", "", "others"]
    parts = [
        "Model loaded and warmed up before timing. Times are wall clock (and this process's",
        "CPU time); 'others' = average cores used by other processes meanwhile ('!' > "
        f"{BUSY_CORES}).",
        "",
    ]
    if report.project:
        parts += ["Project corpus", format_table(headers, _index_rows(report.project)), ""]
    if report.clustered and report.order:
        rows = dense_rows(report.clustered, "clustered") + order_rows(report.order)
        parts += [
            f"Clustered corpus: the study page and look-alike notes, {report.order.chunks} chunks",
            format_table(headers, rows),
            "",
        ]
    if report.scale:
        rows = _index_rows(report.scale.index) + _query_rows(report.scale.query)
        if report.scale.dense:
            rows += dense_rows(report.scale.dense, "scale")
        parts += [
            f"Scale run: synthetic corpus, {report.scale.chunks_requested} chunks",
            format_table(headers, rows),
            "",
        ]
    parts.append(f"Peak RSS: {report.peak_rss_mb:.0f} MB")
    others = report.other_processes_cores
    parts.append(
        f"CPU: {report.cpu_cores} cores, torch threads {report.torch_threads}, other processes "
        + ("unknown" if others is None else f"used {others:.2f} cores on average")
    )
    parts += [f"Note: {text}" for text in report.notes]
    return "\n".join(parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Indexing speed, re-index cost and query latency of the tutor's index."
    )
    parser.add_argument(
        "--chunks", type=int, default=10_000, help="synthetic chunks for the scale run (0: none)"
    )
    parser.add_argument("--quick", action="store_true", help="scale run with 2,000 chunks")
    parser.add_argument(
        "--skip-encode-baseline",
        action="store_true",
        help="do not time the bare encode for the scale run (saves minutes)",
    )
    parser.add_argument("--queries", type=int, default=200, help="timed warm queries")
    parser.add_argument("--k", type=int, default=5, help="passages per query (the CLI default)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic corpus")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks = 2_000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
