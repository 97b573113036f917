"""Two tutor processes on one data dir, writing at the same time, while a third reads.

What "a writer" means: learner data (`learner.sqlite`) and checkpoints
(`checkpoints.sqlite`) may be written by several tutors at once; SQLite in WAL mode with
`BEGIN IMMEDIATE` and a busy timeout serialises the writes, and readers never wait. What is
refused is a second process advancing the *same* conversation or quiz while another is
mid-turn or mid-step (`tutor.runtime.writer_lock`): that one is told who holds it (pid, command,
since when). The index has its own single writer (`index.lock`), tested in
`tests/corpus/test_crash_and_lock.py`.

Each child is this module run with `python -m`: a conversation with a fake chat model and
an offline quiz, interleaved, over the real data dir, as two `tutor` processes would.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.harness import REPO_ROOT
from tests.harness.audits import audit_chat, audit_quiz
from tests.harness.child_events import emit
from tests.harness.kill_child import ANSWERS, MODEL_ANSWER
from tutor.config import Settings

pytestmark = pytest.mark.slow

CHILD = [sys.executable, "-m", "tests.reliability.test_two_processes"]
ROUNDS = 12
"""Chat turns and quiz answers each child writes once released."""
QUESTIONS = [
    "What is RLHF?",
    "What is few-shot prompting?",
    "What is Unity Catalog for?",
    "What does MLflow track?",
    "What is PCA?",
    "How do GANs create synthetic data?",
]
READERS = [
    ["progress", "--json"],
    ["sessions", "--json"],
    ["doctor", "--json"],
    ["search", "reinforcement learning from human feedback", "--k", "2", "--json"],
]
TROUBLE = ("Traceback", "database is locked", "internal error")


# --- the child ----------------------------------------------------------------------------


def wait_for_file(path: Path) -> None:
    while not path.exists():
        time.sleep(0.02)


def run_tutor(spec: dict) -> None:
    """One tutor: a conversation (a fake model) and an offline quiz, interleaved. With
    `hold` = "conversation" its second turn, with "quiz" its first answer, waits inside the
    write (holding that thread's lock) until the `release` file exists; everything after
    it also waits for that file."""
    from tests.fakes import ScriptedChatModel
    from tutor.learner.store import LearnerStore
    from tutor.runtime.chat import TutorChat
    from tutor.runtime.checkpoints import open_checkpointer
    from tutor.runtime.context import open_context
    from tutor.runtime.quiz_session import QuizSession

    settings, release = Settings(), Path(spec["release"])
    calls = {"model": 0}

    def model_reply(_messages) -> str:
        calls["model"] += 1
        if spec["hold"] == "conversation" and calls["model"] == 2:
            emit(event="holding", what="conversation", id=spec["session"])
            wait_for_file(release)
        return MODEL_ANSWER

    model = ScriptedChatModel(replies=[model_reply])
    chat = TutorChat(open_context(settings, chat_model=model), open_checkpointer(settings))
    quizzes = QuizSession.open(settings, offline=True)
    quizzes.context.question_bank()
    if spec["hold"] == "quiz":
        real = LearnerStore.record_answer

        def held_record_answer(store, answer):
            LearnerStore.record_answer = real
            emit(event="holding", what="quiz", id=spec["quiz"])
            wait_for_file(release)
            return real(store, answer)

        LearnerStore.record_answer = held_record_answer
    turns = itertools.cycle(QUESTIONS)
    step = None

    def chat_turn() -> None:
        question = next(turns)
        chat.ask(question, session=spec["session"])
        emit(event="turn", question=question)

    def quiz_answer() -> None:
        nonlocal step
        if step is None:
            # long enough for the held answer and every round
            step = quizzes.start(quiz=spec["quiz"], n=ROUNDS + 1, kind="mixed")
        asked = step.question
        step = quizzes.answer(spec["quiz"], ANSWERS[asked["kind"]])
        emit(event="graded", question=asked["question"])

    if spec["hold"] == "conversation":
        chat_turn()
        chat_turn()  # held
    else:
        quiz_answer()  # held
    wait_for_file(release)
    for _ in range(ROUNDS):
        chat_turn()
        quiz_answer()
    emit(event="end")


# --- the parent ---------------------------------------------------------------------------


class Tutor:
    """A child tutor process, its events read as they come."""

    def __init__(self, spec: dict, log: Path) -> None:
        self.spec = spec
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [*CHILD, json.dumps(spec)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=REPO_ROOT,
                env=os.environ.copy(),
            )
        self.events: list[dict] = []
        self._lines: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with self.process.stdout as lines:
            for line in lines:
                if line.startswith("{"):
                    self._lines.put(json.loads(line))
        self._lines.put(None)

    def wait_for(self, kind: str, seconds: float = 240) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self._lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if event is None:
                raise AssertionError(f"child ended before {kind!r}: {self.log.read_text()}")
            self.events.append(event)
            if event["event"] == kind:
                return event
        raise AssertionError(f"timed out waiting for {kind!r}")

    def of(self, kind: str) -> list[str]:
        return [e["question"] for e in self.events if e["event"] == kind]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def invoke(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    from tutor.cli import app

    result = CliRunner().invoke(app, args, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("home")
def test_two_tutors_write_at_once_and_a_third_reads(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TUTOR_OFFER_CHECKS", "false")  # every turn calls the model once
    settings, release = Settings(), tmp_path / "release"
    specs = [
        {"session": "conv-a", "quiz": "quiz-a", "hold": "conversation"},
        {"session": "conv-b", "quiz": "quiz-b", "hold": "quiz"},
    ]
    tutors = [
        Tutor({**spec, "release": str(release)}, tmp_path / f"{spec['session']}.log")
        for spec in specs
    ]
    a, b = tutors
    try:
        # Both mid-write: A inside its second turn, B inside its first quiz answer.
        a.wait_for("holding")
        b.wait_for("holding")

        # A third tutor wanting the same conversation, or the same quiz, is refused at
        # once with one line naming the holder, and nothing of it is written.
        code, _, stderr = invoke(["ask", "--session", "conv-a", "What is PCA?", "--offline"])
        assert code == 1 and stderr.count("\n") == 1, stderr
        assert "conversation conv-a is being written by another tutor" in stderr
        assert f"pid {a.process.pid}" in stderr and "since " in stderr
        code, _, stderr = invoke(["quiz", "--resume", "--offline"], stdin="True\n")
        assert code == 1 and stderr.count("\n") == 1, stderr
        assert f"quiz quiz-b is being written by another tutor (pid {b.process.pid}" in stderr

        # Released, both write as fast as they can while this process keeps reading.
        release.touch()
        reads = 0
        while a.process.poll() is None or b.process.poll() is None:
            for args in READERS:
                code, stdout, stderr = invoke(args)
                assert code == 0, (args, stderr)
                assert not any(word in stderr for word in TROUBLE), (args, stderr)
                json.loads(stdout)
                reads += a.process.poll() is None and b.process.poll() is None
        for tutor in tutors:
            tutor.wait_for("end")
            assert tutor.process.wait(timeout=30) == 0
            log = tutor.log.read_text()
            assert not any(word in log for word in TROUBLE), log
    finally:
        for tutor in tutors:
            tutor.stop()
    assert reads >= 2, "the readers never ran while both tutors were writing"

    # Every write landed exactly once: every answer with its event and card, every turn.
    for tutor in tutors:
        quiz = audit_quiz(settings, tutor.spec["quiz"], tutor.of("graded"))
        quiz.assert_sound()
        assert quiz.stored == quiz.results == tutor.of("graded")
        assert len(quiz.stored) == ROUNDS + (tutor is b)
        conversation = audit_chat(settings, tutor.spec["session"], tutor.of("turn"))
        conversation.assert_sound(settled=True)
        assert [q for q, _ in conversation.turns] == tutor.of("turn")

    # Now that A is done, the refused turn goes through and follows A's turns.
    code, stdout, stderr = invoke(["ask", "-s", "conv-a", "What is PCA?", "--offline", "--json"])
    assert code == 0, stderr
    conversation = audit_chat(settings, "conv-a", [*a.of("turn"), "What is PCA?"])
    conversation.assert_sound(settled=True)
    assert len(conversation.turns) == len(a.of("turn")) + 1


@pytest.mark.usefixtures("home")
def test_an_answer_to_a_question_another_tutor_answered_is_refused() -> None:
    from tutor.runtime.checkpoints import open_checkpointer
    from tutor.runtime.context import open_context
    from tutor.runtime.quiz_session import QuizMovedOnError, QuizSession

    settings = Settings()
    context = open_context(settings, offline=True)
    first, second = (QuizSession(context, open_checkpointer(settings)) for _ in range(2))
    try:
        shown = first.start(n=3, kind="tf")
        assert second.current(shown.quiz).question == shown.question
        graded = second.answer(shown.quiz, "True").graded  # the other tutor answers it
        # The first still shows question 1: its answer must not go to question 2.
        with pytest.raises(QuizMovedOnError, match=r"question 1 of .* another tutor"):
            first.answer(shown.quiz, "False")
        assert first.current(shown.quiz).question["number"] == 2
        first.answer(shown.quiz, "False")
    finally:
        first.close()
        second.close()
    audit = audit_quiz(settings, shown.quiz, [graded["question"]])
    audit.assert_sound()
    assert len(audit.stored) == 2 and audit.stored == audit.results


if __name__ == "__main__":
    run_tutor(json.loads(sys.argv[1]))
