"""Progress over time: mean mastery at the end of each day, drawn with textual-plotext, or
a sentence saying there is no history yet (an empty plot would only puzzle)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tutor.learner.history import DayMastery

MAX_TICKS = 6
NO_HISTORY = (
    "No history yet. Answer quiz questions (F3) or ask about the material (F2), "
    "and your mastery over time shows here."
)


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def y_range(ys: Sequence[float]) -> tuple[int, int]:
    """The y-axis (%) around the data, in steps of 5 with room above and below: a mean over
    every topic moves a few points at a time, and a fixed 0-100 axis would flatten it."""
    low = max(0, math.floor(min(ys) / 5) * 5 - 5)
    high = min(100, math.ceil(max(ys) / 5) * 5 + 5)
    return low, high


def tick_positions(count: int, most: int = MAX_TICKS) -> list[int]:
    """Up to `most` evenly spread indices of `count` points, first and last included."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


class MasteryPlot(Vertical):
    """The mean mastery over every topic, in percent, one point per day."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[DayMastery] = []
        self.series: tuple[list[int], list[float]] = ([], [])
        """What was plotted: x (day index) and y (mean mastery, %)."""

    def compose(self) -> ComposeResult:
        yield Static("…", id="no-history", markup=False)
        yield PlotextPlot()

    @property
    def has_plot(self) -> bool:
        return bool(self.query_one(PlotextPlot).display)

    def show(self, points: Sequence[DayMastery], topics: int, learner: str) -> None:
        """Plot these days (the mean over `topics` topics), or say there is no history."""
        self.points = list(points)
        plot = self.query_one(PlotextPlot)
        note = self.query_one("#no-history", Static)
        note.display = not self.points
        plot.display = bool(self.points)
        self.border_title = f"{learner}: mean mastery over {topics} topics (%), at each day's end"
        if not self.points:
            note.update(NO_HISTORY)
            self.series = ([], [])
            return
        xs = list(range(len(self.points)))
        ys = [round(point.mastery * 100, 1) for point in self.points]
        self.series = (xs, ys)
        plt = plot.plt
        plt.clear_data()
        plt.frame(False)  # the rows are few at 80x24: the title goes on the border instead
        plt.plot(xs, ys, marker="braille")
        low, high = y_range(ys)
        plt.ylim(low, high)
        plt.yticks([low, (low + high) / 2, high], [str(low), f"{(low + high) / 2:g}", str(high)])
        ticks = tick_positions(len(xs))
        plt.xticks(ticks, [day_label(self.points[i].day) for i in ticks])
        plt.xlim(-0.5, max(len(xs) - 0.5, 0.5))
        plot.refresh()
