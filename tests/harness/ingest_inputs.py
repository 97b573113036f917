"""Inputs for the loaders and the chunker: hypothesis strategies (markdown and HTML built
from their own pieces, mutated PDFs) and a fixed set of pathological files."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from hypothesis import strategies as st

from tests.harness.pdf_builder import (
    GOOD_PDF,
    PAGES,
    pdf_file,
    pdf_objects,
    pdf_with_stream_length,
    text_page,
)
from tutor.corpus.documents import SUPPORTED_SUFFIXES

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

HTML_TAGS = [
    *("p", "div", "span", "b", "h1", "h2", "h6", "li", "ul", "ol", "pre", "blockquote"),
    *("td", "tr", "table", "dd", "dl", "script", "style", "nav", "header", "footer"),
    *("aside", "form", "noscript", "br", "img", "template", "textarea", "title", "svg"),
]
html_pieces = st.one_of(
    st.builds(lambda tag: f"<{tag}>", st.sampled_from(HTML_TAGS)),
    st.builds(lambda tag: f"</{tag}>", st.sampled_from(HTML_TAGS)),
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
