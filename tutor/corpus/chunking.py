"""Split a loaded document into retrieval chunks that keep paragraphs whole where possible."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.corpus.documents import Document, Paragraph
from tutor.text import HEADING_SEPARATOR

MIN_CHARS = 400
"""Paragraphs shorter than this are joined with their neighbours in the same section."""
MAX_CHARS = 1200
"""No chunk is longer; a longer paragraph is split at sentence boundaries."""


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    start: int
    end: int
    span_unit: str
    content_hash: str

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    def embedding_text(self) -> str:
        """The chunk with its section context, so short passages are found by their topic."""
        return embedding_text(self.heading_path, self.text)


def embedding_text(heading_path: tuple[str, ...], text: str) -> str:
    context = HEADING_SEPARATOR.join(heading_path[-2:])
    return f"{context}\n\n{text}" if context else text


def content_hash(heading_path: tuple[str, ...], text: str) -> str:
    """Hash of exactly what gets embedded: a changed heading means a changed vector."""
    return hashlib.sha256(embedding_text(heading_path, text).encode()).hexdigest()


def chunk_id(source: str, digest: str, occurrence: int) -> str:
    return hashlib.sha256(f"{source}\0{digest}\0{occurrence}".encode()).hexdigest()[:32]


# The splitter's merge step costs time proportional to the square of the number of splits
# in a chunk, so one-character splits made a long run of spaces, or a long word, cost
# seconds per megabyte. A run of spaces is therefore one separator, and a "word" longer
# than a chunk is cut by `_cut` instead of the splitter's per-character last resort.
_sentence_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHARS,
    chunk_overlap=0,
    separators=["\n\n", "\n", r"\. ", r"\? ", "! ", "; ", ", ", " +"],
    keep_separator="end",
    is_separator_regex=True,
)


def _cut(text: str) -> list[str]:
    return [text[i : i + MAX_CHARS] for i in range(0, len(text), MAX_CHARS)]


def _pieces(paragraph: Paragraph) -> list[Paragraph]:
    if len(paragraph.text) <= MAX_CHARS:
        return [paragraph]
    return [
        Paragraph(cut.strip(), paragraph.start, paragraph.end)
        for piece in _sentence_splitter.split_text(paragraph.text)
        for cut in _cut(piece.strip())
        if cut.strip()
    ]


def _pack(paragraphs: list[Paragraph]) -> list[list[Paragraph]]:
    """Group a section's paragraphs: join short ones until MIN_CHARS, never past MAX_CHARS."""
    groups: list[list[Paragraph]] = []
    size = 0
    for paragraph in paragraphs:
        length = len(paragraph.text)
        if groups and size < MIN_CHARS and size + 2 + length <= MAX_CHARS:
            groups[-1].append(paragraph)
            size += 2 + length
        else:
            groups.append([paragraph])
            size = length
    # A short tail joins the group before it when both fit.
    if len(groups) > 1 and size < MIN_CHARS:
        previous = sum(len(p.text) + 2 for p in groups[-2])
        if previous + size <= MAX_CHARS:
            groups[-2].extend(groups.pop())
    return groups


def chunk_document(document: Document, source: str) -> list[Chunk]:
    """Chunks in reading order, with ids that stay stable while their content does."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section in document.sections:
        pieces = [piece for paragraph in section.paragraphs for piece in _pieces(paragraph)]
        for group in _pack(pieces):
            text = "\n\n".join(p.text for p in group)
            digest = content_hash(section.heading_path, text)
            occurrence = seen.get(digest, 0)
            seen[digest] = occurrence + 1
            chunks.append(
                Chunk(
                    id=chunk_id(source, digest, occurrence),
                    source=source,
                    ordinal=len(chunks),
                    heading_path=section.heading_path,
                    text=text,
                    start=group[0].start,
                    end=group[-1].end,
                    span_unit=document.span_unit,
                    content_hash=digest,
                )
            )
    return chunks
