"""How a chunk's heading path is written, and its short form for citations. Kept apart
from the chunker so that showing a citation needs no text-splitting library."""

from __future__ import annotations

HEADING_SEPARATOR = " > "


def short_heading(heading: str) -> str:
    """The innermost two headings say where a passage is; the document title adds nothing."""
    return HEADING_SEPARATOR.join(heading.split(HEADING_SEPARATOR)[-2:]) if heading else ""
