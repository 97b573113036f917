"""The Exam screen (F7) driven like a learner would, over the real tutor, the indexed project
corpus and its shipped blueprint: Coverage lists what to add first, then each section and
objective with its passages and the learner's mastery; Readiness asks for an exam date,
then forecasts for the one saved in Settings; without a blueprint both say so in a line."""

from __future__ import annotations

import io
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent

from tests.tui.pilot import run, until
from tests.tui.test_progress_screen import answer
from tutor.config import PROJECT_CORPUS, Settings, config_path
from tutor.learner.coverage import read_coverage, shown_mastery
from tutor.learner.exam_forecast import read_readiness
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.screens.exam import ExamScreen
from tutor.tui.widgets.exam_coverage import CoverageView
from tutor.tui.widgets.exam_readiness import NO_EXAM_DATE, ReadinessView
from tutor.tui.widgets.exam_text import NO_BLUEPRINT

SIZE = (100, 32)
AHEAD = date.today() + timedelta(days=30)
EXAM = "Databricks Certified Generative AI Engineer Associate"


def plain(widget: Static, width: int = SIZE[0]) -> str:
    """A line of the view as the learner reads it (tables rendered to text)."""
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def shown(view: CoverageView | ReadinessView) -> dict[str, str]:
    """The view's lines on show, by id (the message line as "message")."""
    return {
        widget.id or "message": plain(widget) for widget in view.query(Static) if widget.display
    }


async def open_exam(pilot: Pilot, reads: int = 1) -> ExamScreen:
    """F7, then wait until both views show a read of the record."""
    await until(pilot, lambda: pilot.app.services is not None)
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(pilot.app.screen, ExamScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ExamScreen)
    await until(pilot, lambda: min(screen.reads.values()) >= reads)
    return screen


async def shown_again(pilot: Pilot, screen: ExamScreen) -> None:
    """Away to the chat and back: both views read afresh."""
    before = dict(screen.reads)
    await pilot.press("f2")
    await pilot.press("f7")
    await until(pilot, lambda: all(screen.reads[k] > v for k, v in before.items()))


