"""One writer per conversation and per quiz, across processes.

Several tutors may share a data dir: the app open in one terminal, `tutor ask` or
`tutor quiz` in another. Learner data is safe to write from all of them at once (SQLite in
WAL mode, `BEGIN IMMEDIATE`, a busy timeout), so each can run its own conversations and
quizzes side by side, and readers (`tutor progress`, `sessions`, `search`, `doctor`) never
wait. What two processes must not do is advance the *same* conversation or quiz at the
same moment: both would build on the same checkpoint, and one turn or answer would
silently replace the other. So a turn, or a quiz step, holds that thread's lock while it
runs; a second process is refused at once with a message naming the holder (pid, command,
since when). The lock is an OS file lock (filelock), released by the OS if the holder
dies, so a killed tutor never leaves a conversation locked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout

from tutor.config import Settings
from tutor.errors import TutorError

LOCKS_DIR = "locks"
"""Lock files live here in the data dir, one (empty) file per conversation or quiz."""
HOLDER_WAIT_SECONDS = 0.5
"""How long a refused process waits for the holder's details to be written."""


class ThreadBusyError(TutorError):
    """Another tutor process is writing this conversation or quiz right now."""


def lock_file(settings: Settings, kind: str, thread: str) -> Path:
    """The lock file of one conversation or quiz; odd ids are hashed into a safe name."""
    name = thread if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", thread) else _digest(thread)
    return settings.data_dir / LOCKS_DIR / f"{kind}-{name}.lock"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def command_line() -> str:
    """This process as the learner would name it: `tutor ask`, `tutor quiz`, `tutor`."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("__main__.py", "-m", "-c"):
        program = "tutor" if "tutor" in Path(sys.argv[0]).parts else "python"
    words = [program, *[a for a in sys.argv[1:2] if re.fullmatch(r"[a-z][a-z-]*", a)]]
    return " ".join(words)


class WriterLock:
    """Held while one turn of a conversation, or one step of a quiz, is written.

    `kind` names what is locked for the learner ("conversation", "quiz"); `thread` is its
    id. Entering never waits: another holder means `ThreadBusyError`.
    """

    def __init__(self, settings: Settings, kind: str, thread: str) -> None:
        self.kind, self.thread = kind, thread
        path = lock_file(settings, kind, thread)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(path, blocking=False)
        self._owner = path.with_suffix(".owner")

    def __enter__(self) -> WriterLock:
        try:
            self._lock.acquire()
        except Timeout:
            raise ThreadBusyError(
                f"{self.kind} {self.thread} is being written by another tutor "
                f"({self.holder()}); wait for it to finish, then try again"
            ) from None
        owner = {
            "pid": os.getpid(),
            "command": command_line(),
            "host": socket.gethostname(),
            "started": time.time(),
        }
        # Written whole, then renamed: a refused process never reads half of it.
        partial = self._owner.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(owner))
        partial.replace(self._owner)
        return self

    def __exit__(self, *exc: object) -> None:
        self._owner.unlink(missing_ok=True)
        self._lock.release()

    def holder(self) -> str:
        """Who holds the lock, for the refusal message."""
        deadline = time.monotonic() + HOLDER_WAIT_SECONDS
        while True:
            owner = self._read_owner()
            # Missing, or left by a holder that died: the new holder is writing its own.
            if owner is not None and _alive(owner):
                break
            if time.monotonic() > deadline:
                return "holder unknown"
            time.sleep(0.02)
        since = time.strftime("%H:%M:%S", time.localtime(owner["started"]))
        return f"pid {owner['pid']}, `{owner['command']}`, since {since}"

    def _read_owner(self) -> dict | None:
        try:
            owner = json.loads(self._owner.read_text())
            return owner if {"pid", "command", "host", "started"} <= owner.keys() else None
        except (OSError, ValueError, AttributeError):
            return None


def _alive(owner: dict) -> bool:
    # Another host cannot be asked; on Windows, os.kill(pid, 0) would end the process.
    if owner["host"] != socket.gethostname() or os.name == "nt":
        return True
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError):
        return True
    return True
