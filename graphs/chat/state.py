"""The chat graph's state: the conversation plus the working fields of the current turn.

Everything here is plain data (strings, numbers, lists, dicts, LangChain messages) so a
checkpoint needs no custom types to be read back.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from graphs.chat.routing import Route
from tutor.corpus.search import Passage

Mode = Literal["ollama", "offline"]

KEPT_MESSAGES = 40
"""The conversation keeps its last 20 turns: prompts use far fewer, and a bounded state
keeps every checkpoint write the same size however long a session runs."""


def add_recent_messages(
    current: list[AnyMessage], new: list[AnyMessage] | AnyMessage
) -> list[AnyMessage]:
    """`add_messages`, then only the most recent `KEPT_MESSAGES` are kept."""
    return add_messages(current, new)[-KEPT_MESSAGES:]


class PassageRef(TypedDict):
    """A retrieved passage as the answer cites it: `[n]` in the text is `n` here."""

    n: int
    chunk_id: str
    text: str
    source: str
    heading: str
    span: list[int]
    span_unit: str
    """"lines" or "pages"."""
    topics: list[str]
    similarity: float
    citation: str
    """Readable "file § section (lines a-b)"."""


class SourceRef(TypedDict):
    """One entry of an answer's source list, as `tutor ask --json` prints it."""

    n: int
    source: str
    heading: str
    lines: list[int] | None
    pages: NotRequired[list[int]]


class TutorInput(TypedDict):
    """What a caller sends for one turn."""

    question: str
    socratic: NotRequired[bool]
    """Switches Socratic mode for this session from this turn on."""


class TutorState(TypedDict, total=False):
    """The whole state of one conversation (a LangGraph thread)."""

    messages: Annotated[list[AnyMessage], add_recent_messages]
    """The most recent finished turns (`KEPT_MESSAGES`): the learner's message and the
    tutor's reply are added together at the end of a turn, so a turn that fails half-way
    leaves no trace here."""
    turns: int
    """How many turns this conversation has finished."""
    queries: list[str]
    """The standalone search query of every finished question, oldest first."""
    socratic: bool
    """Session toggle; unset means the setting's default."""
    pending_check: dict | None
    """The check question the tutor asked last turn (`CheckQuestion.to_state()`), if any."""
    checks_asked: list[str]
    """Every check question asked in this session, so none is asked twice."""

    # --- the current turn (reset by `route`) ---
    question: str
    route: Route
    query: str
    """The standalone query used for retrieval."""
    passages: list[PassageRef]
    answer: str
    sources: list[SourceRef]
    mode: Mode
    notice: str | None
    """Why the answer is offline, or other things the learner should know."""
    topics: list[str]
    """The topics this turn was about (what the memory node records)."""
    check: dict | None
    """A check question offered in this turn's reply."""
    grade: dict | None
    """The graded reply to `pending_check`: {"result", "answer", "topic", ...}."""


def passage_ref(passage: Passage, n: int) -> PassageRef:
    return PassageRef(
        n=n,
        chunk_id=passage.chunk_id,
        text=passage.text,
        source=passage.source,
        heading=passage.heading,
        span=list(passage.span),
        span_unit=passage.span_unit,
        topics=list(passage.topics),
        similarity=round(float(passage.similarity), 4),
        citation=passage.citation,
    )


def source_ref(passage: PassageRef) -> SourceRef:
    ref = SourceRef(
        n=passage["n"],
        source=passage["source"],
        heading=passage["heading"],
        lines=passage["span"] if passage["span_unit"] == "lines" else None,
    )
    if passage["span_unit"] == "pages":
        ref["pages"] = passage["span"]
    return ref
