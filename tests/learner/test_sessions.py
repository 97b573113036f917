"""Conversations in the learner store: sessions, their titles and ids, and chat turns
recorded, held and taken back."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

import pytest

from tutor.errors import TutorError
from tutor.learner.records import TITLE_LENGTH, LearnerEvent, session_title
from tutor.learner.store import hold_turns

NOW = 1_750_000_000.0


def test_sessions_are_created_then_counted(store):
    first = store.touch_session("abc123", "ann", "What is RAG?", "chat", at=NOW)
    assert (first.title, first.turns, first.mode, first.created_at) == (
        "What is RAG?",
        1,
        "chat",
        NOW,
    )
    again = store.touch_session("abc123", "ann", "And chunking?", "socratic", at=NOW + 60)
    assert (again.title, again.turns, again.mode) == ("What is RAG?", 2, "socratic")
    assert (again.created_at, again.updated_at) == (NOW, NOW + 60)
    assert again.to_dict()["updated_at"] == "2025-06-15T15:07:40Z"


def test_sessions_are_listed_newest_first(store):
    store.touch_session("s-old", "ann", "old", "chat", at=NOW - 100)
    store.touch_session("s-new", "ann", "new", "chat", at=NOW)
    store.touch_session("s-bob", "bob", "bob's", "quiz", at=NOW - 50)
    store.touch_session("s-old", "ann", "old again", "chat", at=NOW + 10)
    assert [s.id for s in store.sessions()] == ["s-old", "s-new", "s-bob"]
    assert [s.id for s in store.sessions("ann")] == ["s-old", "s-new"]
    assert [s.id for s in store.sessions(limit=1)] == ["s-old"]
    assert store.learners() == ["ann", "bob"]


def test_long_first_questions_make_short_titles(store):
    question = "How do I choose a chunking strategy " + "for very long technical documents " * 5
    title = store.touch_session("s1", "ann", question, "chat").title
    assert title == session_title(question)
    assert len(title) <= TITLE_LENGTH and title.endswith("…")
    assert title.startswith("How do I choose a chunking strategy for")
    assert session_title("  What\nis   RAG? ") == "What is RAG?"


def test_sessions_are_found_by_a_unique_prefix(store):
    for sid in ("7f3a91", "7f3b22", "c0ffee", "c0"):
        store.touch_session(sid, "ann", "q", "chat", at=NOW)
    assert store.find_session("7f3a").id == "7f3a91"
    assert store.find_session("c0").id == "c0"  # an exact id wins over a longer match
    assert store.find_session("zz") is None
    assert store.find_session("") is None
    with pytest.raises(TutorError, match=r"ambiguous: it matches 7f3a91, 7f3b22$"):
        store.find_session("7f3")
    assert store.find_session("7f3a", learner="bob") is None


# --- chat turns ------------------------------------------------------------------------


def turn_events(session: str, turn: int, *topics: str) -> list[LearnerEvent]:
    return [
        LearnerEvent("ann", t, "asked", NOW, "q", session=session, key=f"{session}:{turn}:{t}")
        for t in topics
    ]


def record_turn(store, session: str, turn: int, *topics: str):
    events = turn_events(session, turn, *topics)
    return store.record_turn(session, turn, events, learner="ann", title="q", mode="offline")


def test_turns_recorded_while_held_are_written_only_when_asked(store):
    with hold_turns() as held:
        # A graph node records the turn from a worker thread that runs in a copy of the
        # holder's context, as LangGraph's do.
        copied = contextvars.copy_context()
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(copied.run, record_turn, store, "s1", 1, "a").result() is None
    assert store.events("ann") == [] and store.sessions() == []
    assert record_turn(store, "s2", 1, "b").turns == 1  # outside the hold: written at once

    held.write()

    assert {e.key for e in store.events("ann")} == {"s1:1:a", "s2:1:b"}
    assert {s.id for s in store.sessions()} == {"s1", "s2"}


def test_forgetting_a_turn_takes_back_what_recording_it_stored(store):
    record_turn(store, "s1", 1, "a")
    record_turn(store, "s1", 2, "a", "b")
    record_turn(store, "s11", 1, "c")  # a session whose id starts like s1's keys

    store.forget_turn("s1", 2)
    assert [e.key for e in store.events("ann")] == ["s1:1:a", "s11:1:c"]
    assert {(s.id, s.turns) for s in store.sessions()} == {("s1", 1), ("s11", 1)}

    store.forget_turn("s1", 1)  # the first turn: the session goes too
    assert [e.key for e in store.events("ann")] == ["s11:1:c"]
    assert [s.id for s in store.sessions()] == ["s11"]
