"""Choosing a quiz: one topic, any, or what raises the exam forecast most; the kind of
question and how many; or the timed exam simulation (as long as the exam's blueprint says);
and resuming a quiz left unfinished."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tutor.corpus.blueprint import ExamFacts
from tutor.corpus.topics import Topic

KINDS = [
    ("Mixed", "mixed"),
    ("Multiple choice", "mc"),
    ("True or false", "tf"),
    ("Fill the blank", "cloze"),
    ("Short answer", "short"),
]
ANY_TOPIC = ""
FOR_EXAM = ":exam"
"""The topic choice "for the exam" (no topic id has a colon)."""
QUIZ_QUESTIONS = 5
EXAM_QUESTIONS = 20
EXAM_MINUTES = 30
"""The exam simulation's length and time without a blueprint (with one: the exam's)."""
MAX_QUESTIONS = 200


@dataclass(frozen=True)
class QuizOptions:
    """What `QuizSession.start` takes, and an exam's time limit (None: untimed)."""

    n: int
    kind: str = "mixed"
    topic: str | None = None
    exam: bool = False
    minutes: float | None = None
    for_exam: bool | None = None
    """`QuizSession.exam_focus`'s choice: True aims at the exam; None (any topic) aims at
    it once an exam date ahead is saved."""


def read_count(text: str) -> int | None:
    """A number of questions, 1 to MAX_QUESTIONS, or None."""
    try:
        n = int(text.strip())
    except ValueError:
        return None
    return n if 1 <= n <= MAX_QUESTIONS else None


