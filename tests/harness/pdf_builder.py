"""PDFs written byte by byte: numbered objects, text pages, streams (deflated or with a
wrong /Length) and cross-reference tables good or broken."""

from __future__ import annotations

import zlib


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
