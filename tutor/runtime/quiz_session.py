"""Quizzes as a Python API: the quiz graph with its services and checkpoints. The CLI (and
the TUI) drive a quiz through `QuizSession`: start it, answer the question it shows, and
read the feedback, the next question or the summary."""

from __future__ import annotations

import time
import uuid
from contextlib import suppress
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langgraph.types import Command, StateSnapshot

from graphs.context import TutorContext
from graphs.quiz.graph import build
from graphs.quiz.state import GradedResult, QuizSummary, ShownQuestion
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner.exam_forecast import ExamFocus, exam_focus, planning_date
from tutor.runtime.checkpoints import TutorCheckpointer, open_checkpointer
from tutor.runtime.context import open_context
from tutor.runtime.writer_lock import WriterLock


class QuizMovedOnError(TutorError):
    """The question being answered was answered in another tutor process meanwhile."""


@dataclass
class QuizStep:
    """Where a quiz stands after a call."""

    quiz: str
    question: ShownQuestion | None
    """The question waiting for an answer (no answer key in it), if any."""
    graded: GradedResult | None
    """The answer just graded, with the key, explanation and citation."""
    summary: QuizSummary | None
    """The quiz's report once it has ended. If Ollama went away during the quiz,
    `made_offline` counts the answered questions made offline because of it and
    `offline_notice` says so in a line to show (None when there is nothing to say)."""


def _cut_short(snapshot: StateSnapshot) -> bool:
    """Whether a quiz stopped mid-step, neither waiting for an answer nor ended.

    `tasks`, not `next`: killed after a node's writes were saved but before the checkpoint
    that follows them (say, just after grading), the only task left has finished, so
    `next` is empty although the quiz is not; running it applies those writes and goes on.
    """
    return bool(snapshot.tasks) and not snapshot.interrupts


