"""Quizzes and the exam simulation: choose one, answer a question at a time, read the
feedback (after an exam, all grades at once), and end on a summary.

Every quiz step (start, answer, stop) blocks on the quiz graph, which may build the
question bank or ask the model, so each runs in a thread worker, one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Header, Label, LoadingIndicator

from tutor.runtime.quiz_session import QuizStep
from tutor.tui.screens.base import TutorScreen
from tutor.tui.screens.quiz_bad import ConfirmBad
from tutor.tui.screens.quiz_confirm import ConfirmStop
from tutor.tui.screens.quiz_keys import (
    FEEDBACK,
    PREPARING,
    QUESTION,
    QUIZ_KEYS,
    SETUP,
    SUMMARY,
    VIEWS,
    key_applies,
)
from tutor.tui.services import Services
from tutor.tui.widgets.exam_text import NOT_AIMED, aimed_text
from tutor.tui.widgets.quiz_card import QuizCard, picks_option
from tutor.tui.widgets.quiz_countdown import QuizCountdown
from tutor.tui.widgets.quiz_feedback import QuizFeedback
from tutor.tui.widgets.quiz_progress import QuizProgress
from tutor.tui.widgets.quiz_setup import QuizOptions, QuizSetup
from tutor.tui.widgets.quiz_summary import QuizSummary

if TYPE_CHECKING:
    from tutor.learner.exam_forecast import ExamFocus


class QuizScreen(TutorScreen):
    """F3: one quiz at a time, driven from the keyboard."""

    BINDINGS: ClassVar[list[BindingType]] = QUIZ_KEYS

    def __init__(self) -> None:
        super().__init__()
        self.phase = SETUP
        self.quiz: str | None = None
        self.exam = False
        self.question: dict | None = None
        self.answers: list[dict] = []
        """The graded answers of this sitting (an exam shows them in its summary)."""
        self._next: QuizStep | None = None
        """After feedback: the step that comes next (a question or the summary)."""
        self._busy = False
        self._time_up = False
        self._limit: float | None = None
        """The exam's time limit in minutes (None: untimed)."""
        self._starting = False
        """Set until the first question of a new (or resumed) quiz shows."""

    @property
    def busy(self) -> bool:
        """Whether a quiz step is running in the worker."""
        return self._busy

    def compose(self) -> ComposeResult:
        yield Header()
        yield QuizProgress(id="quiz-progress")
        with ContentSwitcher(initial="quiz-setup", id="quiz-views"):
            with VerticalScroll(id="quiz-setup"):
                yield QuizSetup()
            with Vertical(id="quiz-preparing"):
                yield LoadingIndicator()
                yield Label("Loading the tutor…", id="quiz-preparing-note", markup=False)
            with VerticalScroll(id="quiz-card-view"):
                yield QuizCard()
                yield QuizFeedback()
            with VerticalScroll(id="quiz-summary"):
                yield QuizSummary()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(QuizProgress).display = False
        self.query_one(QuizFeedback).display = False
        self.query_one(QuizSetup).focus_start()

    # --- the tutor arrives -------------------------------------------------------------

    async def services_ready(self, services: Services) -> None:
        setup = self.query_one(QuizSetup)
        setup.set_topics(services.chat.context.ready().topics.topics)
        setup.enable(not self._busy)
        self._look_for_unfinished()
        self.read_in_worker("quiz-blueprint", services.exam_facts, setup.set_exam, title="Quiz")

    async def services_changed(self, services: Services) -> None:
        if self.phase == SETUP:  # another learner may have a quiz waiting
            self._look_for_unfinished()

    def on_screen_resume(self) -> None:
        if self.phase == SETUP and self.services is not None and not self._busy:
            self._look_for_unfinished()

    def _look_for_unfinished(self) -> None:
        services = self.services
        if services is None:
            return

        def read() -> tuple[str | None, dict | None]:
            quiz = services.quiz.unfinished()
            return quiz, services.quiz.current(quiz).question if quiz is not None else None

        def show(found: tuple[str | None, dict | None]) -> None:
            self.query_one(QuizSetup).show_unfinished(*found)

        self.read_in_worker("quiz-unfinished", read, show, title="Quiz")

    # --- starting ------------------------------------------------------------------------

    @on(QuizSetup.Start)
    def start_quiz(self, event: QuizSetup.Start) -> None:
        services = self.services
        if services is None or self._busy:
            return
        options: QuizOptions = event.options
        self._begin(exam=options.exam, minutes=options.minutes)

        def start() -> QuizStep:
            focus = services.quiz.exam_focus(
                options.for_exam, exam=options.exam, topic=options.topic
            )
            self.app.call_from_thread(self._aimed, focus, options)
            return services.quiz.start(
                n=options.n, kind=options.kind, topic=options.topic, exam=options.exam, focus=focus
            )

        self._run(start, "Preparing questions… (the first quiz builds the question bank)")

    def _aimed(self, focus: ExamFocus | None, options: QuizOptions) -> None:
        """Say that the quiz is aimed at the exam, and at which objectives."""
        if focus is not None:
            self.query_one(QuizProgress).aimed = True
            self.notify(aimed_text(focus), title="Quiz", markup=False)
        elif options.for_exam and not options.exam and options.topic is None:
            self.notify(NOT_AIMED, title="Quiz", severity="warning", markup=False)

    @on(QuizSetup.Resume)
    def resume_quiz(self, event: QuizSetup.Resume) -> None:
        services = self.services
        if services is None or self._busy:
            return
        quiz = event.quiz
        self._begin(exam=event.exam, minutes=None)  # the time limit is not kept
        self._run(lambda: services.quiz.current(quiz), "Preparing questions…")

    def _begin(self, *, exam: bool, minutes: float | None) -> None:
        self.exam = exam
        self.answers = []
        self._next = None
        self._time_up = False
        self._limit = minutes
        self._starting = True
        self.query_one(QuizProgress).begin(exam=exam)

    # --- the worker ----------------------------------------------------------------------

    def _run(self, call: Callable[[], QuizStep], note: str | None) -> None:
        """Run one quiz step in the worker; `note` (if any) shows while it runs."""
        self._busy = True
        self.query_one(QuizSetup).enable(False)
        if note is not None:
            self.query_one("#quiz-preparing-note", Label).update(note)
            self._show(PREPARING)
        self._step(call)

    @work(thread=True, group="quiz-step", exit_on_error=False)
    def _step(self, call: Callable[[], QuizStep]) -> None:
        try:
            step = call()
        except Exception as error:
            self.app.call_from_thread(self._step_failed, error)
            return
        self.app.call_from_thread(self._arrived, step)

    async def _arrived(self, step: QuizStep) -> None:
        self._busy = False
        self.quiz = step.quiz
        if step.graded is not None:
            self.answers.append(step.graded)
            number = self.question["number"] if self.question else len(self.answers)
            total = self.question["total"] if self.question else number
            self.query_one(QuizProgress).graded(step.graded["correct"], number, total)
        if self.exam and self._time_up and step.question is not None:
            self._stop_now()  # the time ran out while this answer was being saved
            return
        if step.graded is not None and not self.exam:
            self._feedback(step)
            return
        if step.question is not None:
            if self._starting:
                self._starting = False
                self._start_clock()
            await self._ask(step.question)
        else:
            self._summary(step)

    def _step_failed(self, error: Exception) -> None:
        self._busy = False
        self.notify_error("Quiz", error)
        if self.phase == QUESTION and self.question is not None:
            self.query_one(QuizCard).release()  # answer again
            self._focus_answer()
        else:
            self._to_setup()

    # --- a question, its answer and the feedback -------------------------------------------

    async def _ask(self, question: dict) -> None:
        self.question = question
        self.query_one(QuizFeedback).display = False
        await self.query_one(QuizCard).show(question)
        self.query_one(QuizProgress).at(question["number"], question["total"])
        self._show(QUESTION)
        self.query_one("#quiz-card-view", VerticalScroll).scroll_home(animate=False)
        self._focus_answer()

    def _focus_answer(self) -> None:
        if self.question is not None and not picks_option(self.question):
            self.query_one(QuizCard).answer_box.focus()
        else:
            self.query_one("#quiz-card-view", VerticalScroll).focus()

    @on(QuizCard.Answered)
    def answered(self, event: QuizCard.Answered) -> None:
        services, quiz = self.services, self.quiz
        if services is None or quiz is None or self._busy or self.phase != QUESTION:
            return
        card = self.query_one(QuizCard)
        card.hold("Saving your answer…" if self.exam else "Checking your answer…")
        self.query_one("#quiz-card-view", VerticalScroll).focus()
        answer, confidence = event.answer, event.confidence
        self._run(lambda: services.quiz.answer(quiz, answer, confidence), None)
        self.refresh_bindings()

    def _feedback(self, step: QuizStep) -> None:
        assert step.graded is not None
        self._next = step
        feedback = self.query_one(QuizFeedback)
        feedback.show(step.graded, last=step.question is None)
        feedback.display = True
        self.query_one(QuizCard).hold("")
        self._show(FEEDBACK)
        view = self.query_one("#quiz-card-view", VerticalScroll)
        view.focus()
        self.call_after_refresh(view.scroll_to_widget, feedback, animate=False)

    async def action_next(self) -> None:
        step, self._next = self._next, None
        if self.phase != FEEDBACK or step is None:
            return
        if step.question is not None:
            await self._ask(step.question)
        else:
            self._summary(step)

    def action_choose(self, index: int) -> None:
        self.query_one(QuizCard).pick(index)

    def action_truth(self, index: int) -> None:
        self.query_one(QuizCard).pick(index)

    def action_confidence(self, confidence: str) -> None:
        self.query_one(QuizCard).toggle_confidence(confidence)

    def action_bad(self) -> None:
        """Ctrl+B: retire the question shown (or, on its feedback, the one just graded)
        as bad, after asking; the quiz goes on."""
        services, quiz, previous = self.services, self.quiz, self.phase == FEEDBACK
        if services is None or quiz is None or self._busy or self.phase not in (QUESTION, FEEDBACK):
            return

        def retire(choice: tuple[bool, str | None] | None) -> None:
            if not choice or not choice[0] or self._busy or self.quiz != quiz:
                return
            self.notify("Question retired: you will not be asked it again.", title="Quiz")
            self._next = None
            self.query_one(QuizCard).hold("Retiring the question…")
            self._run(lambda: services.quiz.retire(quiz, choice[1], previous=previous), None)

        self.app.push_screen(ConfirmBad(previous), retire)

    # --- the exam's clock and ending early -------------------------------------------------

    def _start_clock(self) -> None:
        countdown = self.query_one(QuizProgress).countdown
        if not self.exam:
            countdown.stop()
        elif self._limit:
            countdown.start(self._limit * 60)
        else:
            countdown.untimed()

    @on(QuizCountdown.TimeUp)
    def time_up(self) -> None:
        if self.quiz is None or self.phase in (SETUP, SUMMARY):
            return
        self._time_up = True
        self.query_one(QuizCard).hold("Time is up.")
        if isinstance(self.app.screen, ConfirmStop):
            self.app.screen.dismiss(False)  # the question is moot now
        if not self._busy:  # else the answer being saved ends the exam when it is in
            self._stop_now()

    def action_stop(self) -> None:
        """Esc: end the quiz now (after asking); the summary covers what was answered."""
        if self.phase not in (QUESTION, FEEDBACK) or self._busy:
            return

        def stop(confirmed: bool | None) -> None:
            if confirmed and not self._busy and self.phase in (QUESTION, FEEDBACK):
                self._stop_now()

        self.app.push_screen(ConfirmStop("exam" if self.exam else "quiz"), stop)

    def _stop_now(self) -> None:
        services, quiz, step = self.services, self.quiz, self._next
        if step is not None and step.question is None:
            self._summary(step)  # it has ended already: the last answer is in
            return
        if services is None or quiz is None:
            return
        self._run(lambda: services.quiz.stop(quiz), "Ending the quiz…")

    # --- the summary ---------------------------------------------------------------------

    def _summary(self, step: QuizStep) -> None:
        self.query_one(QuizProgress).countdown.stop()
        answers = self.answers if self.exam else ()
        self.query_one(QuizSummary).show(step.summary or {}, answers, time_up=self._time_up)
        self.question = None
        self._next = None
        self._show(SUMMARY)
        view = self.query_one("#quiz-summary", VerticalScroll)
        view.scroll_home(animate=False)
        view.focus()

    def action_again(self) -> None:
        if self.phase == SUMMARY:
            self._to_setup()

    def _to_setup(self) -> None:
        self.quiz = None
        self.question = None
        self.query_one(QuizProgress).countdown.stop()
        self._show(SETUP)
        setup = self.query_one(QuizSetup)
        setup.enable(self.services is not None)
        setup.focus_start()
        if self.services is not None:
            self._look_for_unfinished()

    # --- views and keys --------------------------------------------------------------------

    def _show(self, phase: str) -> None:
        self.phase = phase
        self.query_one(ContentSwitcher).current = VIEWS.get(phase, "quiz-card-view")
        self.query_one(QuizProgress).display = phase in (QUESTION, FEEDBACK)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show and run only the keys that mean something now."""
        return key_applies(
            action, parameters, phase=self.phase, busy=self._busy, question=self.question
        )
