"""The quiz screen driven like a learner would, over the real quiz graph and the indexed
project corpus, offline (questions built from the material, graded by rule)."""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Select, Static

from tests.tui.pilot import run, until
from tutor.config import Settings
from tutor.runtime.chat import TutorChat
from tutor.runtime.quiz_session import QuizSession
from tutor.tui.app import TutorApp
from tutor.tui.screens.quiz import QuizScreen, aimed_text
from tutor.tui.services import Services
from tutor.tui.widgets.quiz_card import QuizCard, QuizOption
from tutor.tui.widgets.quiz_countdown import QuizCountdown
from tutor.tui.widgets.quiz_feedback import QuizFeedback
from tutor.tui.widgets.quiz_progress import QuizProgress
from tutor.tui.widgets.quiz_setup import ANY_TOPIC, FOR_EXAM, QuizSetup
from tutor.tui.widgets.quiz_summary import QuizSummary

SIZE = (80, 24)
SLOW = 90  # seconds: the first quiz builds the question bank, on a busy machine too


async def open_quiz(pilot: Pilot) -> QuizScreen:
    """F3, once the tutor has loaded and the setup's buttons work."""
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(pilot.app.screen, QuizScreen))
    screen = pilot.app.screen
    assert isinstance(screen, QuizScreen)
    await until(pilot, lambda: screen.services is not None)
    await until(pilot, lambda: not screen.query_one("#setup-start").disabled)
    return screen


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    """Click a field, clear it and type `text`."""
    await pilot.click(selector)
    box = pilot.app.screen.query_one(selector, Input)
    await pilot.press("end", *["backspace"] * len(box.value), *text)
    assert box.value == text


async def next_question(pilot: Pilot, screen: QuizScreen, number: int) -> dict:
    await until(
        pilot,
        lambda: screen.phase == "question" and (screen.question or {}).get("number") == number,
        SLOW,
    )
    assert screen.question is not None
    return screen.question


def waiting_key(app: TutorApp, screen: QuizScreen) -> str:
    """The answer to the question on screen, read from the quiz's checkpointed state."""
    assert app.services is not None and screen.quiz is not None
    graph = app.services.quiz.graph
    state = graph.get_state({"configurable": {"thread_id": screen.quiz}})
    return state.values["current"]["answer"]


