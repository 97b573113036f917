"""The cited passage beside the conversation: where it is from, and its text with the
sentences that bear on the question highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tutor.text import short_heading, span_text

if TYPE_CHECKING:
    from tutor.corpus.sentences import Embed

HIGHLIGHT = "bold $text-accent on $accent-muted"
HIGHLIGHTED = 3


def where(passage: dict) -> str:
    """`lines 3-9` or `page 4` of a passage."""
    return span_text(passage.get("span"), passage.get("span_unit") or "lines")


def highlighted(text: str, sentences: list[str]) -> Content:
    content = Content(text)
    for sentence in sentences:
        start = text.find(sentence)
        if start >= 0:
            content = content.stylize(HIGHLIGHT, start, start + len(sentence))
    return content


class CitationPanel(VerticalScroll):
    """Hidden until a citation is opened; Esc (on the chat screen) closes it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.passage: dict | None = None
        self.highlights: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", classes="title", markup=False)
        yield Static("", classes="where", markup=False)
        yield Static("", classes="text")

    def show(self, question: str, passage: dict, embed: Embed | None) -> None:
        self.passage = passage
        self.highlights = []
        self.display = True
        self.query_one(".title", Static).update(f"[{passage['n']}] {passage['source']}")
        heading = short_heading(passage.get("heading") or "")
        span = where(passage)
        self.query_one(".where", Static).update(" · ".join(p for p in (heading, span) if p))
        self.query_one(".text", Static).update(Content(passage["text"]))
        self.scroll_home(animate=False)
        self._highlight(question, passage, embed)

    def close(self) -> None:
        self.display = False
        self.passage = None

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _highlight(self, question: str, passage: dict, embed: Embed | None) -> None:
        # Sentence vectors take a moment: the passage shows first, the highlights follow.
        from tutor.corpus.sentences import key_sentences

        ranked = key_sentences(
            question,
            [(passage["n"], passage["text"])],
            embed=embed,
            limit=HIGHLIGHTED,
            per_passage=HIGHLIGHTED,
        )
        sentences = [s.text for s in ranked]
        self.app.call_from_thread(self._apply, passage, sentences)

    def _apply(self, passage: dict, sentences: list[str]) -> None:
        if self.passage is not passage:
            return  # another citation was opened meanwhile
        self.highlights = sentences
        self.query_one(".text", Static).update(highlighted(passage["text"], sentences))
