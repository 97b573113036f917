"""Where conversations and quizzes are checkpointed: LangGraph's SQLite saver in the data
dir, read back in strict mode, with pruning and the turn-long holding `TutorChat` saves by."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.storage import storage_problem

_HELD_SAVES: ContextVar[list[Callable[[], object]] | None] = ContextVar("held_saves", default=None)


class TutorCheckpointer(SqliteSaver):
    """LangGraph's SQLite saver with `prune`, which it leaves unimplemented, a one-line
    `TutorError` for a file the disk or the data dir refuses, and `holding`.

    The tutor never goes back in a conversation's history, so only each thread's latest
    checkpoint is worth keeping; pruning keeps the file from growing with every turn.
    """

    def __init__(
        self, conn: sqlite3.Connection, *, serde: SerializerProtocol | None = None, path: Path
    ) -> None:
        super().__init__(conn, serde=serde)
        self.path = path

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        try:
            with super().cursor(transaction) as cur:
                yield cur
        except sqlite3.Error as error:
            with self.lock, suppress(sqlite3.Error):  # a failed COMMIT leaves it open
                self.conn.rollback()
            doing = "save the conversation to" if transaction else "read the conversation store"
            raise TutorError(f"cannot {doing} {self.path}: {storage_problem(error)}") from None

    @contextmanager
    def holding(self) -> Iterator[list[Callable[[], object]]]:
        """Keep the checkpoints and writes LangGraph saves inside this block (its worker
        threads included: they run in a copy of this context) in memory; the caller saves
        them by calling each, in order, when the rest of the turn is saved."""
        held: list[Callable[[], object]] = []
        token = _HELD_SAVES.set(held)
        try:
            yield held
        finally:
            _HELD_SAVES.reset(token)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        held = _HELD_SAVES.get()
        if held is None:
            return super().put(config, checkpoint, metadata, new_versions)
        held.append(functools.partial(super().put, config, checkpoint, metadata, new_versions))
        where = config["configurable"]
        return {  # what the saved checkpoint's config will be
            "configurable": {
                "thread_id": where["thread_id"],
                "checkpoint_ns": where["checkpoint_ns"],
                "checkpoint_id": checkpoint["id"],
            }
        }

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        held = _HELD_SAVES.get()
        if held is None:
            return super().put_writes(config, writes, task_id, task_path)
        held.append(functools.partial(super().put_writes, config, writes, task_id, task_path))
        return None

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}")
        with self.cursor() as cur:
            for thread in thread_ids:
                if strategy == "delete":
                    cur.execute("DELETE FROM checkpoints WHERE thread_id = ?", (thread,))
                    cur.execute("DELETE FROM writes WHERE thread_id = ?", (thread,))
                    continue
                # Checkpoint ids are time-ordered (uuid6), so the greatest is the latest.
                latest = cur.execute(
                    "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints "
                    "WHERE thread_id = ? GROUP BY checkpoint_ns",
                    (thread,),
                ).fetchall()
                for namespace, keep in latest:
                    for table in ("checkpoints", "writes"):
                        cur.execute(
                            f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? "
                            "AND checkpoint_id <> ?",
                            (thread, namespace, keep),
                        )


def open_checkpointer(settings: Settings) -> TutorCheckpointer:
    """Conversation checkpoints in the data dir, read back in strict mode: only plain
    data and LangChain messages are ever deserialised from the file."""
    path = settings.checkpoints_path
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        serde = JsonPlusSerializer(allowed_msgpack_modules=None)
        saver = TutorCheckpointer(conn, serde=serde, path=path)
        saver.setup()
    except (sqlite3.DatabaseError, OSError) as error:
        raise TutorError(
            f"cannot open the conversation store {path}: {storage_problem(error)}"
        ) from None
    return saver
