"""One question and its answer: the answer streams in as markdown; its sources below it
can be opened (click a `[n]` in the answer, or Tab to the list and press Enter)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, Markdown, OptionList
from textual.widgets.option_list import Option

from tutor.text import source_citation

if TYPE_CHECKING:
    from tutor.runtime.chat import TurnResult

CITATION = re.compile(r"\[(\d+)\]")
LINK_PREFIX = "#cite-"


def source_line(source: dict) -> str:
    """`[1] file § heading (lines 3-9)`, as the CLI lists a source."""
    return f"[{source['n']}] {source_citation(source)}"


def link_citations(answer: str, known: set[int]) -> str:
    """Make each `[n]` of a known passage a link the screen can open."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[\\[{n}\\]]({LINK_PREFIX}{n})" if n in known else match.group(0)

    return CITATION.sub(link, answer)


class CitationSelected(Message):
    """The learner wants to read passage `passage` (a `PassageRef` dict) of an answer."""

    def __init__(self, question: str, passage: dict) -> None:
        super().__init__()
        self.question = question
        self.passage = passage


class Exchange(Vertical):
    """A turn of the conversation. The screen writes tokens down into it as they come."""

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self.answer = Markdown(open_links=False)
        self.passages: dict[int, dict] = {}
        self._stream = None
        self._interrupted = False

    def compose(self) -> ComposeResult:
        yield Label(f"> {self.question}", classes="question", markup=False)
        yield self.answer
        sources = OptionList(classes="sources")
        sources.display = False
        yield sources
        yield Label("", classes="state")

    def set_state(self, text: str) -> None:
        """A short word under the answer: waiting, thinking, (stopped)…"""
        self.query_one(".state", Label).update(text)

    @property
    def source_lines(self) -> list[str]:
        sources = self.query_one(OptionList)
        return [str(sources.get_option_at_index(i).prompt) for i in range(sources.option_count)]

    async def write(self, token: str) -> None:
        """Append streamed answer text (batched by Textual's `MarkdownStream`); tokens
        still in flight after an interruption are dropped."""
        if self._interrupted:
            return
        if self._stream is None:
            self.set_state("")
            self._stream = Markdown.get_stream(self.answer)
        await self._stream.write(token)

    async def end_stream(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def finish(self, result: TurnResult) -> None:
        """Show the final answer whole (citations checked and linked) and its sources."""
        await self.end_stream()
        self.passages = {p["n"]: p for p in result.passages}
        cited = self.passages.keys() & {source["n"] for source in result.sources}
        answer = link_citations(result.answer, cited)
        if result.check and result.check not in result.answer:
            answer = f"{answer}\n\n**Quick check:** {result.check}"
        await self.answer.update(answer)
        sources = self.query_one(OptionList)
        sources.clear_options()
        sources.add_options(
            Option(source_line(source), id=str(source["n"])) for source in result.sources
        )
        sources.display = bool(result.sources)
        self.set_state("")

    async def show_saved(self, answer: str) -> None:
        """An answer from an earlier session, as it was saved."""
        await self.answer.update(answer)

    async def interrupt(self, label: str) -> None:
        """Keep whatever was written and say why it ended there."""
        self._interrupted = True
        await self.end_stream()
        self.set_state(label)

    def focus_sources(self) -> None:
        sources = self.query_one(OptionList)
        sources.focus()
        if sources.highlighted is None and sources.option_count:
            sources.highlighted = 0
        self.scroll_visible()

    def open_citation(self, n: int) -> bool:
        passage = self.passages.get(n)
        if passage is None:
            return False
        self.post_message(CitationSelected(self.question, passage))
        return True

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        if event.href.startswith(LINK_PREFIX) and event.href[len(LINK_PREFIX) :].isdigit():
            self.open_citation(int(event.href[len(LINK_PREFIX) :]))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.open_citation(int(event.option.id))