class QuizSession:
    """Runs quiz graphs, each quiz a checkpointed thread that survives a restart.

    Several tutor processes may run quizzes at once. A step of one quiz holds that quiz's
    `WriterLock`, so another process stepping the same quiz at that moment is refused
    (`ThreadBusyError`, naming the holder); and an answer is refused when the question it
    answers is no longer the one waiting, because another process answered it meanwhile
    (`QuizMovedOnError`), rather than being taken as the answer to the next question.
    """

    def __init__(self, context: TutorContext, checkpointer: TutorCheckpointer) -> None:
        self.context = context
        self.checkpointer = checkpointer
        self.graph = build().compile(checkpointer=checkpointer)
        self._shown: dict[str, int] = {}
        """Per quiz, the number of the question this session last returned as waiting."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        offline: bool = False,
        learner: str | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> QuizSession:
        """Quizzes with real services; questions made offline when Ollama or its model is
        missing (`context.offline_reason` says why)."""
        context = open_context(settings, offline=offline, learner=learner, chat_model=chat_model)
        return cls(context, open_checkpointer(settings))

    def start(
        self,
        *,
        n: int,
        kind: str = "mixed",
        topic: str | None = None,
        exam: bool = False,
        quiz: str | None = None,
        focus: ExamFocus | None = None,
    ) -> QuizStep:
        """Start a quiz (or with `exam`, an exam simulation); `focus` aims a quiz with no
        named topic at the exam (`exam_focus`)."""
        quiz = quiz or f"{'exam' if exam else 'quiz'}-{uuid.uuid4().hex[:8]}"
        options: dict = {"n": n, "kind": kind, "topic": topic, "exam": exam}
        what = f"Exam: {n} questions" if exam else f"Quiz: {n} {kind} questions"
        if focus is not None and not exam and topic is None:
            options |= {"focus": list(focus.topics), "focus_passages": list(focus.passages)}
            what += " for the exam"
        self.context.learner_store.touch_session(
            quiz,
            self.context.learner_name,
            what + (f" on {topic}" if topic else ""),
            "exam" if exam else "quiz",
            time.time(),
        )
        with self._writing(quiz):
            return self._run(quiz, options, answered=0)

    def exam_focus(
        self, for_exam: bool | None = None, *, exam: bool = False, topic: str | None = None
    ) -> ExamFocus | None:
        """What a quiz aimed at the exam asks about (the objectives whose study raises the
        readiness forecast most). `for_exam` None aims only once the learner has saved an
        exam date still ahead; False never; True always (for four weeks ahead without a
        date). None for an exam simulation or a quiz on a named `topic`, and when there is
        no blueprint or nothing to aim at."""
        settings = self.context.settings
        day = planning_date(settings.exam_date, required=for_exam is None)
        if for_exam is False or day is None or exam or topic is not None:
            return None
        return exam_focus(settings, self.context.learner_name, day)

    def unfinished(self) -> str | None:
        """The learner's most recent quiz or exam still waiting for an answer, if any."""
        for info in self.context.learner_store.sessions(self.context.learner_name, limit=50):
            if info.mode in ("quiz", "exam") and self.current(info.id).question is not None:
                return info.id
        return None

    def answer(self, quiz: str, answer: str, confidence: str | None = None) -> QuizStep:
        """Answer the waiting question; the step holds its grade and what comes next."""
        reply = {"answer": answer, "confidence": confidence}
        return self._resume(quiz, Command(resume=reply))

    def retire(self, quiz: str, why: str | None = None, *, previous: bool = False) -> QuizStep:
        """The learner says a question is bad: the waiting one, or with `previous` the one
        just graded. It is retired for them (never asked again, its review card dropped,
        its grade no longer counted, logged with `why`); the quiz goes on to the next
        question (with `previous`, the waiting one is still waiting; after the last
        answer, the quiz stays ended)."""
        reply = {"bad": True, "why": why, "previous": previous}
        if previous:
            with self._writing(quiz):
                snapshot = self.graph.get_state({"configurable": {"thread_id": quiz}})
                asked = snapshot.values.get("asked", [])
                if not snapshot.interrupts:  # the quiz has ended: straight to the store
                    if asked:
                        store, learner = self.context.learner_store, self.context.learner_name
                        store.retire(learner, asked[-1], reason=why, quiz=quiz)
                    return self._step(quiz, len(snapshot.values.get("results", [])))
        return self._resume(quiz, Command(resume=reply))

    def stop(self, quiz: str) -> QuizStep:
        """End the quiz now (an exam's time ran out); the summary covers what was answered."""
        return self._resume(quiz, Command(resume={"stop": True}))

    def current(self, quiz: str) -> QuizStep:
        """Where a quiz stands, after a restart too: a step cut short by a crash (say
        between grading and recording an answer) is finished first, so the waiting
        question, or the summary, is always what comes back."""
        config = {"configurable": {"thread_id": quiz}}
        snapshot = self.graph.get_state(config)
        answered = len(snapshot.values.get("results", []))
        if _cut_short(snapshot):
            with self._writing(quiz):
                # Looked at again under the lock: another tutor may have finished it.
                snapshot = self.graph.get_state(config)
                answered = len(snapshot.values.get("results", []))
                if _cut_short(snapshot):
                    self.graph.invoke(None, config, context=self.context, durability="sync")
        return self._step(quiz, answered)

    def _resume(self, quiz: str, command: Command) -> QuizStep:
        """Hand the learner's reply to the waiting question, if it is still the one this
        session showed."""
        with self._writing(quiz):
            snapshot = self.graph.get_state({"configurable": {"thread_id": quiz}})
            waiting = [i.value for i in snapshot.interrupts]
            shown = self._shown.get(quiz)
            if shown is not None and (not waiting or waiting[0]["number"] != shown):
                raise QuizMovedOnError(
                    f"question {shown} of {quiz} was answered in another tutor meanwhile; "
                    "run `tutor quiz --resume` to go on from where it is now"
                )
            return self._run(quiz, command, len(snapshot.values.get("results", [])))

    def _writing(self, quiz: str) -> WriterLock:
        return WriterLock(self.context.settings, "quiz", quiz)

    def _run(self, quiz: str, payload: object, answered: int) -> QuizStep:
        config = {"configurable": {"thread_id": quiz}}
        self.graph.invoke(payload, config, context=self.context, durability="sync")
        # Only the latest checkpoint is needed to resume; older ones would pile up. A
        # failed prune is left for the next step: the answer is already saved.
        if isinstance(self.checkpointer, TutorCheckpointer):
            with suppress(TutorError):
                self.checkpointer.prune([quiz])
        return self._step(quiz, answered)

    def _step(self, quiz: str, answered: int) -> QuizStep:
        snapshot = self.graph.get_state({"configurable": {"thread_id": quiz}})
        results = snapshot.values.get("results", [])
        waiting = [i.value for i in snapshot.interrupts]
        if waiting:
            self._shown[quiz] = waiting[0]["number"]
        return QuizStep(
            quiz=quiz,
            question=waiting[0] if waiting else None,
            graded=results[-1] if len(results) > answered else None,
            summary=snapshot.values.get("summary"),
        )

    def close(self) -> None:
        self.checkpointer.conn.close()
