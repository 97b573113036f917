"""One question and its answer: the answer streams in as markdown, sources below it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Markdown, Static

from tutor.chat import TurnResult


def source_line(source: dict) -> str:
    """`[1] file > heading (lines 3-9)`, as the CLI lists a source."""
    span = source.get("lines") or source.get("pages")
    unit = "lines" if source.get("lines") else "pages"
    where = ""
    if span and span[0] != span[1]:
        where = f" ({unit} {span[0]}-{span[1]})"
    elif span:
        where = f" ({unit[:-1]} {span[0]})"
    heading = f" > {source['heading']}" if source.get("heading") else ""
    return f"[{source['n']}] {source['source']}{heading}{where}"


class Exchange(Vertical):
    """A turn of the conversation. The screen writes tokens down into it as they come."""

    DEFAULT_CSS = """
    Exchange {
        height: auto;
        margin-bottom: 1;
    }
    Exchange .question {
        text-style: bold;
        color: $primary;
    }
    Exchange Markdown {
        margin: 0;
        padding: 0 1;
    }
    Exchange .sources {
        color: $text-muted;
        padding: 0 1;
    }
    Exchange .state {
        color: $warning;
        padding: 0 1;
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self.answer = Markdown()
        self._stream = None
        self._interrupted = False

    def compose(self) -> ComposeResult:
        yield Label(f"> {self.question}", classes="question", markup=False)
        yield self.answer
        yield Static(classes="sources", markup=False)
        yield Label("", classes="state")

    def set_state(self, text: str) -> None:
        """A short word under the answer: waiting, thinking, (stopped)…"""
        self.query_one(".state", Label).update(text)

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
        """Show the final answer whole (citations checked) and the sources it used."""
        await self.end_stream()
        answer = result.answer
        if result.check and result.check not in answer:
            answer = f"{answer}\n\n**Quick check:** {result.check}"
        await self.answer.update(answer)
        self.query_one(".sources", Static).update(
            "\n".join(source_line(source) for source in result.sources)
        )
        self.set_state("")

    async def interrupt(self, label: str) -> None:
        """Keep whatever was written and say why it ended there."""
        self._interrupted = True
        await self.end_stream()
        self.set_state(label)
