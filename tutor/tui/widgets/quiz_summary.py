"""The end of a quiz: the score, how each topic went, what to reread, the weakest topics now,
and, after an exam, the grade of every answer (an exam shows none while it runs) and, for an
exam planned by the blueprint, the score of each section against the pass mark. When
Ollama went away during the quiz, a line says how many questions were made offline and why."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from graphs.quiz.exam_plan import exam_result

ENDINGS = {
    "no material": "The material has no more questions to offer on that topic.",
    "stopped": "The quiz was stopped; the answers given count.",
}


def score_line(summary: dict) -> str:
    asked, correct = summary.get("asked", 0), summary.get("correct", 0)
    planned = summary.get("planned", asked)
    return f"Score: {correct} of {asked}" + (f" (of {planned} planned)" if asked < planned else "")


def ending_note(summary: dict, time_up: bool) -> str:
    """Why the quiz ended, when it ended before its last question."""
    if time_up:
        return "Time is up."
    if summary.get("ended") == "no material" and "sections" in summary:
        return (
            "Ended early: the material has no more questions on the exam"
            f" ({summary.get('asked', 0)} of {summary.get('planned', 0)} asked)."
            " Coverage (F7) shows what to add."
        )
    return ENDINGS.get(summary.get("ended") or "", "")


def section_lines(summary: dict) -> str:
    """A blueprint exam's result against the pass mark, overall and per section, then the
    sections it could not examine ("" for any other quiz)."""
    if "sections" not in summary:
        return ""
    overall, sections, unexamined = exam_result(summary)
    return "\n".join([overall, *sections, *([unexamined] if unexamined else [])])


def topic_lines(summary: dict) -> str:
    rows = summary.get("per_topic", [])
    return "\n".join(f"{row['right']}/{row['total']}  {row['title']}" for row in rows)


def answer_lines(answers: Sequence[dict]) -> Content:
    """Each exam answer: ✔ or ✘, the question, what was given, and the key when wrong."""
    lines = []
    for n, graded in enumerate(answers, start=1):
        mark = "[$text-success]✔[/]" if graded["correct"] else "[$text-error]✘[/]"
        line = Content.from_markup(
            f"{mark} $n. $question\n   you: $given",
            n=str(n),
            question=str(graded["question"]).replace("\n", " "),
            given=str(graded.get("answer_given") or "(no answer)"),
        )
        if not graded["correct"]:
            line += Content.from_markup(" · answer: $key", key=str(graded["key"]))
        lines.append(line)
    return Content("\n").join(lines)


class QuizSummary(Vertical):
    """Filled in by `show` when a quiz ends."""

    def compose(self) -> ComposeResult:
        yield Static("", id="summary-score", markup=False)
        yield Static("", id="summary-note", markup=False)
        yield Static("", id="summary-offline", markup=False)
        for name, title in (
            ("sections", "By section of the exam"),
            ("topics", "By topic"),
            ("answers", "Your answers"),
            ("review", "Passages to review"),
            ("weakest", "Weakest topics now"),
        ):
            yield Static(title, classes=f"heading section-{name}", markup=False)
            yield Static("", id=f"summary-{name}", classes=f"section-{name}", markup=False)
        yield Static("N or Enter: another quiz", id="summary-again", markup=False)

    def show(self, summary: dict, answers: Sequence[dict] = (), *, time_up: bool = False) -> None:
        """`answers`: the exam's graded answers, shown only now it is over."""
        self.query_one("#summary-score", Static).update(score_line(summary))
        note = ending_note(summary, time_up)
        if summary.get("retired"):
            note = f"{note} Retired as bad questions: {summary['retired']}.".strip()
        self.query_one("#summary-note", Static).update(note)
        self.query_one("#summary-note").display = bool(note)
        offline = summary.get("offline_notice") or ""
        self.query_one("#summary-offline", Static).update(offline)
        self.query_one("#summary-offline").display = bool(offline)
        weakest = ", ".join(t["title"] for t in summary.get("weakest_topics", []))
        sections = {
            "sections": section_lines(summary),
            "topics": topic_lines(summary),
            "answers": answer_lines(answers) if answers else "",
            "review": "\n".join(summary.get("review", [])),
            "weakest": weakest,
        }
        for name, text in sections.items():
            self.query_one(f"#summary-{name}", Static).update(text)
            for widget in self.query(f".section-{name}"):
                widget.display = bool(text)
