"""Quizzes as a Python API: the quiz graph with its services and checkpoints. The CLI (and
the TUI) drive a quiz through `QuizSession`: start it, answer the question it shows, and
read the feedback, the next question or the summary."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from langgraph.types import Command

from graphs.context import TutorContext
from graphs.quiz import build
from tutor.chat import TutorCheckpointer


@dataclass
class QuizStep:
    """Where a quiz stands after a call."""

    quiz: str
    question: dict | None
    """The question waiting for an answer (no answer key in it), if any."""
    graded: dict | None
    """The answer just graded, with the key, explanation and citation."""
    summary: dict | None
    """The quiz's report once it has ended."""


class QuizSession:
    """Runs quiz graphs, each quiz a checkpointed thread that survives a restart."""

    def __init__(self, context: TutorContext, checkpointer: TutorCheckpointer) -> None:
        self.context = context
        self.checkpointer = checkpointer
        self.graph = build().compile(checkpointer=checkpointer)

    def start(
        self,
        *,
        n: int,
        kind: str = "mixed",
        topic: str | None = None,
        exam: bool = False,
        quiz: str | None = None,
    ) -> QuizStep:
        quiz = quiz or f"{'exam' if exam else 'quiz'}-{uuid.uuid4().hex[:8]}"
        options = {"n": n, "kind": kind, "topic": topic, "exam": exam}
        what = f"Exam: {n} questions" if exam else f"Quiz: {n} {kind} questions"
        self.context.learner_store.touch_session(
            quiz,
            self.context.learner_name,
            what + (f" on {topic}" if topic else ""),
            "exam" if exam else "quiz",
            time.time(),
        )
        return self._run(quiz, options, answered=0)

    def unfinished(self) -> str | None:
        """The learner's most recent quiz or exam still waiting for an answer, if any."""
        for info in self.context.learner_store.sessions(self.context.learner_name, limit=50):
            if info.mode in ("quiz", "exam") and self.current(info.id).question is not None:
                return info.id
        return None

    def answer(self, quiz: str, answer: str, confidence: str | None = None) -> QuizStep:
        """Answer the waiting question; the step holds its grade and what comes next."""
        before = len(self._values(quiz).get("results", []))
        reply = {"answer": answer, "confidence": confidence}
        return self._run(quiz, Command(resume=reply), answered=before)

    def stop(self, quiz: str) -> QuizStep:
        """End the quiz now (an exam's time ran out); the summary covers what was answered."""
        before = len(self._values(quiz).get("results", []))
        return self._run(quiz, Command(resume={"stop": True}), answered=before)

    def current(self, quiz: str) -> QuizStep:
        """Where a quiz stands, after a restart too: a step cut short by a crash (say
        between grading and recording an answer) is finished first, so the waiting
        question, or the summary, is always what comes back."""
        config = {"configurable": {"thread_id": quiz}}
        snapshot = self.graph.get_state(config)
        answered = len(snapshot.values.get("results", []))
        if snapshot.next and not snapshot.interrupts:
            self.graph.invoke(None, config, context=self.context, durability="sync")
        return self._step(quiz, answered)

    def _run(self, quiz: str, payload: object, answered: int) -> QuizStep:
        config = {"configurable": {"thread_id": quiz}}
        self.graph.invoke(payload, config, context=self.context, durability="sync")
        # Only the latest checkpoint is needed to resume; older ones would pile up.
        if isinstance(self.checkpointer, TutorCheckpointer):
            self.checkpointer.prune([quiz])
        return self._step(quiz, answered)

    def _values(self, quiz: str) -> dict:
        return self.graph.get_state({"configurable": {"thread_id": quiz}}).values

    def _step(self, quiz: str, answered: int) -> QuizStep:
        snapshot = self.graph.get_state({"configurable": {"thread_id": quiz}})
        results = snapshot.values.get("results", [])
        waiting = [i.value for i in snapshot.interrupts]
        return QuizStep(
            quiz=quiz,
            question=waiting[0] if waiting else None,
            graded=results[-1] if len(results) > answered else None,
            summary=snapshot.values.get("summary"),
        )

    def close(self) -> None:
        self.checkpointer.conn.close()
