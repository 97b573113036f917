"""The sidebar: the learner's weakest topics, each with a mastery bar; topics not started
yet are listed after them as such."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar

from tutor.learner.mastery import started

if TYPE_CHECKING:
    from tutor.learner.records import TopicProgress

SHOWN = 3


class WeakTopics(Vertical):
    """The `SHOWN` weakest topics; the screen hands in fresh rows after every answer."""

    def compose(self) -> ComposeResult:
        yield Label("Weakest topics", classes="title")
        yield Label("…", id="no-topics")

    async def show(self, rows: Sequence[TopicProgress]) -> None:
        """Replace the list with these rows, weakest first: topics with evidence with a
        mastery bar, topics not started (listed after them) marked so, without one."""
        await self.query(".row").remove()
        self.query_one("#no-topics").display = not rows
        for row in rows[:SHOWN]:
            if not started(row.mastery):
                label = Label("not started", classes="not-started row")
                await self.mount(Label(row.title, classes="topic row"), label)
                continue
            bar = ProgressBar(total=100, show_eta=False, classes="row")
            bar.progress = round(row.mastery.mastery * 100)
            await self.mount(Label(row.title, classes="topic row"), bar)
