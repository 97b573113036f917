"""The child process of the quiz and chat kill tests and benchmark (`run_child` runs it with
`python -m`): it drives `QuizSession` or `TutorChat` over the data dir of its environment,
exactly as the CLI does, and kills itself with SIGKILL (no cleanup, no `finally`) at the
N-th call of a chosen write, before or after it runs. Nothing in the tutor knows about it.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading

from tests.harness import REPO_ROOT
from tests.harness.child_events import Child, emit, read_events
from tutor.config import Settings

CHILD = [sys.executable, "-m", "tests.harness.kill_child"]
ANSWERS = {"tf": "True", "mc": "B", "cloze": "not the term", "short": "not the term"}
"""What the child answers per kind: some right, some wrong, so cards get lapses too."""
MODEL_ANSWER = "The material covers this in the passages above [1]."
CHECK_ANSWER = "{the check's answer}"
"""A chat question the child replaces with the right answer to the pending check."""
CHILD_TIMEOUT = 240


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


def run_quiz(spec: dict, switch: KillSwitch | None) -> None:
    """Start (or resume) a quiz and answer every question it asks."""
    from tutor.runtime.checkpoints import open_checkpointer
    from tutor.runtime.context import open_context
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
    from tutor.runtime.chat import TutorChat
    from tutor.runtime.checkpoints import open_checkpointer
    from tutor.runtime.context import open_context

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


def run_child(spec: dict) -> Child:
    """Run one child to its end (or its kill) with this process's environment."""
    done = subprocess.run(
        [*CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        timeout=CHILD_TIMEOUT,
    )
    return Child(done.returncode, read_events(done.stdout), done.stderr)


if __name__ == "__main__":
    child_main(sys.argv[1:])
