"""An exam's time limit, counting down where the learner can see it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

TICK_SECONDS = 0.25


def clock_text(seconds: float) -> str:
    """Seconds left as m:ss (h:mm:ss past an hour), rounded up so 0:00 means time is up."""
    left = max(0, math.ceil(seconds))
    hours, rest = divmod(left, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class QuizCountdown(Static):
    """Counts down from `start(seconds)` and posts `TimeUp` once at zero. The time left is
    measured on `clock` (a monotonic clock; tests move it forward)."""

    DEFAULT_CSS = """
    QuizCountdown {
        width: auto;
        padding: 0 1;
        color: $text-muted;
    }
    QuizCountdown.-low {
        color: $text-warning;
        text-style: bold;
    }
    """

    class TimeUp(Message):
        """The time limit has run out."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.clock = clock
        self.deadline: float | None = None
        self._timer: Timer | None = None

    @property
    def running(self) -> bool:
        return self.deadline is not None

    def start(self, seconds: float) -> None:
        self.stop()
        self.deadline = self.clock() + seconds
        self._timer = self.set_interval(TICK_SECONDS, self._tick)
        self._tick()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.deadline = None
        self.remove_class("-low")

    def untimed(self) -> None:
        self.stop()
        self.update("untimed")

    def _tick(self) -> None:
        if self.deadline is None:
            return
        left = self.deadline - self.clock()
        self.update(f"time left {clock_text(left)}")
        self.set_class(left <= 60, "-low")
        if left <= 0:
            self.stop()
            self.post_message(self.TimeUp())