def test_coverage_lists_what_to_add_first_then_sections_and_objectives(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_exam(pilot)
            view = screen.query_one(CoverageView)
            assert app.focused is view and screen.query_one(TabbedContent).active == "coverage"
            report = read_coverage(Settings(), "default")
            assert report is not None
            lines = shown(view)
            assert "message" not in lines and "coverage-note" not in lines  # indexed, current
            assert lines["coverage-facts"] == (f"{EXAM}: 45 questions in 90 minutes, pass mark 70%")
            objectives = [o for s in report.sections for o in s.objectives]
            covered = sum(1 for o in objectives if o.passages)
            assert lines["coverage-share"] == (
                f"Your material covers {report.covered_weight:.0%} of the exam's weight"
                f" ({covered} of 56 objectives)."
            )
            # What to add comes first: the uncovered objectives, heaviest section first.
            uncovered = report.uncovered
            assert uncovered, "the shipped guide leaves objectives uncovered"
            assert lines["coverage-add-heading"] == "Add material on:"
            starts = [line.split()[0] for line in lines["coverage-add"].splitlines()]
            assert [oid for oid in starts if "." in oid] == [o.id for o in uncovered]
            order = list(lines)
            assert order.index("coverage-add") < order.index("coverage-table")
            # Then every section (its weight) and objective: passages, mastery "—" unknown.
            table = lines["coverage-table"]
            assert table.splitlines()[0].split() == [
                "Section", "/", "objective", "Weight", "Passages", "Mastery",
            ]  # fmt: skip
            design = next(line for line in table.splitlines() if "Design Applications" in line)
            assert design.split()[-3:] == ["14%", str(report.sections[0].passages), "—"]
            prompt = next(line for line in table.splitlines() if line.strip().startswith("1.1 "))
            assert prompt.split()[-2:] == [str(objectives[0].passages), "—"]

            # Answers on prompt engineering give objective 1.1 a mastery, shown when back.
            store = app.services.store
            for n in range(3):
                answer(store, "default", "prompt-engineering", n, True, time.time())
            await shown_again(pilot, screen)
            table = plain(view.query_one("#coverage-table", Static))
            prompt = next(line for line in table.splitlines() if line.strip().startswith("1.1 "))
            after = read_coverage(Settings(), "default")
            mastery = shown_mastery(after.sections[0].objectives[0].mastery)
            assert mastery is not None and prompt.split()[-1] == f"{mastery:.0%}"

    run(scenario)


def test_readiness_asks_for_a_date_then_forecasts_for_the_one_saved_in_settings(
    data_dir: Path,
) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_exam(pilot)
            await pilot.press("r")
            view = screen.query_one(ReadinessView)
            assert screen.query_one(TabbedContent).active == "readiness"
            assert app.focused is view
            assert shown(view) == {"message": NO_EXAM_DATE}

            # The date saved in Settings (F6) is the one forecast for.
            await pilot.press("f6")
            await until(pilot, lambda: app.screen.query("#exam-date"))
            app.screen.query_one("#exam-date", Input).focus()
            await pilot.press(*AHEAD.isoformat(), "ctrl+s")
            await until(pilot, lambda: app.services.settings.exam_date == AHEAD)
            await shown_again(pilot, screen)
            lines = shown(view)
            assert "message" not in lines
            assert lines["readiness-title"] == f"{EXAM} on {AHEAD.isoformat()} (in 30 days)"
            found = read_readiness(Settings(), "default", AHEAD)
            assert found is not None
            record, outlook = found
            assert lines["readiness-forecast"] == (
                f"Forecast score: {outlook.predicted:.0%} (90% band {outlook.low:.0%} to"
                f" {outlook.high:.0%}), pass mark 70%; chance of passing: {outlook.p_pass:.0%}"
            )
            assert lines["readiness-evidence"].startswith(
                "No answers on the exam's objectives yet: this is a typical new learner's"
            )
            table = lines["readiness-table"].splitlines()
            assert table[0].split() == ["Section", "Weight", "Forecast", "Answers"]
            weights = [line.split()[-3] for line in table[1:]]
            assert weights == ["14%", "14%", "30%", "22%", "8%", "12%"]
            assert table[3].startswith("Application Development")
            # What to study next: the objectives, each with its text.
            assert lines["readiness-next-heading"] == "Study next (raises the forecast most):"
            named = {o.id: o.text for o in record.blueprint.objectives}
            study = lines["readiness-next"]
            assert outlook.study_next and study.startswith(outlook.study_next[0])
            for oid in outlook.study_next:
                assert oid in study and named[oid].split()[0] in study
            assert "readiness-aimed" in lines

            # Back on Coverage with C.
            await pilot.press("c")
            assert screen.query_one(TabbedContent).active == "coverage"

    run(scenario)


def test_an_exam_date_that_has_passed_is_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTOR_EXAM_DATE", "2020-01-31")
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_exam(pilot)
            await pilot.press("r")
            assert shown(screen.query_one(ReadinessView)) == {
                "message": "Your exam date, 2020-01-31, has passed: set the next one in"
                " Settings (F6)."
            }
            assert not app._notifications

    run(scenario)


def test_without_a_blueprint_both_views_say_so_and_the_exam_option_keeps_its_defaults(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("topics.toml", "exam.toml"):
        shutil.copy(PROJECT_CORPUS / name, corpus / name)
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("TUTOR_EXAM_DATE", AHEAD.isoformat())
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_exam(pilot)
            assert shown(screen.query_one(CoverageView)) == {"message": NO_BLUEPRINT}
            assert shown(screen.query_one(ReadinessView)) == {"message": NO_BLUEPRINT}
            assert NO_BLUEPRINT.startswith("No exam blueprint: add blueprint.toml")
            await pilot.press("f3")
            setup = app.screen.query_one("QuizSetup")
            await until(pilot, lambda: setup.query_one("#setup-wait").display is False)
            await pilot.pause(0.5)
            assert setup.query_one("#setup-exam-n", Input).value == "20"
            assert setup.query_one("#setup-minutes", Input).value == "30"
            assert ":exam" not in [value for _, value in setup.query_one("#setup-topic")._options]
            assert not app._notifications and app.is_running

    run(scenario)


def test_coverage_and_readiness_from_the_palette(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def command(pilot: Pilot, name: str) -> None:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(Input).value = name
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None)
            await command(pilot, "Readiness")
            await until(pilot, lambda: isinstance(app.screen, ExamScreen))
            await until(pilot, lambda: app.screen.query_one(TabbedContent).active == "readiness")
            assert app.title == "Exam" and "F7" not in app.sub_title
            assert "F6 Settings" in app.sub_title
            await command(pilot, "Coverage")
            await until(pilot, lambda: app.screen.query_one(TabbedContent).active == "coverage")
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Exam: Coverage", "Exam: Readiness", "Exam"} <= titles
        assert not config_path().exists()  # nothing here writes

    run(scenario)
