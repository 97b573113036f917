"""A longer fuzz run of the loaders and the chunker than the test suite affords.

Runs the generators the tests use (`tests/harness/ingest_inputs.py`: random bytes under
every suffix, bytes behind a PDF header, random unicode in five encodings, markdown and
HTML built from their own pieces, mutated PDFs) for --examples files each, then the fixed
pathological files, then the largest inputs each loader accepts (text near the 20 MB
file limit, HTML near the tag limit, a PDF of thousands of pages) to give the worst time
per file and the throughput.

Every call of `load_document` + `chunk_document` is timed and watched by an alarm:
  crash    an exception other than SkipFile, or a broken contract (a chunk over the size
           limit, empty, with control characters; a reason on several lines, ...);
           the input is saved to benchmarks/results/ingest_fuzz/ to reproduce it
  hang     a call still running after --hang-seconds (the alarm stops it)
  slow     a call over 5 s (the tests' bound; PDFs may take up to their 60 s budget)
Skip reasons are counted with their numbers blanked, so one line covers a kind of skip.

Usage: python benchmarks/ingest_fuzz.py [--examples N] [--large N] [--seed S] [--quick]
                                         [--no-scale] [--json]
The default (2,000 small examples per generator, 200 large ones, the scale run: 13,033
files) takes about 4 minutes on 2 idle cores; --quick (200 + 20 examples, no scale run)
about 30 seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the generators live with the tests

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.harness import ingest_contract, ingest_inputs, pdf_builder  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "ingest_fuzz"
SLOW_SECONDS = ingest_contract.SECONDS_PER_FILE

GENERATORS = {
    "random bytes, any suffix": st.tuples(
        st.sampled_from(ingest_inputs.SUFFIXES), st.binary(max_size=65_536)
    ),
    "bytes behind %PDF-": st.binary(max_size=16_384).map(lambda b: (".pdf", b"%PDF-1.7\n" + b)),
    "unicode, 5 encodings": st.tuples(
        st.sampled_from(ingest_inputs.TEXT_SUFFIXES),
        st.text(max_size=20_000),
        st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    ).map(lambda t: (t[0], t[1].encode(t[2], errors="replace"))),
    "markdown pieces": st.tuples(
        st.sampled_from([".md", ".txt"]),
        st.lists(ingest_inputs.markdown_lines, max_size=400).map(
            lambda lines: "\n".join(lines).encode()
        ),
    ),
    "html pieces": st.lists(ingest_inputs.html_pieces, max_size=500).map(
        lambda pieces: (".html", "".join(pieces).encode())
    ),
    "mutated pdfs": ingest_inputs.mutated_pdfs().map(lambda pdf: (".pdf", pdf)),
}


# Hypothesis keeps examples small (a few KB), which is right for finding edge cases; these
# seeded generators add large inputs built from the same kinds of pieces.


def large_random_bytes(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice(ingest_inputs.SUFFIXES), rng.randbytes(int(10 ** rng.uniform(3, 6.3)))


def large_random_unicode(rng: random.Random) -> tuple[str, bytes]:
    ranges = [(0, 0x7F), (0x80, 0x24F), (0x370, 0x4FF), (0x4E00, 0x9FFF), (0x1F300, 0x1FAFF)]
    size = int(10 ** rng.uniform(3, 5.7))
    text = "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(size))
    encoding = rng.choice(["utf-8", "utf-8-sig", "cp1252", "utf-16"])
    return rng.choice(ingest_inputs.TEXT_SUFFIXES), text.encode(encoding, errors="replace")


def large_markdown(rng: random.Random) -> tuple[str, bytes]:
    def line() -> str:
        depth, run = rng.randint(0, 300), " " * rng.choice([0, 1, 2, 50, 5000])
        words = " ".join(
            rng.choice(["chunk", "vector", "RLHF", "#", "`", ">", "-"])
            for _ in range(rng.randint(0, 40))
        )
        return rng.choice(
            [
                "#" * rng.randint(1, 8) + run + words + rng.choice(["", " ##", run + "#"]),
                ">" * depth + " " + words,
                "  " * (depth // 10) + rng.choice(["- ", "* ", "1. "]) + words,
                rng.choice(["```", "~~~", "===", "---", "", " ", "\f", "\x1b[2J"]),
                words + run + words,
                "x" * rng.choice([10, 5000, 100_000]),
            ]
        )

    lines, size = [], 0
    for _ in range(int(10 ** rng.uniform(2, 4))):
        lines.append(line())
        size += len(lines[-1]) + 1
        if size > 19_000_000:  # under the 20 MB file limit, as the indexer would take it
            break
    return rng.choice([".md", ".txt"]), "\n".join(lines).encode()


def large_html(rng: random.Random) -> tuple[str, bytes]:
    tags = ingest_inputs.HTML_TAGS
    pieces = []
    for _ in range(int(10 ** rng.uniform(2, 5))):
        kind = rng.random()
        if kind < 0.4:
            pieces.append(f"<{rng.choice(tags)}>")
        elif kind < 0.6:
            pieces.append(f"</{rng.choice(tags)}>")
        elif kind < 0.7:
            pieces.append(rng.choice(["&#27;[2J", "&nbsp;", "<!--", "-->", "<![CDATA[", "\n"]))
        else:
            pieces.append("text " * rng.randint(1, 50))
    return ".html", "".join(pieces).encode()


def large_mutated_pdf(rng: random.Random) -> tuple[str, bytes]:
    pages = [
        pdf_builder.text_page(f"Page {i} about vector search and chunking.") for i in range(50)
    ]
    pdf = bytearray(pdf_builder.pdf_file(pdf_builder.pdf_objects(pages, flate=rng.random() < 0.5)))
    for _ in range(rng.randint(1, 20)):
        at = rng.randrange(len(pdf))
        pdf[at : at + rng.randint(0, 32)] = rng.choice(
            [rng.randbytes(rng.randint(0, 32)), b"<<" * 500, b"[" * 5000, b"0 0 R ", b""]
        )
    return ".pdf", bytes(pdf)


LARGE = {
    "large random bytes": large_random_bytes,
    "large random unicode": large_random_unicode,
    "large markdown": large_markdown,
    "large html": large_html,
    "large mutated pdfs": large_mutated_pdf,
}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


@dataclass
class Tally:
    name: str
    tried: int = 0
    chunked: int = 0
    skipped: int = 0
    crashes: int = 0
    hangs: int = 0
    slow: int = 0
    max_seconds: float = 0.0
    max_bytes: int = 0
    seconds: list[float] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def run(self, suffix: str, data: bytes, hang_seconds: float) -> float:
        self.tried += 1
        self.max_bytes = max(self.max_bytes, len(data))
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, hang_seconds)
        try:
            chunks, reason, _ = ingest_contract.ingest(suffix, data)
            ingest_contract.verify(suffix, chunks, reason)
        except Hang:
            self.hangs += 1
            self._keep(suffix, data, f"still running after {hang_seconds:g} s")
            return time.perf_counter() - started
        except BaseException as error:  # a crash or a broken contract: keep the input
            if isinstance(error, KeyboardInterrupt):
                raise
            self.crashes += 1
            self._keep(suffix, data, f"{type(error).__name__}: {error}")
            return time.perf_counter() - started
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - started
        self.seconds.append(seconds)
        self.max_seconds = max(self.max_seconds, seconds)
        self.slow += seconds > SLOW_SECONDS
        if reason is None:
            self.chunked += 1
        else:
            self.skipped += 1
            self.reasons[re.sub(r"(?<![\w-])\d[\d,.]*", "N", reason)[:90]] += 1
        return seconds

    def _keep(self, suffix: str, data: bytes, what: str) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"\W+", "-", self.name)
        path = RESULTS / f"{stem}-{self.tried}{suffix}"
        path.write_bytes(data)
        self.problems.append(f"{path.relative_to(REPO_ROOT)}: {what[:200]}")

    def p99(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0

    def to_dict(self) -> dict:
        return {
            "generator": self.name,
            "tried": self.tried,
            "chunked": self.chunked,
            "skipped": self.skipped,
            "crashes": self.crashes,
            "hangs": self.hangs,
            "slow": self.slow,
            "max_seconds": round(self.max_seconds, 3),
            "p99_seconds": round(self.p99(), 4),
            "largest_bytes": self.max_bytes,
            "reasons": dict(self.reasons.most_common()),
            "problems": self.problems,
        }


def fuzz_generator(name: str, strategy, examples: int, hang_seconds: float) -> Tally:
    tally = Tally(name)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # nothing fails, so nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def one(case: tuple[str, bytes]) -> None:
        tally.run(*case, hang_seconds)

    one()
    return tally


def scale_cases() -> dict[str, tuple[str, bytes]]:
    """The largest inputs the loaders accept, for the worst time per file."""
    mb = 1_000_000
    prose = b"Vector search finds passages whose embeddings are close to the question. "
    objects = pdf_builder.pdf_objects(
        [pdf_builder.text_page(f"Page {i}: chunking keeps paragraphs whole.") for i in range(3000)]
    )
    return {
        "md 19 MB of prose paragraphs": (".md", (prose * 13 + b"\n\n") * (19 * mb // 975)),
        "txt 19 MB of one-line paragraphs": (".txt", b"A line of text.\n\n" * (19 * mb // 17)),
        "md 19 MB of spaces in a paragraph": (".md", b"a" + b" " * (19 * mb) + b"b"),
        "md 19 MB heading of spaces": (".md", b"# a" + b" " * (19 * mb) + b"b\n\nText."),
        "html 199,000 tags": (".html", b"<p>A short paragraph of text.</p>\n" * 99_500),
        "html 199,000 nested tags": (".html", b"<div><span>" * 99_500 + b"<p>deep</p>"),
        "pdf 3,000 pages": (".pdf", pdf_builder.pdf_file(objects)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="files per generator")
    parser.add_argument("--large", type=int, default=200, help="large files per generator")
    parser.add_argument("--seed", default="tutor", help="seed of the large files")
    parser.add_argument("--quick", action="store_true", help="200 + 20 examples, no scale run")
    parser.add_argument("--no-scale", action="store_true", help="skip the largest inputs")
    parser.add_argument("--hang-seconds", type=float, default=120.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    examples = 200 if args.quick else args.examples
    large = 20 if args.quick else args.large
    signal.signal(signal.SIGALRM, _alarm)

    tallies: list[Tally] = []
    for name, strategy in GENERATORS.items():
        started = time.perf_counter()
        tallies.append(fuzz_generator(name, strategy, examples, args.hang_seconds))
        if not args.json:
            print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for name, make in LARGE.items():
        rng, tally, started = random.Random(f"{args.seed}-{name}"), Tally(name), time.perf_counter()
        for _ in range(large):
            tally.run(*make(rng), args.hang_seconds)
        tallies.append(tally)
        if not args.json:
            print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    pathological = Tally("pathological files")
    for case in ingest_inputs.PATHOLOGICAL:
        pathological.run(*ingest_inputs.pathological(case), args.hang_seconds)
    tallies.append(pathological)

    scale: list[dict] = []
    if not (args.quick or args.no_scale):
        for name, (suffix, data) in scale_cases().items():
            one = Tally(name)
            seconds = one.run(suffix, data, args.hang_seconds)
            outcome = (
                "crash"
                if one.crashes
                else "hang"
                if one.hangs
                else "chunked"
                if one.chunked
                else next(iter(one.reasons))
            )
            scale.append(
                {
                    "input": name,
                    "mb": round(len(data) / 1e6, 1),
                    "seconds": round(seconds, 2),
                    "mb_per_s": round(len(data) / 1e6 / seconds, 1),
                    "outcome": outcome,
                }
            )

    if args.json:
        print(json.dumps({"generators": [t.to_dict() for t in tallies], "scale": scale}))
        return
    header = (
        f"{'generator':<28}{'tried':>7}{'chunked':>9}{'skipped':>9}{'crash':>7}{'hang':>6}"
        f"{'slow':>6}{'max s':>8}{'p99 s':>8}{'largest':>10}"
    )
    print(header)
    for t in tallies:
        print(
            f"{t.name:<28}{t.tried:>7}{t.chunked:>9}{t.skipped:>9}{t.crashes:>7}{t.hangs:>6}"
            f"{t.slow:>6}{t.max_seconds:>8.2f}{t.p99():>8.3f}{t.max_bytes:>10,}"
        )
    total = sum(t.tried for t in tallies)
    print(
        f"\n{total:,} files: {sum(t.crashes for t in tallies)} crashes, "
        f"{sum(t.hangs for t in tallies)} hangs, {sum(t.slow for t in tallies)} over "
        f"{SLOW_SECONDS:g} s; slowest {max(t.max_seconds for t in tallies):.2f} s"
    )
    reasons = Counter()
    for t in tallies:
        reasons.update(t.reasons)
    print("\nskip reasons (numbers blanked):")
    for reason, count in reasons.most_common(15):
        print(f"  {count:>6}  {reason}")
    problems = [p for t in tallies for p in t.problems]
    if problems:
        print("\nproblems (inputs saved):")
        for problem in problems:
            print(f"  {problem}")
    if scale:
        print("\nlargest inputs:")
        for row in scale:
            print(
                f"  {row['input']:<36}{row['mb']:>6} MB{row['seconds']:>8.2f} s"
                f"{row['mb_per_s']:>7} MB/s  {row['outcome']}"
            )


if __name__ == "__main__":
    main()
