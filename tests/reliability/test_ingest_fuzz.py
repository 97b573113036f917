"""Fuzzing the loaders and the chunker in-process: random bytes under every suffix, random
unicode, markdown and HTML built from their own pieces, mutated PDFs, and a fixed set of
pathological files (lines of megabytes, nesting 10,000 deep, broken xrefs, compression
bombs). Whatever comes in, `load_document` + `chunk_document` either give well-formed
chunks or raise `SkipFile` with a one-line reason, and every call returns within
`SECONDS_PER_FILE`. The generators live in `tests/harness/ingest_inputs.py`;
`benchmarks/ingest_fuzz.py` runs them for longer."""

from __future__ import annotations

import logging
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tutor.corpus.documents
from tests.harness.ingest_contract import SECONDS_PER_FILE, ingest, verify
from tests.harness.ingest_inputs import (
    MB,
    PATHOLOGICAL,
    SUFFIXES,
    TEXT_SUFFIXES,
    html_documents,
    markdown_documents,
    mutated_pdfs,
    pathological,
)
from tests.harness.pdf_builder import pdf_file, pdf_objects
from tutor.corpus.chunking import MAX_CHARS, Chunk

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=60,
    deadline=None,  # the time bound is asserted per call, with a margin for a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(suffix: str, data: bytes) -> tuple[list[Chunk] | None, str | None]:
    """`ingest` and `verify`, within `SECONDS_PER_FILE`."""
    chunks, reason, seconds = ingest(suffix, data)
    assert seconds < SECONDS_PER_FILE, f"{suffix} file of {len(data):,} bytes took {seconds:.1f}s"
    verify(suffix, chunks, reason)
    return chunks, reason


# --- property tests --------------------------------------------------------------------


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4096))
def test_random_bytes_under_every_suffix(suffix: str, data: bytes) -> None:
    check(suffix, data)


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    data=st.binary(max_size=2048).map(lambda tail: b"%PDF-1.7\n" + tail),
)
def test_random_bytes_behind_a_pdf_header(suffix: str, data: bytes) -> None:
    check(suffix, data)


@FUZZ
@given(
    suffix=st.sampled_from(TEXT_SUFFIXES),
    text=st.text(max_size=3000),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
)
def test_random_unicode_in_any_encoding(suffix: str, text: str, encoding: str) -> None:
    check(suffix, text.encode(encoding, errors="replace"))


@FUZZ
@given(document=markdown_documents, suffix=st.sampled_from([".md", ".txt"]))
def test_markdown_built_from_its_own_pieces(document: str, suffix: str) -> None:
    check(suffix, document.encode())


@FUZZ
@given(document=html_documents)
def test_html_built_from_its_own_pieces(document: str) -> None:
    check(".html", document.encode())


@FUZZ
@given(pdf=mutated_pdfs())
def test_mutated_pdfs(pdf: bytes) -> None:
    check(".pdf", pdf)


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_file(name: str) -> None:
    check(*pathological(name))


def test_what_pathological_files_come_to() -> None:
    """Not just no crash: the readable ones keep their text, the others say why."""
    heading, _ = check(*pathological("md-heading-of-2MB-spaces"))
    assert [c.text for c in heading] == ["Text."] and heading[0].heading_path == ("a b",)
    hashes, _ = check(*pathological("md-heading-closing-hashes"))
    assert len(hashes[0].heading_path[0]) == 200 and hashes[0].heading_path[0].endswith("…")
    assert check(*pathological("html-10k-nested-headings"))[1] == "no readable text"
    assert (
        "(about 250,002 tags, the limit is 200,000)"
        in check(*pathological("html-too-many-tags"))[1]
    )

    escapes, _ = check(*pathological("md-control-characters"))
    assert escapes[0].heading_path == ("Title",)
    assert escapes[0].text == (
        "Model serving exposes a registered model behind a REST endpoint. See the docs for details."
    )
    entities, _ = check(*pathological("html-escape-entities"))
    assert entities[0].heading_path == ("Title",) and entities[0].text == "ab"
    spaces, _ = check(*pathological("md-4MB-of-spaces-in-a-paragraph"))
    assert [c.text for c in spaces] == ["a\n\nb"]  # the spaces went, nothing else
    word, _ = check(*pathological("md-4MB-word"))
    assert len(word) == 4 * MB // MAX_CHARS + 1 and all(set(c.text) == {"x"} for c in word)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pdf-flate-bomb", "unreadable PDF (LimitReachedError"),
        ("zip-bomb-named-pdf", "unreadable PDF"),
        ("pdf-cyclic-page-tree", "unreadable PDF"),
    ],
)
def test_pdf_bombs_are_skipped_with_their_reason(name: str, reason: str) -> None:
    _, skipped = check(*pathological(name))
    assert skipped is not None and skipped.startswith(reason)


@pytest.mark.parametrize(
    "name",
    ["pdf-no-xref", "pdf-shifted-xref", "pdf-startxref-beyond-eof", "pdf-stream-length-too-long"],
)
def test_broken_xrefs_and_lengths_are_repaired_and_the_text_kept(name: str) -> None:
    chunks, reason = check(*pathological(name))
    assert chunks is not None, reason


def test_a_slow_pdf_is_cut_off_by_the_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypdf bounds each stream, not the file: pages sharing one deflated stream of
    text operators cost seconds each. The per-file budget stops it between pages."""
    monkeypatch.setattr(tutor.corpus.documents, "PDF_SECONDS", 0.5)
    operators = b"BT /F1 12 Tf " + b"(word) Tj " * 200_000 + b"ET"
    pdf = pdf_file(pdf_objects([operators], shared=200, flate=True))
    assert len(pdf) < 100_000  # a small file...

    _, reason, seconds = ingest(".pdf", pdf)

    assert reason is not None and reason.startswith("PDF too slow to read (over 0.5 s, at page")
    assert reason.endswith("of 200)")
    assert seconds < SECONDS_PER_FILE  # ...that would take minutes without the budget


@pytest.mark.parametrize(
    ("text", "encoding", "kept"),
    [
        ("Café crème brûlée — “smart quotes” cost €5.", "cp1252", True),
        ("Привет, это конспект по поиску векторов.", "cp1251", False),  # would be mojibake
        ("".join(map(chr, range(0x3B1, 0x3CA))) + " (the Greek alphabet)", "cp1253", False),
    ],
)
def test_legacy_encodings_are_read_only_when_they_read_right(text, encoding, kept) -> None:
    chunks, reason = check(".txt", f"Notes on retrieval. {text}\n".encode(encoding))
    if kept:
        assert chunks[0].text == f"Notes on retrieval. {text}"
    else:
        assert reason.startswith("not UTF-8 or Windows-1252 text (undecodable byte at offset")


def test_damaged_utf8_is_refused_rather_than_read_as_windows_1252() -> None:
    damaged = "Café crème brûlée, déjà vu. ".encode() * 20 + b"\xff"
    _, reason = check(".md", damaged)
    assert reason == (
        "not UTF-8 or Windows-1252 text (undecodable byte at offset 680); save it as UTF-8"
    )


def test_broken_files_print_nothing(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """pypdf logs every repair and bs4 warns in paragraphs; `tutor index` shows neither."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check(*pathological("pdf-shifted-xref"))
        check(*pathological("pdf-xref-keyword-gone"))
        check(".html", b'<?xml version="1.0"?><html><p>An XHTML page.</p></html>')
        check(".html", b"notes.html")
    assert [str(w.message)[:60] for w in caught] == []
    assert [r.getMessage()[:60] for r in caplog.records if r.name.startswith("pypdf")] == []
    assert capfd.readouterr() == ("", "")
