"""SIGKILL in real processes at exact points of a quiz step and of a chat turn, then a
restart: no answer is counted twice or lost, a conversation holds only whole turns, and the
quiz and the conversation carry on (`tutor quiz --resume`, `tutor ask --session`).

The child process (`tests/harness/kill_child.py`, run with `python -m`) drives
`QuizSession` or `TutorChat` over the test's data dir, exactly as the CLI does, and kills
itself with SIGKILL (no cleanup, no `finally`) at the N-th call of a chosen write, before or
after it runs; `tests/harness/audits.py` checks the stores after it.
`benchmarks/kill_quiz_chat.py` runs the same child and audits for many random kill points.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.harness.audits import audit_chat, audit_quiz, read_only
from tests.harness.child_events import Child
from tests.harness.kill_child import run_child
from tutor.config import Settings


def graded_questions(*children: Child) -> list[str]:
    return [e["question"] for child in children for e in child.of("graded")]


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("home")
def test_a_quiz_killed_around_its_memory_write_resumes_with_every_answer_once() -> None:
    from tutor.cli import app

    runner = CliRunner()
    settings, quiz = Settings(), "quiz-killed"
    # 1. Question 1 answered; question 2 graded and recorded, killed before the checkpoint.
    first = run_child(
        {
            "role": "quiz",
            "quiz": quiz,
            "start": {"n": 5, "kind": "mixed"},
            "kill": {"points": ["record_answer"], "nth": 2, "when": "after"},
        }
    )
    assert first.killed, first.stderr
    assert first.of("kill") == [
        {"event": "kill", "point": "record_answer", "when": "after", "nth": 2}
    ]
    assert [e["number"] for e in first.of("graded")] == [1]
    audit = audit_quiz(settings, quiz, graded_questions(first))
    audit.assert_sound()
    assert len(audit.stored) == 2 and len(audit.results) == 1  # recorded, not checkpointed

    # 2. Restart: question 2 is finished (not asked again, not recorded again), 3 is next;
    # question 3 is graded, its grade saved, and killed before the memory write.
    second = run_child(
        {
            "role": "quiz",
            "quiz": quiz,
            "kill": {"points": ["pending_writes:graded"], "nth": 1, "when": "after"},
        }
    )
    assert second.killed, second.stderr
    assert second.of("kill") == [
        {"event": "kill", "point": "pending_writes:graded", "when": "after", "nth": 1}
    ]
    assert second.of("at") == [{"event": "at", "number": 3}]
    audit = audit_quiz(settings, quiz, graded_questions(first, second))
    audit.assert_sound()
    assert len(audit.stored) == 2 and audit.stored == audit.results
    assert audit.waiting is None  # neither waiting nor ended: cut short mid-step

    # 3. `tutor quiz --resume` finishes question 3 (graded before the kill), asks 4 and 5.
    resumed = runner.invoke(app, ["quiz", "--resume", "--offline", "--json"], input="B\nTrue\n")
    assert resumed.exit_code == 0, resumed.output
    assert "Question 4 of 5" in resumed.stderr and "Question 3 of 5" not in resumed.stderr
    summary = json.loads(resumed.stdout.splitlines()[-1])["summary"]
    assert summary["asked"] == 5 and summary["ended"] == "done"
    audit = audit_quiz(settings, quiz, graded_questions(first, second))
    audit.assert_sound()
    assert len(audit.stored) == 5 and audit.stored == audit.results
    assert audit.waiting is None


def turn_events(settings: Settings, session: str, turn: int) -> list[tuple[str, str]]:
    """The (kind, question) of every event the learner store holds for one chat turn."""
    from tutor.learner.records import turn_prefix

    prefix = turn_prefix(session, turn)
    with read_only(settings.learner_path) as db:
        rows = db.execute(
            "SELECT kind, question FROM events WHERE session = ? AND substr(key, 1, ?) = ?"
            " ORDER BY id",
            (session, len(prefix), prefix),
        ).fetchall()
    return [tuple(row) for row in rows]


@pytest.mark.slow
@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(
    ("point", "when", "saved"),
    [
        ("write_turn", "before", "nothing"),
        ("write_turn", "after", "learner"),
        ("checkpoint", "before", "learner"),
        ("checkpoint", "after", "both"),
    ],
)
def test_a_chat_turn_killed_around_its_saves_leaves_whole_turns(
    point: str, when: str, saved: str
) -> None:
    """A finished turn is saved in two writes, the learner record and then the
    conversation. Killed before the first, after the second, or in between (`saved`
    says what reached the disk), the conversation holds whole turns only, and the next
    turn leaves the learner store agreeing with it."""
    from tutor.cli import app

    runner = CliRunner()
    settings, session = Settings(), "killedchat"
    # Turn 1 offers a check; turn 2 is the learner's (wrong) reply to it, graded, and
    # killed at the second call of `point`: turn 2's write.
    first = run_child(
        {
            "role": "chat",
            "session": session,
            "questions": ["What is RLHF?", "no idea, maybe PCA"],
            "kill": {"points": [point], "nth": 2, "when": when},
        }
    )
    assert first.killed, first.stderr
    assert first.of("kill") == [{"event": "kill", "point": point, "when": when, "nth": 2}]
    (turn,) = first.of("turn")
    assert turn["check_answer"], "turn 1 offered no check"
    audit = audit_chat(settings, session, [turn["question"]])
    audit.assert_sound(settled=saved != "learner")
    questions = [q for q, _ in audit.turns]
    recorded = turn_events(settings, session, 2)
    if saved == "nothing":
        assert questions == ["What is RLHF?"]
        assert audit.counted_turns == 1 and recorded == []
    elif saved == "learner":
        # Turn 2 is in the learner store, with its verdict, but not in the conversation.
        assert questions == ["What is RLHF?"]
        assert audit.counted_turns == 2 and audit.verdicts == ["wrong"]
        assert [kind for kind, _ in recorded] == ["wrong"]
    else:
        assert questions == ["What is RLHF?", "no idea, maybe PCA"]
        assert audit.counted_turns == 2 and audit.verdicts == ["wrong"]

    if saved != "both":
        # `tutor ask --session` carries on from turn 1: the check is still pending, and
        # the new reply is turn 2. It replaces what the killed turn 2 recorded, if
        # anything: one verdict, the new one; two turns counted, not three.
        result = runner.invoke(
            app, ["ask", "--session", session, turn["check_answer"], "--offline", "--json"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["grade"]["result"] == "right"
        audit = audit_chat(settings, session, [turn["question"], turn["check_answer"]])
        audit.assert_sound(settled=True)
        assert audit.verdicts == ["right"] and len(audit.turns) == 2
        assert [kind for kind, _ in turn_events(settings, session, 2)] == ["right"]
        expected_turns = 2
    else:
        # Turn 2 was saved whole: the next question is turn 3.
        result = runner.invoke(
            app, ["ask", "--session", session, "What is PCA?", "--offline", "--json"]
        )
        assert result.exit_code == 0, result.output
        audit = audit_chat(settings, session, [turn["question"], "What is PCA?"])
        audit.assert_sound(settled=True)
        assert len(audit.turns) == 3 and audit.verdicts[0] == "wrong"
        assert turn_events(settings, session, 2) == recorded
        expected_turns = 3

    listed = json.loads(runner.invoke(app, ["sessions", "--json"]).stdout)
    assert [(s["id"], s["turns"]) for s in listed] == [(session, expected_turns)]


def test_recording_a_turn_again_replaces_what_its_killed_attempt_recorded(tmp_path) -> None:
    from tutor.learner.records import LearnerEvent, turn_prefix
    from tutor.learner.store import LearnerStore

    def event(turn: int, kind: str, question: str, at: float = 100.0) -> LearnerEvent:
        key = f"{turn_prefix('s1', turn)}{kind}:{question}"
        return LearnerEvent("ann", "rag", kind, at, question, session="s1", key=key)

    def record(turn: int, *events: LearnerEvent) -> int:
        title = events[0].question if events else "?"
        info = store.record_turn("s1", turn, events, learner="ann", title=title, mode="chat")
        return info.turns

    with LearnerStore(tmp_path / "learner.sqlite") as store:
        # Turn 1 recorded, then killed before its checkpoint; the learner asks otherwise.
        assert record(1, event(1, "asked", "What is RLHF?")) == 1
        assert record(1, event(1, "asked", "What is RAG?")) == 1
        assert store.sessions()[0].title == "What is RAG?"
        # Turn 2, a check answered wrong and killed; the retry's reply is right.
        assert record(2, event(2, "wrong", "check")) == 2
        assert record(2, event(2, "right", "check")) == 2
        # A re-run from the same state changes nothing, not even the time.
        assert record(2, event(2, "right", "check", at=999.0)) == 2
        assert [(e.kind, e.question, e.at) for e in store.events("ann")] == [
            ("asked", "What is RAG?", 100.0),
            ("right", "check", 100.0),
        ]
        assert store.sessions()[0].title == "What is RAG?"
        with pytest.raises(ValueError, match="start with 's1:3:'"):
            record(3, event(2, "asked", "What is PCA?"))
