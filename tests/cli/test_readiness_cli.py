"""`tutor readiness` end to end: the issue's JSON, a fresh learner's wide band, answers
moving the forecast, the exam date saved and reused, one-line errors; and quizzes aimed at
the exam (`--for-exam`, the default once a date is saved)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.cli.conftest import answer
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.learner.exam_forecast import exam_focus
from tutor.learner.store import LearnerStore

AHEAD = (date.today() + timedelta(days=30)).isoformat()
FORECAST_KEYS = {
    "exam_date", "predicted", "low", "high", "pass_mark", "p_pass", "sections", "study_next",
}  # fmt: skip


def readiness(runner, *args: str) -> dict:
    result = runner.invoke(app, ["readiness", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def record(settings: Settings, correct: bool, learner: str = "default", n: int = 6) -> None:
    catalog = Catalog(settings.catalog_path)
    chunk = catalog.objective_chunks()["2.8"][0]
    catalog.close()
    now = time.time()
    with LearnerStore.open(settings) as store:
        for i in range(n):
            graded = answer(chunk, "retrieval-augmented-generation", correct, now - 60 + i, i)
            store.record_answer(replace(graded, learner=learner, key=f"{learner}:{i}"))


def test_the_forecast_has_the_documented_shape_and_a_fresh_learner_a_wide_band(
    runner, tiny_corpus, embedder
) -> None:
    assert runner.invoke(app, ["index"]).exit_code == 0
    report = readiness(runner, "--exam-date", AHEAD)
    assert set(report) == FORECAST_KEYS
    assert report["exam_date"] == AHEAD and report["pass_mark"] == 0.7
    assert [s["id"] for s in report["sections"]] == [
        "design", "data", "development", "deployment", "governance", "evaluation",
    ]  # fmt: skip
    assert [s["weight"] for s in report["sections"]] == [14, 14, 30, 22, 8, 12]
    for value in ("predicted", "low", "high", "p_pass"):
        assert 0.0 <= report[value] <= 1.0
    assert report["low"] <= report["predicted"] <= report["high"]
    assert report["high"] - report["low"] > 0.25  # nothing known yet: wide
    assert all(s["answers"] == 0 for s in report["sections"])
    # What to study next is what the material has passages on (re-ranking, injection).
    assert set(report["study_next"]) == {"2.8", "5.2"}


def test_right_answers_raise_the_forecast_and_wrong_ones_lower_it(
    runner, tiny_corpus, embedder
) -> None:
    runner.invoke(app, ["index"])
    settings = Settings()
    fresh = readiness(runner, "--exam-date", AHEAD)
    record(settings, correct=True)
    record(settings, correct=False, learner="bob")
    right = readiness(runner, "--exam-date", AHEAD)
    wrong = readiness(runner, "--exam-date", AHEAD, "--learner", "bob")
    assert wrong["predicted"] < fresh["predicted"] < right["predicted"]
    data = {s["id"]: s for s in right["sections"]}["data"]
    assert data["answers"] == 6
    # Having answered 2.8 well, the learner is sent to the other objective first.
    assert right["study_next"][0] == "5.2"
    later = readiness(runner, "--exam-date", (date.today() + timedelta(days=200)).isoformat())
    assert later["predicted"] <= right["predicted"]  # no more study: it does not rise


def test_the_exam_date_is_saved_and_reused_and_bad_dates_are_one_line(
    runner, tiny_corpus, embedder
) -> None:
    runner.invoke(app, ["index"])

    def error(*args: str) -> str:
        result = runner.invoke(app, ["readiness", *args])
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
        return result.stderr

    assert "no exam date: give one with --exam-date" in error()
    assert "must be a date like" in error("--exam-date", "31/01/2027")
    assert "has passed" in error("--exam-date", "2020-01-31")
    text = runner.invoke(app, ["readiness", "--exam-date", AHEAD, "--save"]).stdout
    assert "on " + AHEAD + " (in 30 days)" in text and "chance of passing" in text
    assert "Study next (raises the forecast most):" in text
    assert Settings().exam_date == date.fromisoformat(AHEAD)
    assert readiness(runner)["exam_date"] == AHEAD  # no flag: the saved date


def test_without_a_blueprint_readiness_says_so(runner, tiny_corpus) -> None:
    (tiny_corpus / "blueprint.toml").unlink()
    result = runner.invoke(app, ["readiness", "--exam-date", AHEAD])
    assert result.exit_code == 1 and "no exam blueprint" in result.stderr


def aimed_quiz(runner, *args: str) -> tuple[list[str], str]:
    """The topics of a 3-question offline quiz, and what it said on stderr (with --json,
    the questions, each with why its topic came next)."""
    result = runner.invoke(
        app, ["quiz", "--n", "3", "--offline", "--json", *args], input="A\nTrue\nx\n"
    )
    assert result.exit_code == 0, result.output
    graded = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
    return [g["topic"] for g in graded], result.stderr


@pytest.mark.parametrize("how", ["saved date", "flag"])
def test_a_quiz_aims_at_the_exam_once_a_date_is_saved_or_when_asked(runner, home, how) -> None:
    if how == "saved date":
        assert runner.invoke(app, ["readiness", "--exam-date", AHEAD, "--save"]).exit_code == 0
    args = ("--for-exam",) if how == "flag" else ()
    focus = exam_focus(Settings(), "default", date.fromisoformat(AHEAD))
    # The shipped page supports no objective, so the aim is the heaviest objectives' topics.
    assert focus.objectives and not focus.passages
    topics, said = aimed_quiz(runner, *args)
    assert len(topics) == 3 and set(topics) <= set(focus.topics)
    assert f"Aimed at your exam: objectives {', '.join(focus.objectives)}" in said
    # Each question says why its topic came next (the wording wraps at the terminal's width).
    assert " ".join(said.split()).count("(raises your exam forecast)") == 3
    # --any-topic quizzes on the weakest topics anywhere, as without a date.
    _topics, said = aimed_quiz(runner, *args, "--any-topic")
    assert "Aimed at your exam" not in said and "raises your exam forecast" not in said


def test_without_a_date_a_quiz_is_not_aimed(runner, home) -> None:
    _topics, said = aimed_quiz(runner)
    assert "Aimed at your exam" not in said and "raises your exam forecast" not in said
