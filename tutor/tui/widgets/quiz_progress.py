"""Where a quiz stands, in one line: the question, a bar, the score so far, the time left."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from tutor.tui.widgets.quiz_countdown import QuizCountdown


class QuizProgress(Horizontal):
    """An exam shows no score while it runs (its grades come at the end)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.exam = False
        self.aimed = False
        """A quiz aimed at the exam (set once it is known)."""
        self.right = 0
        self.answered = 0

    def compose(self) -> ComposeResult:
        yield Label("", id="quiz-at", markup=False)
        yield ProgressBar(total=1, show_eta=False, show_percentage=False)
        yield Label("", id="quiz-score", markup=False)
        yield QuizCountdown(id="quiz-clock")

    def begin(self, *, exam: bool) -> None:
        """A new quiz (or a resumed one): nothing answered in this sitting yet."""
        self.exam = exam
        self.aimed = False
        self.right = 0
        self.answered = 0
        self.query_one("#quiz-score", Label).display = not exam
        self.query_one(QuizCountdown).display = exam
        self._score()

    def at(self, number: int, total: int) -> None:
        """Question `number` of `total` is being asked (those before it are answered)."""
        label = "Exam" if self.exam else "Quiz for the exam" if self.aimed else "Quiz"
        self.query_one("#quiz-at", Label).update(f"{label} · question {number} of {total}")
        self.query_one(ProgressBar).update(total=max(total, 1), progress=number - 1)

    def graded(self, correct: bool, number: int, total: int) -> None:
        """Question `number` has been answered (graded `correct`)."""
        self.answered += 1
        self.right += int(correct)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=number)
        self._score()

    def _score(self) -> None:
        text = f"score {self.right}/{self.answered}" if self.answered else "no answers yet"
        self.query_one("#quiz-score", Label).update(text)

    @property
    def countdown(self) -> QuizCountdown:
        return self.query_one(QuizCountdown)
