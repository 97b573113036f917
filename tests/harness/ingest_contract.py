"""Load and chunk one file, and the contract its result must meet: well-formed chunks, or
`SkipFile` with a one-line reason."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tutor.corpus.chunking import MAX_CHARS, Chunk, chunk_document
from tutor.corpus.documents import SkipFile, load_document

SECONDS_PER_FILE = 5.0
"""The bound every load + chunk call must meet on a loaded 2-core machine."""
SOURCE = "fuzz/input"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def ingest(suffix: str, data: bytes) -> tuple[list[Chunk] | None, str | None, float]:
    """Load and chunk one file: (chunks, None) or (None, skip reason), and the seconds it
    took. Any other exception fails the test with the input that caused it."""
    started = time.perf_counter()
    try:
        chunks = chunk_document(load_document(Path(f"input{suffix}"), data), SOURCE)
        outcome: tuple[list[Chunk] | None, str | None] = (chunks, None)
    except SkipFile as skip:
        outcome = (None, str(skip))
    return *outcome, time.perf_counter() - started


def verify(suffix: str, chunks: list[Chunk] | None, reason: str | None) -> None:
    """Assert the contract: well-formed chunks, or a one-line reason for the skip."""
    if reason is not None:
        assert reason.strip() == reason and 3 < len(reason) < 250, repr(reason)
        assert "\n" not in reason and not CONTROL.search(reason), repr(reason)
        assert "Traceback" not in reason
        return
    assert chunks, "a document that loads has at least one chunk"
    unit = "pages" if suffix.lower() == ".pdf" else "lines"
    for ordinal, chunk in enumerate(chunks):
        assert chunk.text.strip() == chunk.text and chunk.text, repr(chunk.text[:80])
        assert len(chunk.text) <= MAX_CHARS
        assert not CONTROL.search(chunk.text), "control characters reached a chunk"
        assert not any(CONTROL.search(h) for h in chunk.heading_path)
        assert chunk.source == SOURCE and chunk.ordinal == ordinal
        assert 1 <= chunk.start <= chunk.end and chunk.span_unit == unit
    assert len({c.id for c in chunks}) == len(chunks)
