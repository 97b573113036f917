"""The reviews line of the progress screen: how many questions are due now, and what comes
up next, so the learner knows whether a quiz (F3) is waiting for them."""

from __future__ import annotations

from textual.widgets import Static

from tutor.learner.report import ProgressReport
from tutor.learner.scheduling import when_due


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def reviews_text(report: ProgressReport) -> str:
    """One or two lines: questions due now (and in how many topics), and the next one."""
    total = report.due_total
    if total:
        topics = sum(1 for count in report.due.values() if count)
        text = (
            f"Reviews due now: {plural(total, 'question')} in {plural(topics, 'topic')}"
            " (review them in a quiz, F3)."
        )
    elif report.next_review:
        text = "No reviews due now."
    else:
        return "No reviews scheduled yet: quiz questions (F3) come back here when they are due."
    coming = report.coming_up()
    if coming is not None:
        topic, at = coming
        text += f" Next: {report.title(topic)}, {when_due(at, report.now)}."
    return text


class ReviewsDue(Static):
    """Reviews due now and the next one to come; the screen hands in each fresh report."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Reading your progress…", id=id, markup=False)

    def show(self, report: ProgressReport) -> None:
        self.update(reviews_text(report))
        self.set_class(report.due_total > 0, "-due")
