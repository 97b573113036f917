"""Driving the app in tests: run a Pilot scenario, and wait for the app's workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


def run(scenario: Callable[[], Any]) -> None:
    asyncio.run(scenario())


async def until(pilot: Pilot, done: Callable[[], bool], seconds: float = 30) -> None:
    """Let the app run until `done()` holds (workers finish on their own time)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)
