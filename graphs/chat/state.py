"""The chat graph's state: the conversation plus the working fields of the current turn.

Everything here is plain data (strings, numbers, lists, dicts, LangChain messages) so a
checkpoint needs no custom types to be read back.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict, cast

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from graphs.chat.routing import Route
from tutor.corpus.search import Passage
from tutor.quiz.cloze import CheckQuestion

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


class CheckState(TypedDict):
    """A check question (a cloze on one sentence of a passage) as the state keeps it: the
    fields of `CheckQuestion`, written by `CheckQuestion.to_state()`."""

    prompt: str
    """The sentence with the key term blanked out."""
    answer: str
    """The blanked term."""
    topic: str
    """The topic a right or wrong reply counts for."""
    source: str
    """The citation of the passage the sentence is from."""
    chunk_id: str
    sentence: str
    """The whole sentence, shown with the verdict."""


class GradeState(TypedDict):
    """The verdict on the learner's reply to a pending check, written by `grade_check`."""

    result: Literal["right", "wrong", "skipped"]
    """As `tutor.quiz.answers.judge` judged the reply; a skip is not recorded."""
    answer: str
    """The check's answer (the blanked term), not the learner's reply."""
    topic: str
    source: str
    """The citation of the check's passage."""
    reason: NotRequired[str]
    """One line for the learner: why the reply is right or wrong (absent in older turns)."""


class TutorInput(TypedDict):
    """What a caller sends for one turn."""

    question: str
    socratic: NotRequired[bool]
    """Switches Socratic mode for this session from this turn on."""


class Highlight(TypedDict):
    """A sentence an offline answer highlights, with the passage number it cites."""

    text: str
    n: int


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
    pending_check: CheckState | None
    """The check question the tutor asked last turn, if any: this turn may be the reply."""
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
    highlights: list[Highlight]
    """An offline answer's highlighted sentences ([] for a model's answer)."""
    mode: Mode
    notice: str | None
    """Why the answer is offline, or other things the learner should know."""
    topics: list[str]
    """The topics this turn was about (what the memory node records)."""
    check: CheckState | None
    """A check question offered in this turn's reply (the next turn's `pending_check`)."""
    grade: GradeState | None
    """The graded reply to `pending_check`, when this turn was one."""


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


def check_state(check: CheckQuestion) -> CheckState:
    """A check as the state keeps it: plain data, so a checkpoint reads back without it."""
    return cast(CheckState, check.to_state())


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
