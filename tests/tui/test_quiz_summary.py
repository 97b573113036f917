"""The quiz summary widget: what it shows for a quiz that Ollama left halfway, and that it
says nothing about Ollama when the quiz ran as planned."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tests.tui.pilot import run
from tutor.tui.widgets.quiz_summary import QuizSummary

NOTICE = (
    "3 of 5 questions were made offline: Ollama is not running at http://127.0.0.1:11434: "
    "start it with `ollama serve` (or set OLLAMA_HOST)"
)
SUMMARY = {
    "ended": "done",
    "asked": 5,
    "planned": 5,
    "correct": 4,
    "per_topic": [{"topic": "rlhf", "title": "RLHF", "right": 4, "total": 5}],
    "weakest_topics": [],
    "review": [],
    "made_offline": 3,
    "offline_notice": NOTICE,
}


class SummaryApp(App):
    def compose(self) -> ComposeResult:
        yield QuizSummary()


def shown(app: App) -> str:
    return "\n".join(str(s.render()) for s in app.query(Static) if s.display)


def test_the_summary_says_how_many_questions_were_made_offline_and_why() -> None:
    async def scenario() -> None:
        app = SummaryApp()
        async with app.run_test(size=(80, 24)) as pilot:
            summary = app.query_one(QuizSummary)
            summary.show(SUMMARY)
            await pilot.pause()
            assert shown(app).startswith(f"Score: 4 of 5\n{NOTICE}\n")

            # Another quiz on the same screen, which Ollama saw through: no such line.
            summary.show({**SUMMARY, "made_offline": 0, "offline_notice": None})
            await pilot.pause()
            assert not summary.query_one("#summary-offline").display
            assert "offline" not in shown(app)

    run(scenario)


EXAM = {
    **SUMMARY,
    "ended": "no material",
    "asked": 4,
    "planned": 45,
    "correct": 3,
    "made_offline": 0,
    "offline_notice": None,
    "pass_mark": 0.7,
    "sections": [
        {
            "id": "design",
            "title": "Design Applications",
            "weight": 14,
            "questions": 2,
            "correct": 2,
            "basis": "passages",
        },
        {
            "id": "data",
            "title": "Data Preparation",
            "weight": 14,
            "questions": 2,
            "correct": 1,
            "basis": "topics",
        },
        {
            "id": "evaluation",
            "title": "Evaluation and Monitoring",
            "weight": 12,
            "questions": 0,
            "correct": 0,
            "basis": "passages",
        },
    ],
    "unexamined": [
        {"topic": "governance", "title": "Governance", "mastery": 0.5, "reason": ""},
    ],
}


def test_a_blueprint_exam_is_scored_per_section_and_ending_early_points_to_coverage() -> None:
    async def scenario() -> None:
        app = SummaryApp()
        async with app.run_test(size=(80, 24)) as pilot:
            summary = app.query_one(QuizSummary)
            summary.show(EXAM)
            await pilot.pause()
            assert shown(app).splitlines()[:2] == [
                "Score: 3 of 4 (of 45 planned)",
                "Ended early: the material has no more questions on the exam (4 of 45"
                " asked). Coverage (F7) shows what to add.",
            ]
            sections = str(summary.query_one("#summary-sections", Static).render())
            assert sections.splitlines() == [
                "Overall 3 of 4, 75%: at or above the 70% pass mark.",
                "Design Applications (14%): 2 of 2, 100%: at or above the 70% pass mark",
                "Data Preparation (14%) (asked from its topics): 1 of 2, 50%: below the 70%"
                " pass mark",
                "Evaluation and Monitoring (12%): no questions",
                "Not examined, the material has nothing on it: Governance.",
            ]
            assert "By section of the exam" in shown(app)

            # A quiz (no blueprint sections) shows none of it.
            summary.show(SUMMARY)
            await pilot.pause()
            assert "By section" not in shown(app) and "Ended early" not in shown(app)

    run(scenario)
