"""Text helpers every layer shares: cleaning text from outside (the learner, the corpus, a
model) before it is stored or printed, the words a search ignores, heading paths, and how a
passage is cited."""

from __future__ import annotations

import re
from collections.abc import Sequence

# C0 controls except tab and newline, DEL, and C1 controls: ESC (\x1b) and CSI (\x9b) start
# terminal escape sequences, which must never reach the terminal from model or corpus text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """The text without control characters; carriage returns become newlines."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# A whole terminal escape sequence: CSI (ESC [ or the one-byte CSI, parameters, a final
# byte: colours, cursor keys), OSC (ESC ], up to BEL or ESC \\: titles, hyperlinks; an
# unterminated one ends at the line's end, or after 2,000 characters, rather than taking
# the rest of a file with it), SS3 (ESC O and a key: cursor keys in application mode), or
# any other two-byte ESC sequence.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\n]{0,2000}(?:\x07|\x1b\\)?"
    r"|\x1bO[ -~]"
    r"|\x1b[ -/]*[0-~]"
)

_UNFINISHED_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*|\x1b\][^\x07\x1b\n]{0,2000}\x1b?|\x1bO|\x1b[ -/]*"
)
"""The start of an escape sequence, cut off before its end (see `StreamCleaner`)."""


def drop_escape_sequences(text: str) -> str:
    """The text without terminal escape sequences, each removed whole; other control
    characters are left alone."""
    return _ESCAPE_SEQUENCE.sub("", text)


def strip_escapes(text: str) -> str:
    """The text without terminal escape sequences, each removed whole (colour codes in a
    saved terminal log leave nothing behind, not "[31m"), and without any other control
    character; line breaks are kept, carriage returns become newlines."""
    return strip_control(drop_escape_sequences(text))


class StreamCleaner:
    """`strip_escapes` for text that arrives in pieces (a model's streamed answer): a
    sequence split across two pieces is still removed whole, not shown as "[31m"."""

    HOLD_LIMIT = 2100
    """Longer than any sequence `_ESCAPE_SEQUENCE` removes: past it, nothing is held."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        start = max(text.rfind("\x1b"), text.rfind("\x9b"))
        self._held = ""
        if start >= 0 and len(text) - start < self.HOLD_LIMIT and _unfinished(text, start):
            text, self._held = text[:start], text[start:]
        return strip_escapes(text)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return strip_escapes(text)


def _unfinished(text: str, start: int) -> bool:
    """Whether the escape sequence at `start` may still go on in the next piece."""
    return _UNFINISHED_SEQUENCE.fullmatch(text, start) is not None


def clean_typed(text: str) -> str:
    """What the learner typed or pasted, as they meant it: `strip_escapes` (an arrow key
    pressed while typing an answer arrives as "\\x1b[D" and must leave nothing behind),
    and runs of whitespace, line breaks included, become one space."""
    return " ".join(strip_escapes(text).split())


# In a name, tabs and newlines are control characters too.
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable_name(name: str) -> str:
    """A file name or path safe to print and cite: each control character (a newline or an
    escape sequence in a name) shown as "?", as `ls` does, so the name stays recognisable."""
    return _NAME_CONTROL.sub("?", name)


# A markdown image would make a renderer fetch a URL: a way for text planted in the
# corpus to report what the learner reads. Its alt text is kept, the fetch is not.
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")


def neutralise_model_text(text: str) -> str:
    """Model output made safe to show: no escape sequences (each removed whole, so a colour
    code leaves no "[31m" behind), no other control characters, no markdown images."""
    return _IMAGE.sub(lambda m: f"[image removed: {m.group(1)}]", strip_escapes(text))


# --- words and headings ---------------------------------------------------------------------

# Words that carry no topic; dropping them keeps an OR query from matching everything.
_STOPWORD_LIST = """
a about above after again all also am an and any are as at be because been being both but
by can could did do does doing done down during each for from further get gets had has
have having he her here hers him his how i if in into is it its itself just me more most
my no nor not now of off on once only or other our ours out over own same she should so
some such than that the their theirs them then there these they this those through to too
under until up us very was we were what when where which while who whom why will with
would you your yours guide
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())


def lexical_terms(query: str) -> list[str]:
    """The query's words a full-text search should match: lower-cased, no stopwords."""
    words = re.findall(r"\w+", query.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))


HEADING_SEPARATOR = " > "
"""How a chunk's heading path is written."""


def short_heading(heading: str) -> str:
    """The innermost two headings say where a passage is; the document title adds nothing."""
    return HEADING_SEPARATOR.join(heading.split(HEADING_SEPARATOR)[-2:]) if heading else ""


# --- citations ------------------------------------------------------------------------------


def span_text(span: Sequence[int] | None, unit: str) -> str:
    """`lines 3-9`, `line 3`, `pages 2-4` or `page 2`; empty without a span."""
    if not span:
        return ""
    first, last = span[0], span[-1]
    word = "page" if unit.startswith("page") else "line"
    return f"{word}s {first}-{last}" if first != last else f"{word} {first}"


def citation(source: str, heading: str, span: Sequence[int] | None, unit: str) -> str:
    """How a passage is cited everywhere: `file § section (lines 3-9)`."""
    where = span_text(span, unit)
    section = short_heading(heading) or "(untitled)"
    return f"{source} § {section}" + (f" ({where})" if where else "")


def source_citation(source: dict) -> str:
    """The citation of an answer's source as `tutor ask --json` lists it (`lines`/`pages`)."""
    pages = source.get("pages")
    span, unit = (pages, "pages") if pages else (source.get("lines"), "lines")
    return citation(source["source"], source.get("heading") or "", span, unit)