def text(screen: QuizScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def feedback_text(screen: QuizScreen) -> str:
    return "\n".join(str(s.render()) for s in screen.query_one(QuizFeedback).query(Static))


def summary_text(screen: QuizScreen) -> str:
    summary = screen.query_one(QuizSummary)
    return "\n".join(str(s.render()) for s in summary.query(Static) if s.display)


def test_a_quiz_answered_from_the_keyboard(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            await type_into(pilot, "#setup-n", "3")
            await pilot.press("enter")
            # A mixed offline quiz rotates multiple choice, true/false, fill the blank.
            first = await next_question(pilot, screen, 1)
            assert first["kind"] == "mc" and first["total"] == 3
            assert text(screen, "#quiz-number") == "Question 1 of 3"
            assert "not tried yet" in text(screen, "#quiz-topic")
            assert "1-4 or A-D" in text(screen, "#quiz-hint")
            key = waiting_key(app, screen)
            await pilot.press("exclamation_mark")  # sure
            assert "now: sure" in text(screen, "#quiz-hint")
            await pilot.press(str(first["options"].index(key) + 1))

            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            shown = feedback_text(screen)
            assert shown.startswith("Right.") and f"You answered: {key}" in shown
            assert "Source: corpus/" in shown and "the next question" in shown
            progress = screen.query_one(QuizProgress)
            assert progress.query_one(ProgressBar).progress == 1
            assert "score 1/1" in str(progress.query_one("#quiz-score", Static).render())

            await pilot.press("enter")
            second = await next_question(pilot, screen, 2)
            assert second["kind"] == "tf" and "1 or T" in text(screen, "#quiz-hint")
            assert "question 2 of 3" in str(progress.query_one("#quiz-at", Static).render())
            key = waiting_key(app, screen)
            await pilot.press("question_mark", "f" if key == "True" else "t")  # a wrong guess
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            assert feedback_text(screen).startswith(f"Not quite. The answer is: {key}")
            assert progress.query_one(ProgressBar).progress == 2
            assert "score 1/2" in str(progress.query_one("#quiz-score", Static).render())

            await pilot.press("space")
            third = await next_question(pilot, screen, 3)
            assert third["kind"] == "cloze"
            box = screen.query_one(QuizCard).answer_box
            assert app.focused is box
            # ' ?' at the end: right, but a guess (reviewed sooner).
            await pilot.press(*waiting_key(app, screen), " ", "?", "enter")
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            assert feedback_text(screen).startswith("Right.")
            assert "the summary" in feedback_text(screen)

            await pilot.press("n")
            await until(pilot, lambda: screen.phase == "summary")
            summary = summary_text(screen)
            assert summary.startswith("Score: 2 of 3")
            assert "By topic" in summary and "Passages to review" in summary
            assert "Weakest topics now" in summary and "Your answers" not in summary
            assert re.search(r"^0/1  ", summary, re.M)  # the topic of the wrong answer
            await pilot.press("n")
            await until(pilot, lambda: screen.phase == "setup")

        learner = chat.context.learner_name
        assert [e.kind for e in chat.store.events(learner)] == ["right", "wrong", "right"]
        with sqlite3.connect(data_dir / "learner.sqlite") as db:
            rows = db.execute("SELECT correct, rating FROM answers ORDER BY at").fetchall()
        # Sure and right: Easy (4); wrong: Again (1); right but guessed: Hard (2).
        assert rows == [(1, 4), (0, 1), (1, 2)]

    run(scenario)


def test_an_exam_hides_grades_until_its_time_runs_out(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            await type_into(pilot, "#setup-exam-n", "3")
            await type_into(pilot, "#setup-minutes", "1")
            await pilot.press("enter")
            first = await next_question(pilot, screen, 1)
            assert first["exam"] and "grades come at the end" in text(screen, "#quiz-hint")
            countdown = screen.query_one(QuizCountdown)
            assert re.fullmatch(r"time left (1:00|0:[0-5]\d)", str(countdown.render()))
            progress = screen.query_one(QuizProgress)
            assert not progress.query_one("#quiz-score").display  # no score while it runs
            # A topic short of multiple choice may ask another kind in an exam.
            if first["kind"] in ("mc", "tf"):
                await pilot.press("1")
            else:
                await type_into(pilot, "#quiz-answer", "a term")
                await pilot.press("enter")

            await next_question(pilot, screen, 2)
            assert not screen.query_one(QuizFeedback).display
            assert progress.query_one(ProgressBar).progress == 1
            # The clock moves on past the limit (the exam does not wait for an answer).
            countdown.clock = lambda: time.monotonic() + 3600
            await until(pilot, lambda: screen.phase == "summary", SLOW)
            summary = summary_text(screen)
            assert summary.startswith("Score: ") and "of 1 (of 3 planned)" in summary
            assert "Time is up." in summary
            # A blueprint exam: scored per section against the pass mark.
            assert "By section of the exam" in summary
            assert re.search(
                r"^Overall \d of 1, \d+%: (at or above|below) the 70% pass mark\.$", summary, re.M
            )
            assert re.search(r"^Application Development \(30%\).*: ", summary, re.M)
            # Only now the grade of the answer given shows, with the question.
            assert re.search(r"^[✔✘] 1\. ", summary, re.M)
            assert first["question"].split("\n")[0] in summary.replace("\n", " ")

        assert len(chat.store.events(chat.context.learner_name)) == 1

    run(scenario)


def test_an_unfinished_quiz_resumes_where_it_was(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    waiting = Services(chat).quiz.start(n=2, kind="tf")  # left at its first question
    assert waiting.question is not None
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            row = screen.query_one("#setup-resume-row")
            await until(pilot, lambda: row.display)
            assert "question 1 of 2" in text(screen, "#setup-unfinished")
            await pilot.click("#setup-resume")
            question = await next_question(pilot, screen, 1)
            assert question["question"] == waiting.question["question"]
            await pilot.press("t")
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            await pilot.press("enter")
            await next_question(pilot, screen, 2)
            await pilot.click(screen.query(QuizOption)[1])  # False, with the mouse
            await until(pilot, lambda: bool(screen.query_one(QuizFeedback).display))
            assert "You answered: False" in feedback_text(screen)
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            await pilot.press("enter")
            await until(pilot, lambda: screen.phase == "summary")
            assert "of 2" in summary_text(screen).splitlines()[0]
            await pilot.press("enter")
            await until(pilot, lambda: screen.phase == "setup")
            await pilot.pause(0.5)
            assert not row.display  # nothing left to resume

        assert len(chat.store.events(chat.context.learner_name)) == 2

    run(scenario)


def test_a_failed_step_is_a_notice_and_esc_ends_the_quiz(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)
    answer = QuizSession.answer
    failures = [RuntimeError("the disk is full\nand more")]

    def flaky_answer(self: QuizSession, *args: Any, **kwargs: Any):
        if failures:
            raise failures.pop()
        return answer(self, *args, **kwargs)

    monkeypatch.setattr(QuizSession, "answer", flaky_answer)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            await type_into(pilot, "#setup-n", "4")
            await pilot.press("enter")
            await next_question(pilot, screen, 1)
            await pilot.press("1")
            await until(pilot, lambda: bool(app._notifications))
            [note] = app._notifications
            assert note.severity == "error" and note.message == "RuntimeError: the disk is full"
            # The question stays; answering again works.
            await until(pilot, lambda: screen.phase == "question" and not screen.busy)
            await pilot.press("1")
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            await pilot.press("escape")  # end early, after saying so
            await until(pilot, lambda: app.screen is not screen)
            await pilot.press("n")  # no: keep going
            await until(pilot, lambda: app.screen is screen)
            assert screen.phase == "feedback"
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is not screen)
            await pilot.press("y")
            await until(pilot, lambda: screen.phase == "summary", SLOW)
            summary = summary_text(screen)
            assert "of 1 (of 4 planned)" in summary and "stopped" in summary

        assert len(chat.store.events(chat.context.learner_name)) == 1

    run(scenario)


def test_the_screen_fits_80_by_24_in_both_themes(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    def inside(screen: QuizScreen, *selectors: str) -> None:
        region = screen.region
        for selector in selectors:
            widget = screen.query_one(selector)
            assert widget.region.area > 0, selector
            assert region.contains_region(widget.region), selector

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            setup = ("#setup-topic", "#setup-kind", "#setup-n", "#setup-start")
            setup += ("#setup-exam-n", "#setup-minutes", "#setup-exam")
            for theme in ("textual-dark", "textual-light"):
                app.theme = theme
                await pilot.pause()
                inside(screen, *setup)
            # Fill the blank, chosen from the keyboard: a question with a text box.
            await pilot.click("#setup-kind")
            await pilot.press("down", "down", "down", "enter")
            assert screen.query_one(QuizSetup).query_one("#setup-kind").value == "cloze"
            await type_into(pilot, "#setup-n", "1")
            await pilot.press("enter")
            await next_question(pilot, screen, 1)
            for theme in ("textual-dark", "textual-light"):
                app.theme = theme
                await pilot.pause()
                inside(screen, "#quiz-progress", "#quiz-number", "#quiz-answer", "#quiz-hint")

    run(scenario)


def test_ctrl_b_retires_a_bad_question_and_the_quiz_goes_on(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)
    retired: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            await type_into(pilot, "#setup-n", "2")
            await pilot.press("enter")
            first = await next_question(pilot, screen, 1)
            # Offered in the footer while a question waits.
            assert screen.check_action("bad", ()) is True
            footer = app.screen.active_bindings.values()
            assert any(b.binding.action == "bad" and b.binding.show and b.enabled for b in footer)
            graph = app.services.quiz.graph
            values = graph.get_state({"configurable": {"thread_id": screen.quiz}}).values
            retired.append(values["current"]["prompt"])
            await pilot.press("ctrl+b")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmBad")
            await pilot.press("escape")  # kept: nothing happens
            await until(pilot, lambda: app.screen is screen)
            assert screen.question == first
            await pilot.press("ctrl+b")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmBad")
            await pilot.press(*"two options fit", "enter")
            # Not graded: the next question takes its place as question 1.
            await until(
                pilot,
                lambda: screen.phase == "question" and screen.question != first,
                SLOW,
            )
            assert screen.question["number"] == 1 and not screen.answers
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmStop")
            await pilot.press("y")
            await until(pilot, lambda: screen.phase == "summary", SLOW)

        with sqlite3.connect(data_dir / "learner.sqlite") as db:
            rows = db.execute("SELECT learner, reason, quiz FROM retired").fetchall()
            questions = db.execute("SELECT count(*) FROM answers").fetchone()
        assert rows == [(chat.context.learner_name, "two options fit", rows[0][2])]
        assert rows[0][2].startswith("quiz-") and questions == (0,)

    run(scenario)


def test_ctrl_b_on_the_feedback_retires_the_question_just_answered(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            await type_into(pilot, "#setup-n", "2")
            await pilot.press("enter")
            first = await next_question(pilot, screen, 1)
            await pilot.press("1")
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            await pilot.press("ctrl+b")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmBad")
            await pilot.press("enter")  # no reason given
            second = await next_question(pilot, screen, 2)
            assert second != first

        learner = chat.context.learner_name
        assert chat.store.events(learner) == []  # its grade no longer counts
        with sqlite3.connect(data_dir / "learner.sqlite") as db:
            assert db.execute("SELECT reason FROM retired").fetchall() == [(None,)]
            assert db.execute("SELECT count(*) FROM answers").fetchone() == (1,)

    run(scenario)


def topic_choices(screen: QuizScreen) -> list[str]:
    return [str(value) for _, value in screen.query_one("#setup-topic", Select)._options]


def test_the_exam_option_is_as_long_as_the_blueprints_exam(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            questions = screen.query_one("#setup-exam-n", Input)
            await until(pilot, lambda: questions.value == "45")
            assert screen.query_one("#setup-minutes", Input).value == "90"
            about = str(screen.query_one("#setup-exam-about", Static).render())
            assert "over the exam's sections by weight" in about
            choices = topic_choices(screen)
            assert choices[:2] == [ANY_TOPIC, FOR_EXAM] and "rlhf" in choices

    run(scenario)


async def start_aimed_quiz(pilot: Pilot, screen: QuizScreen, topic: str) -> dict:
    """A one-question quiz with `topic` chosen; its first question."""
    await until(pilot, lambda: FOR_EXAM in topic_choices(screen))
    screen.query_one("#setup-topic", Select).value = topic
    await type_into(pilot, "#setup-n", "1")
    await pilot.press("enter")
    return await next_question(pilot, screen, 1)


def test_a_quiz_aims_at_the_exam_when_asked_and_once_a_date_is_saved(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    def aimed_notes() -> list[str]:
        return [n.message for n in app._notifications if n.message.startswith("Aimed at")]

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            # No exam date: "Any topic" goes by the weakest topics, as before.
            await start_aimed_quiz(pilot, screen, ANY_TOPIC)
            assert "for the exam" not in text(screen, "#quiz-at")
            assert not aimed_notes()
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmStop")
            await pilot.press("y")
            await until(pilot, lambda: screen.phase == "summary", SLOW)
            await pilot.press("n")
            await until(pilot, lambda: screen.phase == "setup" and not screen.busy)

            # "For the exam": the objectives that raise the forecast most, said so.
            question = await start_aimed_quiz(pilot, screen, FOR_EXAM)
            focus = app.services.quiz.exam_focus(True)
            assert focus is not None
            assert aimed_notes() == [aimed_text(focus)]
            assert aimed_text(focus).startswith("Aimed at your exam: objectives ")
            assert text(screen, "#quiz-at") == "Quiz for the exam · question 1 of 1"
            assert question["reason"] == "forecast" and question["topic"] in focus.topics
            assert "raises your exam forecast" in text(screen, "#quiz-topic")

    run(scenario)

    # With an exam date saved, "Any topic" aims at the exam too (as `tutor quiz` does).
    monkeypatch.setenv("TUTOR_EXAM_DATE", (date.today() + timedelta(days=20)).isoformat())
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def with_a_date() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_quiz(pilot)
            question = await start_aimed_quiz(pilot, screen, ANY_TOPIC)
            assert question["reason"] == "forecast"
            assert text(screen, "#quiz-at").startswith("Quiz for the exam")
            assert any(n.message.startswith("Aimed at your exam") for n in app._notifications)

    run(with_a_date)