def read_minutes(text: str) -> float | None:
    """A time limit in minutes (fractions allowed); empty or 0 means untimed. Raises
    ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    minutes = float(text)
    if minutes < 0 or minutes != minutes:  # negative or NaN
        raise ValueError(text)
    return minutes or None


def unfinished_text(question: dict) -> str:
    what = "exam" if question.get("exam") else "quiz"
    title = question.get("topic_title") or question.get("topic") or ""
    return (
        f"An unfinished {what} waits at question {question['number']} of "
        f"{question['total']} ({title})."
    )


class QuizSetup(Vertical):
    """Posts `Start` or `Resume`; the screen runs them."""

    class Start(Message):
        def __init__(self, options: QuizOptions) -> None:
            super().__init__()
            self.options = options

    class Resume(Message):
        def __init__(self, quiz: str, exam: bool) -> None:
            super().__init__()
            self.quiz = quiz
            self.exam = exam

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.unfinished: tuple[str, bool] | None = None
        self.topics: list[Topic] = []
        self.exam: ExamFacts | None = None
        """The exam's facts from its blueprint (None: there is none, or not read yet)."""

    def compose(self) -> ComposeResult:
        yield Label("Quiz yourself", classes="heading")
        yield Label("Due reviews come first, then your weakest topics.", classes="about")
        yield Label("Loading the tutor…", id="setup-wait", classes="about")
        with Horizontal(classes="row"):
            yield Label("Topic", classes="first")
            yield Select(
                [("Any topic", ANY_TOPIC)], value=ANY_TOPIC, allow_blank=False, id="setup-topic"
            )
        with Horizontal(classes="row"):
            yield Label("Kind", classes="first")
            yield Select(KINDS, value="mixed", allow_blank=False, id="setup-kind")
            yield Label("Questions")
            yield Input(str(QUIZ_QUESTIONS), type="integer", id="setup-n", max_length=3)
            yield Button("Start quiz", id="setup-start", variant="primary")
        yield Label("Exam simulation", id="setup-exam-heading", classes="heading")
        yield Label(
            "Questions spread over the topics by weight; grades only at the end.",
            id="setup-exam-about",
            classes="about",
        )
        with Horizontal(classes="row"):
            yield Label("Questions", classes="first")
            yield Input(str(EXAM_QUESTIONS), type="integer", id="setup-exam-n", max_length=3)
            yield Label("Minutes")
            yield Input(str(EXAM_MINUTES), type="number", id="setup-minutes", max_length=6)
            yield Button("Start exam", id="setup-exam", variant="warning")
        with Horizontal(id="setup-resume-row"):
            yield Static("", id="setup-unfinished", markup=False)
            yield Button("Resume", id="setup-resume", variant="success")

    def on_mount(self) -> None:
        self.query_one("#setup-resume-row").display = False
        self.enable(False)

    def enable(self, enabled: bool) -> None:
        """Buttons work once the tutor has loaded (and while no quiz is being prepared)."""
        for button in self.query(Button):
            button.disabled = not enabled

    def set_topics(self, topics: Sequence[Topic]) -> None:
        self.topics = list(topics)
        self._list_topics()
        self.query_one("#setup-wait").display = False

    def set_exam(self, exam: ExamFacts | None) -> None:
        """The exam's blueprint was read: its length and time become the simulation's
        (unless the learner has typed their own), and quizzes can aim at it."""
        self.exam = exam
        if exam is not None:
            for selector, default, value in (
                ("#setup-exam-n", EXAM_QUESTIONS, exam.questions),
                ("#setup-minutes", EXAM_MINUTES, exam.minutes),
            ):
                box = self.query_one(selector, Input)
                if box.value == str(default):
                    box.value = str(value)
            about = "Questions spread over the exam's sections by weight; grades only at the end."
            self.query_one("#setup-exam-about", Label).update(about)
        self._list_topics()

    def _list_topics(self) -> None:
        select = self.query_one("#setup-topic", Select)
        chosen = select.value
        aims = [("For the exam: what raises your forecast most", FOR_EXAM)] if self.exam else []
        options = [("Any topic", ANY_TOPIC), *aims, *((t.title, t.id) for t in self.topics)]
        select.set_options(options)
        select.value = chosen if any(value == chosen for _, value in options) else ANY_TOPIC

    def show_unfinished(self, quiz: str | None, question: dict | None) -> None:
        """Offer to resume `quiz`, waiting at `question` (None: nothing to resume)."""
        row = self.query_one("#setup-resume-row")
        if quiz is None or question is None:
            self.unfinished = None
            row.display = False
            return
        self.unfinished = (quiz, bool(question.get("exam")))
        self.query_one("#setup-unfinished", Static).update(unfinished_text(question))
        row.display = True

    def focus_start(self) -> None:
        self.query_one("#setup-start", Button).focus()

    @on(Button.Pressed, "#setup-start")
    @on(Input.Submitted, "#setup-n")
    def _start_quiz(self, event: Message) -> None:
        event.stop()
        n = self._count("#setup-n")
        if n is None:
            return
        topic = str(self.query_one("#setup-topic", Select).value)
        kind = self.query_one("#setup-kind", Select).value
        if topic == FOR_EXAM:
            options = QuizOptions(n=n, kind=str(kind), for_exam=True)
        else:
            options = QuizOptions(n=n, kind=str(kind), topic=topic or None)
        self.post_message(self.Start(options))

    @on(Button.Pressed, "#setup-exam")
    @on(Input.Submitted, "#setup-exam-n, #setup-minutes")
    def _start_exam(self, event: Message) -> None:
        event.stop()
        n = self._count("#setup-exam-n")
        if n is None:
            return
        try:
            minutes = read_minutes(self.query_one("#setup-minutes", Input).value)
        except ValueError:
            self._invalid("#setup-minutes", "Minutes: a number, or empty for no time limit.")
            return
        options = QuizOptions(n=n, kind="mixed", exam=True, minutes=minutes)
        self.post_message(self.Start(options))

    @on(Button.Pressed, "#setup-resume")
    def _resume(self, event: Button.Pressed) -> None:
        event.stop()
        if self.unfinished is not None:
            self.post_message(self.Resume(*self.unfinished))

    def _count(self, selector: str) -> int | None:
        """How many questions the box at `selector` asks for (None, with a notice, if
        that is not a number from 1 to MAX_QUESTIONS)."""
        n = read_count(self.query_one(selector, Input).value)
        if n is None:
            self._invalid(selector, f"How many questions: 1 to {MAX_QUESTIONS}.")
        return n

    def _invalid(self, selector: str, message: str) -> None:
        self.notify(message, severity="warning", markup=False)
        self.query_one(selector, Input).focus()
