"""What the learner sees after answering (outside an exam): right or not, the answer, why,
and the passage it comes from."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static


def reason(graded: dict) -> str:
    """The grader's one line on why, without a "Right" the verdict already says (absent in
    results of older quizzes)."""
    why = str(graded.get("reason") or "")
    if graded["correct"]:
        why = re.sub(r"^Right[:,.]?\s*", "", why)
    return why[:1].upper() + why[1:]


def verdict(graded: dict) -> Content:
    if graded["correct"]:
        return Content.from_markup("[b]Right.[/b]")
    return Content.from_markup("[b]Not quite.[/b] The answer is: $key", key=str(graded["key"]))


class QuizFeedback(Vertical):
    """The grade of the answer just given; `show` fills it in."""

    def compose(self) -> ComposeResult:
        yield Static("", id="quiz-verdict")
        yield Static("", id="quiz-reason", markup=False)
        yield Static("", id="quiz-given", markup=False)
        yield Static("", id="quiz-explanation", markup=False)
        yield Static("", id="quiz-source", markup=False)
        yield Static("", id="quiz-next", markup=False)

    def show(self, graded: dict, *, last: bool) -> None:
        self.set_class(bool(graded["correct"]), "-right")
        self.query_one("#quiz-verdict", Static).update(verdict(graded))
        self.query_one("#quiz-reason", Static).update(reason(graded))
        given = graded.get("answer_given") or ""
        self.query_one("#quiz-given", Static).update(f"You answered: {given}" if given else "")
        self.query_one("#quiz-explanation", Static).update(graded.get("explanation") or "")
        self.query_one("#quiz-source", Static).update(f"Source: {graded.get('source', '')}")
        what = "the summary" if last else "the next question"
        self.query_one("#quiz-next", Static).update(f"Enter, Space or N: {what}")
