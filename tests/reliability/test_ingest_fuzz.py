"""Fuzzing the loaders and the chunker in-process: random bytes under every suffix, random
unicode, markdown and HTML built from their own pieces, mutated PDFs, and a fixed set of
pathological files (lines of megabytes, nesting 10,000 deep, broken xrefs, compression
bombs). Whatever comes in, `load_document` + `chunk_document` either give well-formed
chunks or raise `SkipFile` with a one-line reason, and every call returns within
`SECONDS_PER_FILE`. `benchmarks/ingest_fuzz.py` runs the same generators for longer."""

from __future__ import annotations

import logging
import re
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tutor.corpus.documents
from tutor.corpus.chunking import MAX_CHARS, Chunk, chunk_document
from tutor.corpus.documents import SUPPORTED_SUFFIXES, SkipFile, load_document

SECONDS_PER_FILE = 5.0
"""The bound every load + chunk call must meet on a loaded 2-core machine."""
SOURCE = "fuzz/input"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FUZZ = settings(
    max_examples=60,
    deadline=None,  # the time bound is asserted per call, with a margin for a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


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


def check(suffix: str, data: bytes) -> tuple[list[Chunk] | None, str | None]:
    """`ingest` and `verify`, within `SECONDS_PER_FILE`."""
    chunks, reason, seconds = ingest(suffix, data)
    assert seconds < SECONDS_PER_FILE, f"{suffix} file of {len(data):,} bytes took {seconds:.1f}s"
    verify(suffix, chunks, reason)
    return chunks, reason


# --- generators (the benchmark uses them too) ------------------------------------------

SUFFIXES = [*sorted(SUPPORTED_SUFFIXES), ".MD", ".Pdf"]
TEXT_SUFFIXES = [".md", ".txt", ".html"]

_markdownish = st.text(alphabet=st.sampled_from(list("ab XY.,#>-*`~=|[]()!?\t1")), max_size=120)
markdown_lines = st.one_of(
    st.builds(
        lambda level, gap, title, closing: "#" * level + gap + title + closing,
        st.integers(1, 8),
        st.sampled_from(["", " ", "  ", "\t", " " * 300]),
        _markdownish,
        st.sampled_from(["", " #", " ##", "#", " # #", " " * 300 + "#"]),
    ),
    st.sampled_from(
        ["```", "~~~", "```python", "---", "===", "", " ", "> ", "- ", "1. ", "* * *", "\f"]
    ),
    st.builds(lambda depth, text: ">" * depth + " " + text, st.integers(0, 60), _markdownish),
    st.builds(lambda depth, text: "  " * depth + "- " + text, st.integers(0, 60), _markdownish),
    _markdownish,
    st.text(max_size=120),
)
markdown_documents = st.lists(markdown_lines, max_size=60).map("\n".join)

_HTML_TAGS = [
    *("p", "div", "span", "b", "h1", "h2", "h6", "li", "ul", "ol", "pre", "blockquote"),
    *("td", "tr", "table", "dd", "dl", "script", "style", "nav", "header", "footer"),
    *("aside", "form", "noscript", "br", "img", "template", "textarea", "title", "svg"),
]
html_pieces = st.one_of(
    st.builds(lambda tag: f"<{tag}>", st.sampled_from(_HTML_TAGS)),
    st.builds(lambda tag: f"</{tag}>", st.sampled_from(_HTML_TAGS)),
    _markdownish,
    st.sampled_from(
        [
            *("&amp;", "&#27;[2J", "&#x9b;31m", "&#0;", "&#1114112;", "&nbsp;", "&#7;"),
            *("<!-- c -->", "<!--", "<![CDATA[x]]>", "<!DOCTYPE html>", "<?xml ?>", "<", ">"),
            *("\n", "<p class='a\n b'>", "<a href='x'>", "<![if !IE]>", "</>", "<p/>"),
        ]
    ),
)
html_documents = st.lists(html_pieces, max_size=80).map("".join)


def pdf_file(objects: list[bytes], *, xref: str = "good") -> bytes:
    """A PDF of numbered objects (object 1 the catalog) with a cross-reference table that
    is "good", "none", "shifted" (every offset 7 bytes off) or "beyond" (startxref past the
    end of the file)."""
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(pdf)
    if xref != "none":
        pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        shift = 7 if xref == "shifted" else 0
        pdf += b"".join(b"%010d 00000 n \n" % (offset + shift) for offset in offsets)
    pointer = table * 10 if xref == "beyond" else table
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        pointer,
    )
    return bytes(pdf)


