"""The JSON lines a child process prints (`emit`, one object per line on stdout) and the
parent reads back (`Child`)."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass


def emit(**fields: object) -> None:
    """One event, as a line of JSON, flushed at once (the process may be killed next)."""
    print(json.dumps(fields), flush=True)


def read_events(stdout: str) -> list[dict]:
    """The events among a child's output lines."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


@dataclass
class Child:
    """A finished child process: how it ended, what it said."""

    returncode: int
    events: list[dict]
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]
