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