def stream(content: bytes, *, flate: bool = False, length: int | None = None) -> bytes:
    """A stream object, deflated if asked, with its true /Length unless `length` is given."""
    if flate:
        content = zlib.compress(content, 9)
    filters = b" /Filter /FlateDecode" if flate else b""
    declared = len(content) if length is None else length
    return b"<< /Length %d%s >>\nstream\n" % (declared, filters) + content + b"\nendstream"


def text_page(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")


def pdf_objects(contents: list[bytes], *, shared: int = 0, flate: bool = False) -> list[bytes]:
    """Catalog, page tree, one page per content stream (or `shared` pages all drawing the
    first stream), the streams, and a font."""
    pages = shared or len(contents)
    streams = contents[:1] if shared else contents
    first_stream = 3 + pages
    font = first_stream + len(streams)
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
    ]
    for i in range(pages):
        drawn = first_stream if shared else first_stream + i
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, drawn)
        )
    objects += [stream(content, flate=flate) for content in streams]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return objects


def pdf_with_stream_length(declared: int) -> bytes:
    """One page whose content stream declares a /Length other than its own."""
    content = text_page("The declared length of this stream is wrong.")
    objects = pdf_objects([content])
    objects[3] = stream(content, length=declared)
    return pdf_file(objects)


PAGES = [
    text_page("Vector search finds passages close to the question."),
    text_page("Chunking keeps paragraphs whole so answers can be cited."),
]
GOOD_PDF = pdf_file(pdf_objects(PAGES))


@st.composite
def mutated_pdfs(draw) -> bytes:
    """The good PDF with one to three cuts, overwrites, insertions or deletions."""
    pdf = bytearray(GOOD_PDF)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(pdf)))
        operation = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete"]))
        if operation == "truncate":
            del pdf[at:]
        elif operation == "overwrite":
            patch = draw(st.binary(min_size=1, max_size=16))
            pdf[at : at + len(patch)] = patch
        elif operation == "insert":
            pdf[at:at] = draw(st.sampled_from([b"<<", b">>", b"[", b"obj", b"\n", b"999999999"]))
        else:
            del pdf[at : at + draw(st.integers(1, 64))]
    return bytes(pdf)


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


# --- pathological files, one by one ----------------------------------------------------

MB = 1_000_000
PLANTED_ESCAPES = (
    b"Model serving exposes a registered model behind a REST endpoint. \x1b[2J\x1b[H"
    b"See \x1b]8;;http://example.invalid/\x07the docs\x1b]8;;\x07 for details.\x07"
)
NEST = 10_000

