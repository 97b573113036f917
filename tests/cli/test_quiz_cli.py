"""`tutor quiz`, `tutor exam` and `tutor export anki` end to end, piped, offline and
against the fake Ollama server."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from contextlib import closing

import pytest

from tests.fake_ollama import FakeOllama
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.exam import load_exam

GRADED_KEYS = {
    "topic", "kind", "question", "options", "answer_given", "correct", "key", "source", "reason",
}  # fmt: skip


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_piped_offline_quiz_json(runner, home) -> None:
    result = runner.invoke(app, ["quiz", "--n", "3", "--offline", "--json"], input="B\nTrue\nx\n")
    assert result.exit_code == 0, result.output
    *graded, final = lines(result.stdout)
    assert len(graded) == 3 and all(set(g) == GRADED_KEYS for g in graded)
    assert [g["kind"] for g in graded] == ["mc", "tf", "cloze"]
    assert graded[1]["answer_given"] == "True"
    assert all(g["reason"] and "\n" not in g["reason"] for g in graded)  # one line each
    assert final["summary"]["asked"] == 3
    assert final["summary"]["correct"] == sum(g["correct"] for g in graded)
    assert "Question 1 of 3" in result.stderr  # questions go to stderr with --json

    progress = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert sum(r["attempts"] for r in progress) == 3
    quizzed = {g["topic"] for g in graded}
    assert all(r["next_review"] for r in progress if r["topic"] in quizzed)


def test_text_quiz_shows_feedback_and_a_score(runner, home) -> None:
    result = runner.invoke(
        app, ["quiz", "--n", "2", "--kind", "tf", "--offline"], input="True\nFalse\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Source: ") == 2
    assert "Right." in result.stdout or "Not quite." in result.stdout
    assert "Score: " in result.stdout and " of 2" in result.stdout


def test_input_ending_early_ends_the_quiz_with_a_summary(runner, home) -> None:
    result = runner.invoke(app, ["quiz", "--n", "4", "--offline", "--json"], input="A\n")
    assert result.exit_code == 0
    *graded, final = lines(result.stdout)
    assert len(graded) == 1 and final["summary"]["ended"] == "stopped"


def test_exam_gives_no_feedback_until_the_end(runner, home) -> None:
    result = runner.invoke(app, ["exam", "--n", "4", "--offline"], input="A\nTrue\nx\nB\n")
    assert result.exit_code == 0, result.output
    before_score = result.stdout.split("Score:")[0]
    assert "Right." not in before_score and "Not quite." not in before_score
    assert "Score: " in result.stdout


def test_bad_options_are_one_line(runner, home) -> None:
    bad_topic = runner.invoke(app, ["quiz", "--topic", "cooking", "--offline"], input="")
    assert bad_topic.exit_code == 1 and "no topic 'cooking'" in bad_topic.stderr
    bad_kind = runner.invoke(app, ["quiz", "--kind", "essay", "--offline"], input="")
    assert bad_kind.exit_code == 1 and "--kind must be one of" in bad_kind.stderr


def test_anki_export_tags_missed_questions(runner, home, tmp_path) -> None:
    empty = runner.invoke(app, ["export", "anki", str(tmp_path / "none.apkg")])
    assert empty.exit_code == 1 and "no answered questions yet" in empty.stderr
    runner.invoke(app, ["quiz", "--n", "2", "--kind", "tf", "--offline"], input="True\nTrue\n")
    deck = tmp_path / "deck.apkg"
    result = runner.invoke(app, ["export", "anki", str(deck)])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 questions" in result.stdout
    with zipfile.ZipFile(deck) as package:
        (collection,) = [n for n in package.namelist() if n.startswith("collection")]
        package.extract(collection, tmp_path)
    with closing(sqlite3.connect(tmp_path / collection)) as db:
        (decks,) = db.execute("SELECT decks FROM col").fetchone()
    # The deck is named after the exam in the corpus folder's exam.toml.
    exam = load_exam(Settings().exam_path)
    names = {deck["name"] for deck in json.loads(decks).values()}
    assert f"{exam.short_name} (study tutor)" in names


def test_model_questions_use_ollama_structured_output(runner, home, fake_ollama: FakeOllama):
    made = {
        "question": "Which technique aligns model outputs with human preferences?",
        "options": ["RLHF", "PCA", "k-means", "Q-learning"],
        "answer": "RLHF",
        "explanation": "The passage says RLHF aligns outputs with human values.",
    }
    fake_ollama.serve_chat(json.dumps(made), chunk_words=False, once=True)
    fake_ollama.serve_chat(json.dumps({"supported": True, "reason": "stated"}), chunk_words=False)
    result = runner.invoke(
        app, ["quiz", "--n", "1", "--kind", "mc", "--topic", "rlhf", "--json"], input="A\n"
    )
    assert result.exit_code == 0, result.output
    graded, final = lines(result.stdout)
    assert graded["question"] == made["question"] and graded["correct"] is True
    generate, verify = fake_ollama.chat_requests()[:2]
    assert generate["format"]["properties"].keys() >= {"question", "options", "answer"}
    assert verify["format"]["properties"].keys() >= {"supported"}
    assert final["summary"]["fallbacks"] == 0
    assert final["summary"]["made_offline"] == 0 and final["summary"]["offline_notice"] is None


def test_an_interrupted_quiz_resumes_where_it_stopped(runner, home) -> None:
    first = runner.invoke(
        app, ["quiz", "--n", "3", "--kind", "tf", "--offline", "--json"], input="True\n"
    )
    *graded, final = lines(first.stdout)
    assert len(graded) == 1 and final["summary"]["ended"] == "stopped"
    # Input ended, so that quiz was closed; a quiz left waiting (e.g. a closed terminal)
    # is simulated by starting one and leaving it at its first question.
    from tutor.runtime.quiz_session import QuizSession

    session = QuizSession.open(Settings(), offline=True)
    waiting = session.start(n=2, kind="tf")
    session.close()

    resumed = runner.invoke(app, ["quiz", "--resume", "--offline", "--json"], input="True\nFalse\n")
    assert resumed.exit_code == 0, resumed.output
    *graded, final = lines(resumed.stdout)
    assert graded[0]["question"] == waiting.question["question"]
    assert len(graded) == 2 and final["summary"]["asked"] == 2
    again = runner.invoke(app, ["quiz", "--resume", "--offline"], input="")
    assert again.exit_code == 1 and "no unfinished quiz" in again.stderr
    listed = json.loads(runner.invoke(app, ["sessions", "--json"]).stdout)
    assert {s["mode"] for s in listed} == {"quiz"}


def test_an_exam_stops_when_time_is_up(runner, home, monkeypatch) -> None:
    import tutor.cli.quiz_loop

    clock = iter([0.0, 30.0, 61.0, 200.0, 400.0])
    monkeypatch.setattr(tutor.cli.quiz_loop.time, "monotonic", lambda: next(clock))
    result = runner.invoke(
        app, ["exam", "--n", "5", "--minutes", "1", "--offline", "--json"], input="A\nA\nA\n"
    )
    assert result.exit_code == 0, result.output
    *graded, final = lines(result.stdout)
    # Answered at 30 s, the next answer came at 61 s: past the minute, not counted.
    assert len(graded) == 1 and final["summary"]["ended"] == "stopped"
    assert "Time is up." in result.stderr


def test_an_exam_in_json_prints_grades_only_after_the_last_answer(
    runner, home, monkeypatch
) -> None:
    import sys

    import tutor.cli.quiz_loop

    printed_before_answers: list[str] = []
    answers = iter(["A\n", "B\n", "C\n"])

    def read_answer() -> str:
        # What has been written so far (the runner's capture, questions included).
        sys.stdout.flush()
        printed_before_answers.append(sys.stdout.buffer.getvalue().decode())
        return next(answers)

    monkeypatch.setattr(tutor.cli.quiz_loop, "_read_answer", read_answer)
    result = runner.invoke(app, ["exam", "--n", "3", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    *graded, final = lines(result.stdout)
    assert len(graded) == 3 and final["summary"]["asked"] == 3
    assert len(printed_before_answers) == 3
    assert printed_before_answers[:3] == ["", "", ""]  # no grade shown while the exam runs


def test_confidence_marks_set_the_review_rating(runner, home) -> None:
    import sqlite3

    result = runner.invoke(
        app, ["quiz", "--n", "2", "--kind", "tf", "--offline", "--json"], input="True !\nTrue ?\n"
    )
    assert result.exit_code == 0, result.output
    *graded, _ = lines(result.stdout)
    assert [g["answer_given"] for g in graded] == ["True", "True"]
    with sqlite3.connect(home / "learner.sqlite") as db:
        rows = db.execute("SELECT correct, rating FROM answers ORDER BY at").fetchall()
    # Sure and right: Easy (4); unsure and right: Hard (2); wrong either way: Again (1).
    expected = [(1, 4) if g["correct"] else (0, 1) for g in graded[:1]]
    expected += [(1, 2) if g["correct"] else (0, 1) for g in graded[1:]]
    assert rows == expected


def test_an_answer_is_kept_when_old_checkpoints_cannot_be_pruned(home) -> None:
    import sqlite3

    from tutor.config import Settings
    from tutor.runtime.checkpoints import open_checkpointer
    from tutor.runtime.context import open_context
    from tutor.runtime.quiz_session import QuizSession

    settings = Settings()
    checkpointer = open_checkpointer(settings)
    session = QuizSession(open_context(settings, offline=True), checkpointer)
    try:
        waiting = session.start(n=2, kind="tf")

        def no_deletes(action: int, table: str | None, *_: object) -> int:
            deleting = action == sqlite3.SQLITE_DELETE and table == "checkpoints"
            return sqlite3.SQLITE_DENY if deleting else sqlite3.SQLITE_OK

        checkpointer.conn.set_authorizer(no_deletes)
        step = session.answer(waiting.quiz, "True")

        assert step.graded is not None and step.question is not None  # on to question 2
        assert session.current(waiting.quiz).question == step.question
    finally:
        session.close()


def test_text_quiz_feedback_says_why_an_answer_is_wrong(runner, home) -> None:
    result = runner.invoke(
        app, ["quiz", "--n", "1", "--kind", "short", "--offline"], input="not that one\n"
    )
    assert result.exit_code == 0, result.output
    assert "Not quite." in result.stdout
    assert "A negated answer: it says what the answer is not." in result.stdout


def learner_rows(sql: str) -> list[tuple]:
    with closing(sqlite3.connect(Settings().learner_path)) as db:
        return db.execute(sql).fetchall()


def test_a_topic_quiz_stays_on_it_and_bad_retires_the_waiting_question(runner, home) -> None:
    topic = "unsupervised-learning"
    result = runner.invoke(
        app,
        ["quiz", "--n", "2", "--kind", "short", "--topic", topic, "--offline", "--json"],
        input="!bad two terms fit the blank\nx\nx\n",
    )
    assert result.exit_code == 0, result.output
    *graded, final = lines(result.stdout)
    assert len(graded) == 2 and {g["topic"] for g in graded} == {topic}
    assert final["summary"]["retired"] == 1 and final["summary"]["asked"] == 2
    assert "is retired" in result.stderr  # with --json, said on stderr
    assert learner_rows("SELECT reason FROM retired") == [("two terms fit the blank",)]
    assert learner_rows("SELECT DISTINCT topic FROM events") == [(topic,)]
    progress = {
        r["topic"]: r for r in json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    }
    assert progress[topic]["attempts"] == 2


def test_bad_last_retires_the_question_just_graded(runner, home) -> None:
    result = runner.invoke(
        app,
        ["quiz", "--n", "2", "--kind", "short", "--topic", "reinforcement-learning", "--offline"],
        input="wrong\n!bad-last\nx\n",
    )
    assert result.exit_code == 0, result.output
    assert "The question before this one is retired" in result.stdout
    assert "Retired as bad questions: 1" in result.stdout
    assert learner_rows("SELECT count(*) FROM answers") == [(2,)]  # kept, one not counted
    assert learner_rows("SELECT count(*) FROM cards") == [(1,)]
    progress = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert sum(r["attempts"] for r in progress) == 1


def test_a_topic_that_runs_dry_ends_early_and_says_so(runner, home) -> None:
    topic = "mlflow-model-lifecycle"
    result = runner.invoke(
        app,
        ["quiz", "--n", "12", "--kind", "short", "--topic", topic, "--offline"],
        input="x\n" * 12,
    )
    assert result.exit_code == 0, result.output
    assert f"Ended early: the material has no more questions on {topic}" in result.stdout
    assert learner_rows("SELECT DISTINCT topic FROM answers") in ([], [(topic,)])


def test_progress_lists_untouched_topics_as_not_started(runner, home) -> None:
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 0 and "not started" in result.stdout
    assert "not studied" not in result.stdout


def test_an_offline_exam_stays_on_the_blueprint_and_ends_when_its_material_does(
    runner, home
) -> None:
    """The shipped study page has few facts on the exam's sections (most of it is general
    machine learning the exam does not test): a blueprint exam asks those, per section, and
    ends early saying so rather than fill up with questions off the exam."""
    result = runner.invoke(app, ["exam", "--n", "20", "--offline", "--json"], input="A\n" * 20)
    assert result.exit_code == 0, result.output
    summary = lines(result.stdout)[-1]["summary"]
    assert summary["ended"] == "no material" and 0 < summary["asked"] < 20
    assert sum(s["questions"] for s in summary["sections"]) == summary["asked"]
    assert {s["id"] for s in summary["sections"]} <= {
        "design",
        "data",
        "development",
        "deployment",
        "governance",
        "evaluation",
    }
    assert summary["pass_mark"] == 0.7


@pytest.mark.parametrize("command", ["quiz"])
def test_an_offline_mixed_quiz_is_filled_from_thin_material(runner, home, command) -> None:
    """Most topics of the shipped material give only a few questions of each kind: a mixed
    exam takes another kind where a topic has run out of one, rather than ending early."""
    result = runner.invoke(app, [command, "--n", "20", "--offline", "--json"], input="A\n" * 20)
    assert result.exit_code == 0, result.output
    *graded, final = lines(result.stdout)
    assert (final["summary"]["asked"], final["summary"]["ended"]) == (20, "done")
    assert len({g["question"] for g in graded}) == 20
