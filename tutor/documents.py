"""Load study files (markdown, plain text, HTML, PDF) into titled sections of paragraphs.

Every paragraph remembers where it came from (a line span, or a page span for PDFs), so
each chunk built from it can be cited precisely.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf"}


class SkipFile(Exception):
    """The file cannot be used as study material; the message says why."""


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
        elif suffix in {".md", ".markdown"}:
            document = Document(_sections_from_lines(text.splitlines(), markdown=True))
        else:
            document = Document(_sections_from_lines(text.splitlines(), markdown=False))
    if not any(section.paragraphs for section in document.sections):
        raise SkipFile("no readable text")
    return document


def decode_text(data: bytes) -> str:
    """Decode UTF-8 text (BOM allowed); refuse binary data and other encodings."""
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SkipFile(
            f"not UTF-8 text (undecodable byte at offset {error.start}); save it as UTF-8"
        ) from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 8192):
        raise SkipFile("binary file (mostly control characters)")
    return text


# --- markdown and plain text -------------------------------------------------------------

_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s+")
_SENTENCE_END = (".", ",", ";", ":", "!", "?", "…", '"', "”", ")")


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
            elif not in_fence and offset > first and _ATX_HEADING.match(line):
                yield start + first, start + offset - 1, block[first:offset]
                first = offset
        yield start + first, end, block[first:]


def _sections_from_lines(lines: list[str], *, markdown: bool) -> list[Section]:
    sections = [Section(())]
    levels: list[tuple[int, str]] = []  # the open headings, outermost first

    def open_section(level: int, title: str) -> None:
        while levels and levels[-1][0] >= level:
            levels.pop()
        levels.append((level, title))
        sections.append(Section(tuple(t for _, t in levels)))

    blocks = _blocks(lines)
    for start, end, block in _split_at_headings(blocks) if markdown else blocks:
        heading = _ATX_HEADING.match(block[0]) if markdown else None
        if heading and not _FENCE.match(block[0]):
            open_section(len(heading.group(1)), heading.group(2).strip())
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


# --- HTML --------------------------------------------------------------------------------

_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td", "dd"]
_HTML_NOISE = ["script", "style", "nav", "header", "footer", "aside", "form", "noscript"]


def _load_html(text: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for noise in soup.find_all(_HTML_NOISE):
        noise.decompose()
    sections = [Section(())]
    levels: list[tuple[int, str]] = []
    for element in soup.find_all(_HTML_BLOCKS):
        # Only outermost blocks: a <p> inside an <li> is part of that item.
        if element.find_parent(_HTML_BLOCKS[6:]):
            continue
        content = " ".join(element.get_text().split())
        if not content:
            continue
        line = element.sourceline or 1
        if element.name[0] == "h" and element.name[1:].isdigit():
            level = int(element.name[1:])
            while levels and levels[-1][0] >= level:
                levels.pop()
            levels.append((level, content))
            sections.append(Section(tuple(t for _, t in levels)))
        else:
            end = line + element.decode().count("\n")
            sections[-1].paragraphs.append(Paragraph(content, line, end))
    return Document([s for s in sections if s.paragraphs])


# --- PDF ---------------------------------------------------------------------------------


def _load_pdf(data: bytes) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise SkipFile("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SkipFile:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise SkipFile(f"unreadable PDF ({type(error).__name__}: {error})") from None
    except RecursionError:
        raise SkipFile("unreadable PDF (structure nested too deeply)") from None
    sections = [Section(())]
    for number, page_text in enumerate(pages, start=1):
        for _, _, block in _blocks(page_text.splitlines()):
            if len(block) == 1 and _is_title_line(block[0]):
                sections.append(Section((block[0].strip(),)))
                continue
            text = " ".join(line.strip() for line in block).strip()
            if text:
                sections[-1].paragraphs.append(Paragraph(text, number, number))
    return Document([s for s in sections if s.paragraphs], span_unit="pages")
