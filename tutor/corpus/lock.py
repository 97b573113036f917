"""The index's single-writer lock: one `tutor index` (or repair) per data dir at a time,
the holder's pid, host and start time written beside it for the one refused."""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from contextlib import suppress

from filelock import FileLock, Timeout

from tutor.config import Settings
from tutor.errors import IndexBusyError, TutorError
from tutor.storage import storage_problem


class IndexLock:
    """One writer per data dir; a second one is refused with the holder's details."""

    def __init__(self, settings: Settings) -> None:
        self._data_dir = settings.data_dir
        self._lock = FileLock(settings.lock_path, blocking=False)
        self._owner = settings.lock_path.with_suffix(".owner")

    def __enter__(self) -> IndexLock:
        try:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"another `tutor index` is already writing this index ({self.holder()}); "
                "wait for it to finish, then run this again"
            ) from None
        except OSError as error:  # a read-only data dir, or a full disk
            raise self._cannot_lock(error) from None
        try:
            self._owner.write_text(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "user": getpass.getuser(),
                        "host": socket.gethostname(),
                        "started": time.time(),
                    }
                )
            )
        except OSError as error:
            with suppress(OSError):  # leave no half-written owner file behind
                self._owner.unlink(missing_ok=True)
            self._lock.release()
            raise self._cannot_lock(error) from None
        return self

    def _cannot_lock(self, error: OSError) -> TutorError:
        return TutorError(
            f"cannot lock the index in the data dir {self._data_dir}: {storage_problem(error)}"
        )

    def __exit__(self, *exc: object) -> None:
        self._owner.unlink(missing_ok=True)
        self._lock.release()

    def holder(self) -> str:
        try:
            owner = json.loads(self._owner.read_text())
            started = time.strftime("%H:%M:%S", time.localtime(owner["started"]))
            return f"pid {owner['pid']} on {owner['host']}, started {started}"
        except (OSError, ValueError, KeyError):
            return "holder unknown"
