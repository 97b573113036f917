"""Load study files (markdown, plain text, HTML, PDF) into titled sections of paragraphs.

Every paragraph remembers where it came from (a line span, or a page span for PDFs), so
each chunk built from it can be cited precisely.
"""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tutor.text import drop_escape_sequences, strip_control, strip_escapes

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf"}


class SkipFile(Exception):
    """The file cannot be used as study material; the message says why."""


def one_line(error: Exception, limit: int = 160) -> str:
    """An exception as a short, single-line reason."""
    text = " ".join(strip_control(f"{type(error).__name__}: {error}").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int
    """First line (or page) of the paragraph, 1-based."""
    end: int


@dataclass
class Section:
    heading_path: tuple[str, ...]
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Document:
    sections: list[Section]
    span_unit: str = "lines"
    """What `Paragraph.start`/`end` count: "lines" or "pages"."""


def load_document(path: Path, data: bytes) -> Document:
    """Parse a file's bytes by its suffix; raise `SkipFile` with a reason if it is unusable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type '{suffix or path.name}'")
    if not data.strip():
        raise SkipFile("empty file")
    if suffix == ".pdf":
        document = _load_pdf(data)
    else:
        text = decode_text(data)
        if suffix in {".html", ".htm"}:
            document = _load_html(text)
        else:
            # Terminal escapes and other control characters never reach the index.
            lines = strip_escapes(text).splitlines()
            markdown = suffix in {".md", ".markdown"}
            document = Document(_sections_from_lines(lines, markdown=markdown))
    if not any(section.paragraphs for section in document.sections):
        raise SkipFile("no readable text")
    return document


def decode_text(data: bytes) -> str:
    """Decode UTF-8 text (BOM allowed), or Windows-1252 text (what older Windows editors
    save); refuse binary data, damaged UTF-8 and other encodings."""
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = _windows_1252(data, error.start)
    # Escape sequences do not count: a saved terminal log is text with colour codes.
    head = drop_escape_sequences(text[:8192])
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 8192):
        raise SkipFile("binary file (mostly control characters)")
    return text


def _windows_1252(data: bytes, bad_offset: int) -> str:
    """Text that is not UTF-8, read as Windows-1252 when that is what it is.

    Western text in Windows-1252 is mostly ASCII, and its accented letters are almost never
    valid UTF-8 sequences. A damaged UTF-8 file is mostly valid sequences, and Greek or
    Cyrillic legacy text mostly non-ASCII: read as Windows-1252 both would index mojibake
    ("cafÃ©"), so they are refused. (charset-normalizer could guess other encodings; one
    fallback covers the common case without another dependency.)
    """
    non_ascii = len(data.translate(None, bytes(range(128))))
    as_utf8 = data.decode("utf-8", errors="replace")
    invalid = as_utf8.count("\ufffd")
    valid = len(as_utf8) - (len(data) - non_ascii) - invalid  # non-ASCII characters decoded
    if valid < invalid and non_ascii <= 0.3 * len(data):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise SkipFile(
        f"not UTF-8 or Windows-1252 text (undecodable byte at offset {bad_offset}); "
        "save it as UTF-8"
    )


# --- markdown and plain text -------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s+")
_SENTENCE_END = (".", ",", ";", ":", "!", "?", "…", '"', "”", ")")


def _atx_heading(line: str) -> tuple[int, str] | None:
    """(level, title) of a markdown ATX heading ("## Title ##"), or None.

    Parsed by hand: the one-regex form, `(#{1,6})\\s+(.+?)\\s*#*\\s*$`, backtracks in cubic
    time on a long line of spaces (a 5,000-space heading took minutes).
    """
    if not line.startswith("#"):
        return None
    rest = line.lstrip("#")
    level = len(line) - len(rest)
    if level > 6 or not rest[:1].isspace():
        return None
    title = rest.strip()
    # A closing run of hashes is not part of the title; "C#" keeps its hash.
    unclosed = title.rstrip("#")
    if unclosed != title and (not unclosed or unclosed[-1].isspace()):
        title = unclosed.rstrip()
    return (level, title) if title else None


MAX_HEADING_CHARS = 200
"""Longer headings are cut short: a heading goes into the metadata and the embedding input
of every chunk in its section, so a heading of a megabyte would cost that much per chunk."""


def _title(text: str) -> str:
    """A heading as it is cited: on one line, whitespace collapsed, at most 200 characters."""
    title = " ".join(text.split())
    return title if len(title) <= MAX_HEADING_CHARS else title[: MAX_HEADING_CHARS - 1] + "…"


def _blocks(lines: list[str]) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (first line, last line, lines) of blank-line separated blocks; fences stay whole."""
    start, block, in_fence = 0, [], False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if block:
                yield start, number - 1, block
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, start + len(block) - 1, block


def _is_title_line(line: str) -> bool:
    """A plain-text section title: one short line, capitalised, not ending like a sentence."""
    text = line.strip()
    words = text.split()
    return (
        0 < len(words) <= 16
        and len(text) <= 120
        and text[0].isupper()
        and not text.endswith(_SENTENCE_END)
        and not _LIST_ITEM.match(text)
    )


def _split_at_headings(
    blocks: Iterator[tuple[int, int, list[str]]],
) -> Iterator[tuple[int, int, list[str]]]:
    """Start a new block at every ATX heading outside a fence: headings need no blank lines."""
    for start, end, block in blocks:
        first, in_fence = 0, False
        for offset, line in enumerate(block):
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and offset > first and _atx_heading(line):
                yield start + first, start + offset - 1, block[first:offset]
                first = offset
        yield start + first, end, block[first:]


def _sections_from_lines(lines: list[str], *, markdown: bool) -> list[Section]:
    sections = [Section(())]
    levels: list[tuple[int, str]] = []  # the open headings, outermost first

    def open_section(level: int, title: str) -> None:
        while levels and levels[-1][0] >= level:
            levels.pop()
        levels.append((level, _title(title)))
        sections.append(Section(tuple(t for _, t in levels)))

    blocks = _blocks(lines)
    for start, end, block in _split_at_headings(blocks) if markdown else blocks:
        heading = _atx_heading(block[0]) if markdown else None
        if heading:
            open_section(*heading)
            block, start = block[1:], start + 1
            if not block:
                continue
        elif (
            markdown
            and len(block) >= 2
            and not _FENCE.match(block[0])
            and re.fullmatch(r"\s*(=+|-+)\s*", block[1])
        ):
            open_section(1 if "=" in block[1] else 2, block[0].strip())
            block, start = block[2:], start + 2
            if not block:
                continue
        elif not markdown and len(block) == 1 and _is_title_line(block[0]):
            open_section(1, block[0].strip())
            continue
        text = "\n".join(line.rstrip() for line in block).strip()
        if text:
            sections[-1].paragraphs.append(Paragraph(text, start, end))
    return [s for s in sections if s.paragraphs]


# --- HTML ------------------------------------------------------------------------------

_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HTML_BLOCKS = _HTML_HEADINGS | {"p", "li", "pre", "blockquote", "td", "dd"}
_HTML_NOISE = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript"}

MAX_HTML_TAGS = 200_000
"""More tags than this and an HTML file is skipped: parsing costs about 20 µs a tag, so a
20 MB file of nothing but tags would take minutes. A long page has a few tens of
thousands. Counted as "<" characters: no parsing, no allocation."""


def _load_html(text: str) -> Document:
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
    from bs4.exceptions import ParserRejectedMarkup

    tags = text.count("<")
    if tags > MAX_HTML_TAGS:
        raise SkipFile(
            f"HTML too complex to read (about {tags:,} tags, the limit is {MAX_HTML_TAGS:,}); "
            "split it into smaller pages"
        )
    try:
        with warnings.catch_warnings():
            # Paragraphs of advice on stderr when a page looks like XML or a file name: the
            # page is read either way, and `tutor index` output is for the learner.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(text, "html.parser")
    except ParserRejectedMarkup as error:
        raise SkipFile(f"unreadable HTML ({one_line(error)})") from None
    sections = [Section(())]
    levels: list[tuple[int, str]] = []
    for element in _outermost_blocks(soup):
        text, newlines = _block_text(element)
        content = " ".join(strip_escapes(text).split())
        if not content:
            continue
        line = element.sourceline or 1
        if element.name in _HTML_HEADINGS:
            level = int(element.name[1:])
            while levels and levels[-1][0] >= level:
                levels.pop()
            levels.append((level, _title(content)))
            sections.append(Section(tuple(t for _, t in levels)))
        else:
            sections[-1].paragraphs.append(Paragraph(content, line, line + newlines))
    return Document([s for s in sections if s.paragraphs])


# The two walks below are written out rather than done with bs4's `find_all`/`find_parent`
# and `decompose`: those cost time proportional to the nesting depth for every element, so
# 8,000 nested headings took minutes. Each walk visits a node once, with no recursion.


def _outermost_blocks(root) -> Iterator:
    """The block elements not inside another block (a <p> in an <li> is part of the item),
    in document order, leaving out navigation, scripts and other page furniture."""
    from bs4 import Tag

    stack = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if not isinstance(node, Tag) or node.name in _HTML_NOISE:
            continue
        if node.name in _HTML_BLOCKS:
            yield node
        else:
            stack.extend(reversed(node.contents))


def _block_text(element) -> tuple[str, int]:
    """The element's text as `get_text()` gives it, without the text of noise elements, and
    the number of line breaks inside the element (its source span)."""
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    newlines = 0
    stack = list(reversed(element.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _HTML_NOISE:
                strings = (d for d in node.descendants if isinstance(d, NavigableString))
                newlines += sum(d.count("\n") for d in strings)
            else:
                stack.extend(reversed(node.contents))
            continue
        newlines += node.count("\n")
        if type(node) in (NavigableString, CData):  # not comments, not script text
            parts.append(str(node))
    return "".join(parts), newlines


# --- PDF ---------------------------------------------------------------------------------

PDF_SECONDS = 60.0
"""Time budget for reading one PDF. pypdf bounds the work per stream, not per file: pages
sharing one highly compressed content stream made a 150 KB file take 15 s for 5 pages,
and a file can have thousands of them. Past the budget the file is skipped; the overrun
is at most the parsing of one content stream (pypdf stops at 2 million tokens)."""


class _OutOfTime(Exception):
    """The PDF's time budget ran out."""


def _load_pdf(data: bytes) -> Document:
    from pypdf import PdfReader

    # pypdf reports every repair it makes to a broken file as a log warning; the skip
    # reason (or a successful read) is what the learner needs, not thousands of lines.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + PDF_SECONDS

    def on_time(*_operator: object) -> None:
        # Called before each page and each drawing operator, so one page with a huge
        # content stream cannot outlast the budget either.
        if time.monotonic() > deadline:
            raise _OutOfTime

    pages: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise SkipFile("encrypted PDF")
        for page in reader.pages:
            on_time()
            pages.append(page.extract_text(visitor_operand_before=on_time) or "")
    except SkipFile:
        raise
    except _OutOfTime:
        raise SkipFile(
            f"PDF too slow to read (over {PDF_SECONDS:g} s, at page {len(pages) + 1} "
            f"of {len(reader.pages)})"
        ) from None
    except RecursionError:
        raise SkipFile("unreadable PDF (structure nested too deeply)") from None
    except Exception as error:  # any failure of the parser on a hostile file is a skip
        raise SkipFile(f"unreadable PDF ({one_line(error)})") from None
    sections = [Section(())]
    for number, page_text in enumerate(pages, start=1):
        for _, _, block in _blocks(strip_escapes(page_text).splitlines()):
            if len(block) == 1 and _is_title_line(block[0]):
                sections.append(Section((_title(block[0]),)))
                continue
            text = " ".join(line.strip() for line in block).strip()
            if text:
                sections[-1].paragraphs.append(Paragraph(text, number, number))
    return Document([s for s in sections if s.paragraphs], span_unit="pages")
