"""A chat turn is saved whole or not at all: its learner record and its conversation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.runtime.chat import TutorChat


def refuse_new_checkpoints(chat: TutorChat) -> None:
    """The conversation store refuses to save a checkpoint, as a real SQLite error."""

    def authorise(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_INSERT and table == "checkpoints":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    chat.checkpointer.conn.set_authorizer(authorise)


def rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        found = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    db.close()
    return found


def learner_record(settings: Settings) -> dict[str, list[tuple]]:
    """The events and the sessions, but for when each session was last active (a turn
    taken back leaves that as it was set)."""
    sessions = [(*row[:4], *row[5:]) for row in rows(settings.learner_path, "sessions")]
    return {"events": rows(settings.learner_path, "events"), "sessions": sessions}


@pytest.mark.usefixtures("home")
def test_a_conversation_that_cannot_be_saved_takes_its_learner_record_back() -> None:
    settings = Settings()
    chat = TutorChat.open(settings, offline=True)
    try:
        first = chat.ask("What is RLHF?", session="s1")
        assert first.topics  # the turn counts for its topics
        learned = learner_record(settings)
        saved = rows(settings.checkpoints_path, "checkpoints")
        refuse_new_checkpoints(chat)

        # A second turn in that conversation, and a first one in a new conversation.
        for session in ("s1", "s2"):
            with pytest.raises(TutorError, match=r"cannot save the conversation to .*not auth"):
                chat.ask("What is few-shot prompting?", session=session)

            assert learner_record(settings) == learned
            assert rows(settings.checkpoints_path, "checkpoints") == saved
        assert [s.id for s in chat.store.sessions()] == ["s1"]
        assert len(chat.history("s1")) == 1 and chat.history("s2") == []
    finally:
        chat.close()


@pytest.mark.usefixtures("home")
def test_a_turn_is_saved_even_when_old_checkpoints_cannot_be_pruned() -> None:
    settings = Settings()
    chat = TutorChat.open(settings, offline=True)
    try:
        chat.ask("What is RLHF?", session="s1")

        def no_deletes(action: int, table: str | None, *_: object) -> int:
            deleting = action == sqlite3.SQLITE_DELETE and table == "checkpoints"
            return sqlite3.SQLITE_DENY if deleting else sqlite3.SQLITE_OK

        chat.checkpointer.conn.set_authorizer(no_deletes)
        second = chat.ask("What is few-shot prompting?", session="s1")

        assert second.answer
        assert [q for q, _ in chat.history("s1")] == [
            "What is RLHF?",
            "What is few-shot prompting?",
        ]
        assert len(rows(settings.checkpoints_path, "checkpoints")) == 2  # pruned next time
    finally:
        chat.close()
