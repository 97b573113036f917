"""SIGKILL in real processes at exact points of a quiz step and of a chat turn, then a
restart: no answer is counted twice or lost, a conversation holds only whole turns, and the
quiz and the conversation carry on (`tutor quiz --resume`, `tutor ask --session`).

The child process is this module run with `python -m`: it drives `QuizSession` or
`TutorChat` over the test's data dir, exactly as the CLI does, and kills itself with SIGKILL
(no cleanup, no `finally`) at the N-th call of a chosen write, before or after it runs.
Nothing in the tutor knows about it. `benchmarks/kill_quiz_chat.py` reuses the child and
the audits below for many random kill points.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CHILD = [sys.executable, "-m", "tests.reliability.test_kill_quiz_and_chat"]
ANSWERS = {"tf": "True", "mc": "B", "cloze": "not the term", "short": "not the term"}
"""What the child answers per kind: some right, some wrong, so cards get lapses too."""
MODEL_ANSWER = "The material covers this in the passages above [1]."
CHECK_ANSWER = "{the check's answer}"
"""A chat question the child replaces with the right answer to the pending check."""
CHILD_TIMEOUT = 240


# --- the child ----------------------------------------------------------------------------


class KillSwitch:
    """Counts calls of the named write points and SIGKILLs this process at the `nth`
    one, before or after the call runs, saying first where (a `kill` line). Points:

    - `record_answer`: the learner store's write of a quiz answer;
    - `write_turn`: the learner store's write of a chat turn (`LearnerStore._write_turn`).
      A turn's `record_turn` only holds it in memory; `TutorChat._save` writes it when
      the graph has finished, before the conversation;
    - `checkpoint` and `pending_writes`: the checkpoint saver's SQL writes (`SqliteSaver`'s
      `put` and `put_writes`): a checkpoint, or a node's writes saved as it finishes
      (`pending_writes:graded` counts only writes to that state key). A quiz step saves
      them as LangGraph makes them; a chat turn holds them until its learner record is
      written, then `TutorChat._save` runs them;
    - `token`: an answer token shown to the learner.
    """

    def __init__(self, points: list[str], nth: int, when: str) -> None:
        self.points, self.nth, self.when = set(points), nth, when
        self.calls = 0
        self._lock = threading.Lock()

    def arm(self) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        from tutor.learner.store import LearnerStore

        targets = {
            "record_answer": (LearnerStore, "record_answer"),
            "write_turn": (LearnerStore, "_write_turn"),
            # The saver's own methods, not `TutorCheckpointer`'s: those only hold a chat
            # turn's saves, and pass a quiz's straight on to these.
            "checkpoint": (SqliteSaver, "put"),
            "pending_writes": (SqliteSaver, "put_writes"),
        }
        unknown = {p.partition(":")[0] for p in self.points} - {*targets, "token"}
        if unknown:
            raise ValueError(f"no kill point {', '.join(sorted(unknown))}")
        for point in self.points:
            target, _, key = point.partition(":")
            if target in targets:
                owner, name = targets[target]
                setattr(owner, name, self._wrap(getattr(owner, name), point, key))

    def _wrap(self, real, point: str, key: str):
        @functools.wraps(real)
        def wrapper(*args, **kwargs):
            # put_writes(self, config, writes, task_id): count only writes to `key`, if given
            if key and key not in (channel for channel, _ in args[2]):
                return real(*args, **kwargs)
            hit = self.tick(point)
            result = real(*args, **kwargs)
            if hit:
                self.die(point)
            return result

        return wrapper

    def tick(self, point: str) -> bool:
        """Count one call of `point`; die now if it is the one to kill before, else say
        whether it is the one to kill after."""
        with self._lock:
            self.calls += 1
            hit = self.calls == self.nth
        if hit and self.when == "before":
            self.die(point)
        return hit

    def die(self, point: str) -> None:
        emit(event="kill", point=point, when=self.when, nth=self.nth)
        die()


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def run_quiz(spec: dict, switch: KillSwitch | None) -> None:
    """Start (or resume) a quiz and answer every question it asks."""
    from tutor.runtime.chat import open_checkpointer, open_context
    from tutor.runtime.quiz_session import QuizSession

    settings = Settings()
    context = open_context(settings, offline=True)
    session = QuizSession(context, open_checkpointer(settings))
    context.question_bank()  # built before arming, so nothing here counts as a write
    if switch is not None:
        switch.arm()
    quiz = spec["quiz"]
    start = spec.get("start")
    step = session.start(quiz=quiz, **start) if start else session.current(quiz)
    emit(event="at", number=step.question["number"] if step.question else None)
    while step.question is not None:
        asked = step.question
        step = session.answer(quiz, ANSWERS[asked["kind"]])
        emit(event="graded", number=asked["number"], question=asked["question"])
    emit(event="end", summary=step.summary)
    session.close()


def run_chat(spec: dict, switch: KillSwitch | None) -> None:
    """Ask each of `questions` in one conversation, with a fake chat model."""
    from tests.fakes import ScriptedChatModel
    from tutor.runtime.chat import TutorChat, open_checkpointer, open_context

    settings = Settings()
    model = ScriptedChatModel(replies=[MODEL_ANSWER])
    chat = TutorChat(open_context(settings, chat_model=model), open_checkpointer(settings))
    chat.context.ready()
    if switch is not None:
        switch.arm()
    session = spec["session"]
    config = {"configurable": {"thread_id": session}}

    def on_token(_piece: str) -> None:
        if switch is not None and "token" in switch.points and switch.tick("token"):
            switch.die("token")  # a token has no "after": it is on the learner's screen

    for text in spec["questions"]:
        if text == CHECK_ANSWER:
            pending = chat.graph.get_state(config).values.get("pending_check") or {}
            text = pending.get("answer", "skip")
        chat.ask(text, session=session, on_token=on_token)
        pending = chat.graph.get_state(config).values.get("pending_check") or {}
        emit(event="turn", question=text, check_answer=pending.get("answer"))
    chat.close()


def child_main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    kill = spec.get("kill")
    switch = KillSwitch(kill["points"], kill["nth"], kill["when"]) if kill else None
    {"quiz": run_quiz, "chat": run_chat}[spec["role"]](spec, switch)


# --- the parent ---------------------------------------------------------------------------


@dataclass
class Child:
    returncode: int
    events: list[dict]
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]


def run_child(spec: dict) -> Child:
    """Run one child to its end (or its kill) with the test's environment."""
    done = subprocess.run(
        [*CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        timeout=CHILD_TIMEOUT,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return Child(done.returncode, events, done.stderr)


def read_only(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30))


def thread_state(settings: Settings, graph_module: str, thread: str):
    """A quiz's or conversation's latest checkpoint, read without running anything."""
    from tutor.runtime.chat import open_checkpointer

    checkpointer = open_checkpointer(settings)
    try:
        graph = importlib.import_module(graph_module).build().compile(checkpointer=checkpointer)
        return graph.get_state({"configurable": {"thread_id": thread}})
    finally:
        checkpointer.conn.close()


@dataclass
class QuizAudit:
    """A quiz as the learner store and its checkpoint see it."""

    stored: list[str] = field(default_factory=list)
    """Questions with a recorded answer for this quiz, in answer order."""
    results: list[str] = field(default_factory=list)
    """Questions graded in the quiz's checkpointed state."""
    waiting: int | None = None
    """The number of the question the quiz waits on."""
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    """Answers whose right/wrong event or FSRS card disagrees with them."""

    def assert_sound(self) -> None:
        assert not self.lost, f"answers lost: {self.lost}"
        assert not self.doubled, f"answers counted twice: {self.doubled}"
        assert not self.mismatched, f"events or cards disagree: {self.mismatched}"


def audit_quiz(settings: Settings, quiz: str, reported: list[str]) -> QuizAudit:
    """Check a quiz against `reported`, the questions whose answer a child saw graded.

    Lost: a reported answer, or one in the quiz's state, with no stored answer. Doubled:
    a question answered twice in the quiz, an event or card review beyond one per answer.
    Right after a kill the store may be one answer ahead of the state (recorded, not yet
    checkpointed); `QuizSession.current` then finishes that step without recording again.
    """
    snapshot = thread_state(settings, "graphs.quiz.graph", quiz)
    audit = QuizAudit(results=[r["question"] for r in snapshot.values.get("results", [])])
    waiting = [i.value for i in snapshot.interrupts]
    audit.waiting = waiting[0]["number"] if waiting else None
    with read_only(settings.learner_path) as db:
        rows = db.execute(
            "SELECT a.key, a.learner, a.question_id, a.correct, q.body FROM answers a"
            " JOIN questions q ON q.id = a.question_id WHERE a.session = ? ORDER BY a.id",
            (quiz,),
        ).fetchall()
        audit.stored = [json.loads(body)["prompt"] for *_, body in rows]
        events = dict(
            db.execute(
                "SELECT key, kind FROM events WHERE session = ? AND kind IN ('right', 'wrong')",
                (quiz,),
            ).fetchall()
        )
        for key, learner, question_id, correct, body in rows:
            prompt = json.loads(body)["prompt"]
            if events.get(key) != ("right" if correct else "wrong"):
                audit.mismatched.append(f"event of {prompt!r}")
            card = db.execute(
                "SELECT reviews, lapses FROM cards WHERE learner = ? AND question_id = ?",
                (learner, question_id),
            ).fetchone()
            answered = db.execute(
                "SELECT count(*), sum(1 - correct) FROM answers WHERE learner = ?"
                " AND question_id = ?",
                (learner, question_id),
            ).fetchone()
            if card is None or tuple(card) != tuple(answered):
                audit.mismatched.append(f"card of {prompt!r}: {card} for {answered}")
        if len(events) != len(rows):
            audit.mismatched.append(f"{len(events)} right/wrong events for {len(rows)} answers")
    stored, graded = Counter(audit.stored), Counter(audit.results)
    audit.lost = [q for q in dict.fromkeys([*reported, *audit.results]) if q not in stored]
    audit.doubled = [q for q in stored | graded if stored[q] > 1 or graded[q] > 1]
    return audit


@dataclass
class ChatAudit:
    """A conversation as its checkpoint and the learner store see it."""

    turns: list[tuple[str, str]] = field(default_factory=list)
    """The conversation's (question, answer) pairs."""
    counted_turns: int = 0
    """`turns` of the session in the learner store (`tutor sessions`)."""
    torn: list[str] = field(default_factory=list)
    """Messages that are not part of a whole turn."""
    lost: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    """Events recorded for a turn that is not in the conversation."""
    verdicts: list[str] = field(default_factory=list)
    """Check verdicts recorded in the learner store, oldest first."""

    @property
    def shown_verdicts(self) -> list[str]:
        """Check verdicts as the conversation shows them."""
        marks = {"Right:": "right", "Not quite:": "wrong"}
        return [v for _, a in self.turns for m, v in marks.items() if a.startswith(m)]

    def assert_sound(self, *, settled: bool) -> None:
        """`settled`: a turn has completed since the last kill, so the learner store must
        agree with the conversation exactly (right after a kill it may count one turn more,
        recorded before the checkpoint was written)."""
        assert not self.torn, f"torn turns: {self.torn}"
        assert not self.lost, f"turns lost: {self.lost}"
        if settled:
            assert self.verdicts == self.shown_verdicts, "check verdicts disagree"
            assert not self.orphans, f"events without their turn: {self.orphans}"
            assert self.counted_turns == len(self.turns)
        else:
            assert self.counted_turns - len(self.turns) in (0, 1)


def audit_chat(settings: Settings, session: str, reported: list[str]) -> ChatAudit:
    """Check a conversation against `reported`, the questions whose turn a child finished."""
    snapshot = thread_state(settings, "graphs.chat.graph", session)
    messages = snapshot.values.get("messages", [])
    audit = ChatAudit()
    for i in range(0, len(messages), 2):
        pair = messages[i : i + 2]
        if [m.type for m in pair] != ["human", "ai"]:
            audit.torn.append(repr(pair))
            continue
        audit.turns.append((str(pair[0].content), str(pair[1].content)))
    questions = [q for q, _ in audit.turns]
    audit.lost = [q for q in reported if q not in questions]
    with read_only(settings.learner_path) as db:
        row = db.execute("SELECT turns FROM sessions WHERE id = ?", (session,)).fetchone()
        audit.counted_turns = row[0] if row else 0
        for kind, question, key in db.execute(
            "SELECT kind, question, key FROM events WHERE session = ? ORDER BY id", (session,)
        ):
            if kind == "asked" and question not in questions:
                audit.orphans.append(f"{key}: {question!r}")
            elif kind != "asked":
                audit.verdicts.append(kind)
    return audit


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
    from tutor.learner.store import turn_prefix

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
    from tutor.learner.store import LearnerEvent, LearnerStore, turn_prefix

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


if __name__ == "__main__":
    child_main(sys.argv[1:])
