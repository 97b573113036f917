"""The progress screen (F4) driven like a learner would, over the real tutor on the indexed
project corpus: answers recorded through the real learner store show up in the table, the
reviews line and the plot."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey
from textual_plotext import PlotextPlot

from tests.tui.pilot import run, until
from tutor.config import Settings
from tutor.learner.mastery import DAY, estimate
from tutor.learner.records import GradedAnswer, LearnerEvent
from tutor.learner.scheduling import rating_for, when_due
from tutor.learner.store import LearnerStore
from tutor.quiz.questions import Question
from tutor.runtime.chat import TutorChat
from tutor.tui.app import TutorApp
from tutor.tui.screens.progress import ProgressScreen
from tutor.tui.widgets.progress_plot import MasteryPlot, day_label, tick_positions, y_range
from tutor.tui.widgets.progress_reviews import ReviewsDue
from tutor.tui.widgets.progress_table import MasteryTable, mastery_bar

SIZE = (110, 32)
RLHF, RAG, PROMPTS = "rlhf", "retrieval-augmented-generation", "prompt-engineering"


def progress(app: TutorApp) -> ProgressScreen:
    screen = app.screen
    assert isinstance(screen, ProgressScreen)
    return screen


async def open_progress(pilot: Pilot) -> ProgressScreen:
    """F4, then wait for the first read of the learner store to be on screen."""
    await until(pilot, lambda: pilot.app.services is not None)
    await pilot.press("f4")
    screen = progress(pilot.app)
    await until(pilot, lambda: screen.report is not None)
    return screen


async def refreshed(pilot: Pilot, screen: ProgressScreen, *keys: str) -> None:
    """Press `keys` and wait for a read of the store newer than the one on show."""
    before = screen.report.now if screen.report else 0.0
    await pilot.press(*keys)
    await until(pilot, lambda: screen.report is not None and screen.report.now > before)


def table_rows(screen: ProgressScreen) -> dict[str, list[str]]:
    """The table as shown: topic id -> the plain text of its cells."""
    table = screen.query_one(MasteryTable)
    rows = {}
    for index in range(table.row_count):
        key = table.coordinate_to_cell_key((index, 0)).row_key.value
        rows[key] = [str(cell) for cell in table.get_row_at(index)]
    return rows


def row_order(screen: ProgressScreen) -> list[str]:
    return list(table_rows(screen))


def text(widget: Static) -> str:
    return str(widget.render())


def question(topic: str, n: int) -> Question:
    return Question(
        kind="cloze",
        prompt=f"A question on {topic} _____ ({n}).",
        answer="feedback",
        explanation="The material says so.",
        topic=topic,
        chunk_id=f"chunk-{topic}-{n}",
        source="guide.md",
    )


def answer(store: LearnerStore, learner: str, topic: str, n: int, right: bool, at: float) -> None:
    """A graded quiz answer, recorded as the quiz records it (event + review card)."""
    store.record_answer(
        GradedAnswer(
            learner=learner,
            question=question(topic, n),
            given="feedback" if right else "reward",
            correct=right,
            rating=rating_for(right),
            at=at,
            key=f"test:{learner}:{topic}:{n}:{at}",
            session="quiz-test",
        )
    )


def record_history(store: LearnerStore, learner: str, now: float) -> None:
    """Three days of study: RLHF right twice, RAG asked about then wrong, prompts right."""
    answer(store, learner, RLHF, 1, True, now - 3 * DAY)
    answer(store, learner, RLHF, 2, True, now - DAY)
    store.record(LearnerEvent(learner, RAG, "asked", now - 2 * DAY, key=f"{learner}-ask"))
    answer(store, learner, RAG, 3, False, now - 2 * 3600)
    answer(store, learner, PROMPTS, 4, True, now)  # due again in ten minutes


def test_a_fresh_learner_sees_every_topic_at_the_prior_and_no_history(data_dir: Path) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot)
            topics = app.services.chat.context.topics.topics
            rows = table_rows(screen)
            # All equal, so "weakest first" keeps the map's order.
            assert list(rows) == [t.id for t in topics]
            for _title, bar, review, evidence in rows.values():
                assert bar == mastery_bar(0.5) and bar.endswith(" 50%")
                assert (review, evidence) == ("", "not started")
            assert rows[RLHF][0] == "Reinforcement Learning with Human Feedback (RLHF)"
            plot = screen.query_one(MasteryPlot)
            assert not plot.has_plot and plot.points == []
            assert "No history yet" in text(plot.query_one("#no-history", Static))
            assert "No reviews scheduled yet" in text(screen.query_one(ReviewsDue))
            assert str(screen.query_one(MasteryPlot).border_title).startswith("default: ")
            assert isinstance(app.focused, MasteryTable)

    run(scenario)


def test_answers_change_the_table_reviews_and_plot(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot)
            store, learner = app.services.store, app.services.learner
            record_history(store, learner, time.time())
            await refreshed(pilot, screen, "r")
            report = screen.report
            assert report is not None
            rows = table_rows(screen)
            events = {t: store.events(learner, t) for t in (RLHF, RAG, PROMPTS)}
            rlhf = estimate(events[RLHF], report.now).mastery
            rag = estimate(events[RAG], report.now).mastery
            assert rows[RLHF][1] == mastery_bar(rlhf) and rlhf > 0.7
            assert rows[RAG][1] == mastery_bar(rag) and rag < 0.4
            assert rows[RLHF][3] == "2 of 2 checks right, last seen yesterday"
            assert rows[RAG][3] == "1 of 1 checks wrong, last seen today"
            assert rows[PROMPTS][3] == "1 of 1 checks right, last seen today"
            # Weakest first: the shaky topic leads, the twice-right one closes the topics
            # with evidence; the topics not started come after them.
            order = row_order(screen)
            assert order[0] == RAG and order[2] == RLHF and set(order[:3]) == {RAG, PROMPTS, RLHF}
            assert all(rows[topic][3] == "not started" for topic in order[3:])
            # Reviews: both RLHF questions and the wrong RAG answer are due; prompts soon.
            assert (rows[RLHF][2], rows[RAG][2]) == ("2 due", "1 due")
            assert rows[PROMPTS][2].startswith("in ") and rows[PROMPTS][2].endswith(" min")
            reviews = text(screen.query_one(ReviewsDue))
            assert reviews.startswith("Reviews due now: 3 questions in 2 topics")
            assert "Next: Prompt Engineering, in " in reviews
            # The refresh kept the topic highlighted before it; its row is shown whole below.
            detail = text(screen.query_one("#detail", Static))
            assert detail == (
                "Exam Overview, Logistics and Preparation Strategy: 50%, not started;"
                " no reviews scheduled."
            )
            await pilot.press("ctrl+home")
            detail = text(screen.query_one("#detail", Static))
            assert detail.startswith("Retrieval-Augmented Generation and Vector Search: ")
            assert detail.endswith("1 of 1 checks wrong, last seen today; 1 review due now.")
            await pilot.press("down")
            detail = text(screen.query_one("#detail", Static))
            assert detail.startswith(report.row(row_order(screen)[1]).title)

            # The plot: one point per day since the first answer, each the replay of the
            # events before that day's end through the real estimate.
            plot = screen.query_one(MasteryPlot)
            assert plot.has_plot
            points = plot.points
            first = datetime.fromtimestamp(events[RLHF][0].at).date()
            today = datetime.fromtimestamp(report.now).date()
            assert [p.day for p in points] == [
                first + timedelta(days=i) for i in range((today - first).days + 1)
            ]
            topics = [row.topic for row in report.rows]
            every = store.events(learner)
            for point in points[:-1]:
                before = [e for e in every if e.at < point.at]
                expected = sum(
                    estimate([e for e in before if e.topic == t], point.at).mastery for t in topics
                ) / len(topics)
                assert point.mastery == pytest.approx(expected)
                assert datetime.fromtimestamp(point.at).date() == point.day + timedelta(days=1)
            # Today's point is the mean of the table's own estimates.
            table_mean = sum(row.mastery.mastery for row in report.rows) / len(report.rows)
            assert points[-1].mastery == pytest.approx(table_mean) and points[-1].at == report.now
            assert plot.series == (
                list(range(len(points))),
                [round(p.mastery * 100, 1) for p in points],
            )
            assert sum(p.right for p in points) == 3 and sum(p.wrong for p in points) == 1
            rendered = str(plot.query_one(PlotextPlot).render())
            assert day_label(first) in rendered and day_label(today) in rendered
            assert "mean mastery over 15 topics (%)" in str(plot.border_title)

            # O: map order and back; the highlighted topic stays highlighted.
            highlighted = screen.query_one(MasteryTable).highlighted
            await pilot.press("o")
            assert row_order(screen) == topics
            assert str(screen.query_one(MasteryTable).columns["topic"].label) == "Map order"
            assert screen.query_one(MasteryTable).highlighted == highlighted
            await pilot.press("o")
            assert row_order(screen)[0] == RAG

            # An answer given elsewhere shows when the screen is shown again.
            await pilot.press("f2")
            answer(store, learner, RAG, 5, True, time.time())
            await refreshed(pilot, screen, "f4")  # shown again: read again
            rows = table_rows(screen)
            assert rows[RAG][3] == "1 of 2 checks wrong, last seen today"
            now = screen.report.now
            assert rows[RAG][1] == mastery_bar(estimate(store.events(learner, RAG), now).mastery)
            assert screen.report.due_total == 3

    run(scenario)


def test_switching_learner_shows_their_progress(data_dir: Path) -> None:
    with LearnerStore.open(Settings()) as store:
        record_history(store, "bob", time.time())
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot)
            assert screen.report.learner == "default" and not screen.report.history
            app.apply_settings(Settings(learner="bob", offline=True))  # as Settings saves
            await until(pilot, lambda: screen.report.learner == "bob")
            assert str(screen.query_one(MasteryPlot).border_title).startswith("bob: ")
            assert table_rows(screen)[RLHF][3] == "2 of 2 checks right, last seen yesterday"
            assert screen.query_one(MasteryPlot).has_plot

    run(scenario)


def test_a_failed_read_is_a_notification_not_a_crash(data_dir: Path) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot)
            chat.store.close()
            await pilot.press("r")
            await until(pilot, lambda: bool(app._notifications))
            [note] = app._notifications
            assert note.severity == "error" and note.message == "the learner store is closed"
            assert app.is_running and screen.query_one(MasteryTable).row_count == 15

    run(scenario)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_the_screen_fits_80_by_24_in_both_themes(data_dir: Path, theme: str) -> None:
    chat = TutorChat.open(Settings(), offline=True)
    record_history(chat.store, chat.context.learner_name, time.time())
    app = TutorApp(chat=chat)

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            app.theme = theme
            screen = await open_progress(pilot)
            await pilot.pause()
            region = screen.region
            table = screen.query_one(MasteryTable)
            plot = screen.query_one(PlotextPlot)
            for widget in (screen.query_one(ReviewsDue), table, screen.query_one("#detail"), plot):
                assert widget.region.area > 0 and region.contains_region(widget.region)
            assert table.region.height >= 6 and plot.region.height >= 7
            # The columns fit the width: nothing to scroll sideways.
            assert table.virtual_size.width <= table.scrollable_content_region.width
            keys = {key.key: key.description for key in screen.query_one(Footer).query(FooterKey)}
            assert keys.get("r") == "Refresh" and "o" in keys
            # Down past the visible rows scrolls the table to the last topic.
            for _ in range(15):
                await pilot.press("down")
            assert table.cursor_row == 14 and table.scroll_y > 0
            # Wider, the evidence gets room to show whole.
            reason = "2 of 2 checks right, last seen yesterday"
            assert table.columns["evidence"].width < len(reason)
            await pilot.resize_terminal(130, 30)
            await until(pilot, lambda: table.columns["evidence"].width >= len(reason))
            assert table.virtual_size.width <= table.scrollable_content_region.width

    run(scenario)


def test_snapshot_of_a_fresh_learner(data_dir: Path, snap_compare: Callable[..., bool]) -> None:
    app = TutorApp(chat=TutorChat.open(Settings(), offline=True))

    async def show_progress(pilot: Pilot) -> None:
        await open_progress(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show_progress)


def test_the_small_formatters() -> None:
    now = 1_750_000_000.0
    assert mastery_bar(0.5) == "████░░░░  50%" and mastery_bar(1.0) == "████████ 100%"
    assert [when_due(at, now) for at in (None, now - 5, now + 90, now + 5 * 3600)] == [
        "",
        "due now",
        "in 2 min",
        "in 5 h",
    ]
    assert when_due(now + 3 * DAY, now) == "in 3 days"
    # The y-axis hugs the data in steps of 5 with room around it, within 0-100.
    assert y_range([48.2, 51.3]) == (40, 60) and y_range([0.0, 100.0]) == (0, 100)
    assert tick_positions(4) == [0, 1, 2, 3]
    ticks = tick_positions(90)
    assert len(ticks) == 6 and ticks[0] == 0 and ticks[-1] == 89
