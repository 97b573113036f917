"""A quiz or a conversation as the learner store and its checkpoint see it, checked against
what a child process reported: answers or turns lost, counted twice, torn or disagreeing."""

from __future__ import annotations

import importlib
import json
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from tutor.config import Settings


def read_only(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30))


def thread_state(settings: Settings, graph_module: str, thread: str):
    """A quiz's or conversation's latest checkpoint, read without running anything."""
    from tutor.runtime.checkpoints import open_checkpointer

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