PATHOLOGICAL: dict[str, tuple[str, Callable[[], bytes]]] = {
    # A heading line of spaces: the old heading regex backtracked cubically (minutes for
    # 5,000 spaces).
    "md-heading-of-2MB-spaces": (".md", lambda: b"# a" + b" " * (2 * MB) + b"b\n\nText."),
    "md-heading-closing-hashes": (".md", lambda: b"# a" + b" #" * MB + b"\n\nText."),
    "md-4MB-word": (".md", lambda: b"x" * (4 * MB)),
    # Runs of spaces inside a paragraph made the splitter's merge quadratic per chunk.
    "md-4MB-of-spaces-in-a-paragraph": (".md", lambda: b"a" + b" " * (4 * MB) + b"b"),
    "txt-4MB-line-of-words": (".txt", lambda: b"word " * (MB * 4 // 5)),
    "txt-500k-lines": (".txt", lambda: b"Line.\n" * (MB // 2)),
    "md-10k-nested-quotes": (".md", lambda: b">" * NEST + b" deep quote"),
    "md-2k-quote-levels": (".md", lambda: b"\n".join(b">" * i + b" q" for i in range(2000))),
    "md-10k-nested-list": (".md", lambda: b"- " * NEST + b"item"),
    "md-2k-indented-list": (".md", lambda: b"\n".join(b"  " * i + b"- i" for i in range(2000))),
    "md-10k-fences": (".md", lambda: b"```\ncode\n" * NEST),
    "md-control-characters": (".md", lambda: b"# T\x1b[2Jitle\n\n" + PLANTED_ESCAPES),
    "html-10k-nested-divs": (".html", lambda: b"<div>" * NEST + b"<p>deep</p>" + b"</div>" * NEST),
    # find_parent on every element made nested headings cubic (minutes for 8,000).
    "html-10k-nested-headings": (".html", lambda: b"<h1>" * NEST + b"deep"),
    "html-10k-nested-list-items": (".html", lambda: b"<ul><li>" * NEST + b"deep"),
    "html-10k-nested-tables": (".html", lambda: b"<table><tr><td>" * NEST + b"deep"),
    "html-10k-unclosed-paragraphs": (".html", lambda: b"<p>para " * NEST),
    "html-10k-nested-noise": (".html", lambda: b"<nav>" * NEST + b"menu" + b"<p>text</p>"),
    "html-10k-stray-end-tags": (".html", lambda: b"<div>" * NEST + b"x" + b"</span>" * NEST),
    "html-too-many-tags": (".html", lambda: b"<b>" * 250_000 + b"<p>x</p>"),
    "html-escape-entities": (".html", lambda: b"<h1>T&#27;[2Jitle</h1><p>a&#x1b;]0;x&#7;b</p>"),
    "pdf-good": (".pdf", lambda: GOOD_PDF),
    "pdf-no-xref": (".pdf", lambda: pdf_file(pdf_objects(PAGES), xref="none")),
    "pdf-shifted-xref": (".pdf", lambda: pdf_file(pdf_objects(PAGES), xref="shifted")),
    "pdf-startxref-beyond-eof": (".pdf", lambda: pdf_file(pdf_objects(PAGES), xref="beyond")),
    "pdf-xref-keyword-gone": (".pdf", lambda: GOOD_PDF.replace(b"xref\n", b"xxxx\n")),
    "pdf-truncated-stream": (".pdf", lambda: GOOD_PDF[: GOOD_PDF.index(b"stream") + 20]),
    "pdf-stream-length-too-long": (".pdf", lambda: pdf_with_stream_length(99_999)),
    # pypdf stops inflating a stream at 75 MB: the file is skipped, nothing near 1 GB made.
    "pdf-flate-bomb": (".pdf", lambda: pdf_file(pdf_objects([b" " * (100 * MB)], flate=True))),
    # About 1 ms a page: legitimate work, which `PDF_SECONDS` bounds for longer files.
    "pdf-2k-page-tree": (".pdf", lambda: pdf_file(pdf_objects([text_page("p")], shared=2000))),
    "pdf-deep-arrays": (
        ".pdf",
        lambda: GOOD_PDF.replace(b"/Pages 2 0 R", b"/Pages 2 0 R /X " + b"[" * NEST + b"]" * NEST),
    ),
    "pdf-cyclic-page-tree": (
        ".pdf",
        lambda: GOOD_PDF.replace(b"/Kids [3 0 R", b"/Kids [2 0 R 3 0 R"),
    ),
    "zip-bomb-named-pdf": (".pdf", lambda: b"PK\x03\x04" + zlib.compress(b"\0" * (50 * MB))),
}


def pathological(name: str) -> tuple[str, bytes]:
    suffix, make = PATHOLOGICAL[name]
    return suffix, make()


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
