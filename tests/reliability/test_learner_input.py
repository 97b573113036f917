"""What a learner types, at its worst, through the real CLI over the real index: empty and
blank questions, pastes at and far past the limit, terminal escape sequences (clear
screen, OSC 8 links, window titles, bells) that must never reach the terminal raw, and
quiz answers in the wrong form. `tests/cli/test_ask_cli.py` already covers a
blank argument, a 100 KB paste on stdin and escapes in an offline answer; this file adds
the rest, and marks as expected failures what needs a change outside its reach."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from tutor.cli import app
from tutor.cli.chat import MAX_QUESTION_CHARS
from tutor.quiz.bank import QuestionBank
from tutor.quiz.grading import MAX_GIVEN_CHARS, answer_problem, grade_answer
from tutor.quiz.questions import Question

ESCAPES = {
    "clear screen": "\x1b[2J\x1b[H",
    "OSC 8 link": "\x1b]8;;http://example.invalid/\x07click\x1b]8;;\x07",
    "window title": "\x1b]0;pwned\x1b\\",
    "bell": "\x07\x07",
    "8-bit CSI": "\x9b31m",
    "backspaces": "\x08\x08\x08",
}
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
QUESTION = "What is few-shot prompting?"


_BANKS: dict[tuple[str, ...], QuestionBank] = {}


@pytest.fixture
def quiz_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`home`, with the offline question bank built once for this module: every CLI run
    would build the same bank from the same index again (about 10 s of embedding)."""
    build = QuestionBank.build.__func__

    def cached(cls, records, topics, embed=None):
        records = list(records)
        key = tuple(sorted(r.chunk_id if hasattr(r, "chunk_id") else r.id for r in records))
        if key not in _BANKS:
            _BANKS[key] = build(cls, records, topics, embed)
        return _BANKS[key]

    monkeypatch.setattr(QuestionBank, "build", classmethod(cached))
    return home


def nothing_raw(*outputs: str) -> bool:
    return not any(RAW.search(output) for output in outputs)


def answers(home: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(home / "learner.sqlite") as db:
        return db.execute("SELECT given, correct FROM answers ORDER BY at").fetchall()


def graded_lines(stdout: str) -> tuple[list[dict], dict]:
    *graded, final = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return graded, final["summary"]


# --- tutor ask --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["ask", ""], None),
        (["ask", "-"], ""),
        (["ask", "-"], " \n\t\r\n  \n"),
        (["ask", "\n\n", "--json"], None),
    ],
    ids=["empty-argument", "empty-stdin", "blank-stdin", "newlines-json"],
)
def test_an_empty_question_is_one_line(runner, args, stdin) -> None:
    result = runner.invoke(app, args, input=stdin)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: the question is empty\n"


def test_a_100kb_argument_is_refused_at_once(runner) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["ask", "word " * 20_000])

    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: the question is 100,000 characters; the limit is 20,000\n"
    assert time.monotonic() - started < 2  # refused before any model is loaded


def test_a_paste_just_under_the_limit_is_answered_in_bounded_time(runner, home) -> None:
    words = "How do embeddings, chunking and vector search retrieve passages for RAG? "
    paste = (words * (MAX_QUESTION_CHARS // len(words)))[:MAX_QUESTION_CHARS]
    started = time.monotonic()

    result = runner.invoke(app, ["ask", "-", "--offline", "--json"], input=paste)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sources"]
    assert time.monotonic() - started < 30


def test_escape_sequences_in_a_question_never_come_back_raw(runner, home) -> None:
    question = "What is {}few-shot {}prompting{}?".format(*ESCAPES.values())

    text = runner.invoke(app, ["ask", question, "--offline"])
    piped = runner.invoke(app, ["ask", "-", "--offline", "--json"], input=question)
    listed = runner.invoke(app, ["sessions"])

    assert text.exit_code == 0 and piped.exit_code == 0, text.output + piped.output
    assert json.loads(piped.stdout)["answer"]
    assert nothing_raw(text.stdout, text.stderr, piped.stdout, piped.stderr, listed.stdout)


def test_escape_sequences_are_removed_whole_from_a_question(runner, home) -> None:
    question = "What is {}few-shot {}prompting?".format(
        ESCAPES["clear screen"], ESCAPES["8-bit CSI"]
    )

    result = runner.invoke(app, ["ask", question, "--offline", "--json"])

    assert json.loads(result.stdout)["topics"] == ["prompt-engineering"]
    listed = json.loads(runner.invoke(app, ["sessions", "--json"]).stdout)
    assert listed[0]["title"] == QUESTION


@pytest.mark.parametrize(
    "args",
    [
        ["ask", QUESTION, "--offline", "--session", "\x1b[2J\x1b]0;pwned\x07"],
        ["ask", QUESTION, "--offline", "--session", "[/x]"],
        ["quiz", "--offline", "--topic", "\x1b]8;;http://example.invalid/\x07rlhf"],
        ["quiz", "--offline", "--kind", "[/x]"],
    ],
    ids=["session-escapes", "session-markup", "topic-escapes", "kind-markup"],
)
def test_what_the_learner_typed_is_echoed_harmlessly_in_errors(runner, home, args) -> None:
    result = runner.invoke(app, args, input="")

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert nothing_raw(result.stderr.rstrip("\n"))


# --- tutor quiz: answers in the wrong form ----------------------------------------------


def test_wrong_form_answers_are_asked_again_and_answers_stored_clean(runner, quiz_home) -> None:
    """Multiple choice answered with "7", a 10 KB paste, a superscript two and 5,000 digits
    (both of which crashed the grader: int() refuses them) is asked again, without a crash;
    an arrow key typed into the answer and an OSC 8 link around a letter leave no trace in
    the store."""
    wrong_form = ["7", "x" * 10_000, "\u00b2", "9" * 5_000]
    typed = [
        wrong_form[0],
        "B\x1b[D",
        *wrong_form[1:],
        "\x1b]8;;http://example.invalid/\x07A\x1b]8;;\x07",
    ]

    result = runner.invoke(
        app, ["quiz", "--n", "2", "--kind", "mc", "--offline", "--json"], input="\n".join(typed)
    )

    assert result.exit_code == 0, result.output
    assert nothing_raw(result.stdout, result.stderr)
    graded, summary = graded_lines(result.stdout)
    assert summary["asked"] == 2
    given = [g["answer_given"] for g in graded]
    assert given[0] == graded[0]["options"][1]  # read as B, the arrow key left no trace
    assert given[1] == graded[1]["options"][0]  # the link's text, A
    stored = answers(quiz_home)
    assert [g for g, _ in stored] == given
    assert [bool(c) for _, c in stored] == [g["correct"] for g in graded]
    asked_again = "answer with a letter A-D, a number 1-4 or the option"
    assert result.stderr.count(asked_again) == len(wrong_form)


def test_true_false_answers_with_escapes_in_a_text_quiz(runner, quiz_home) -> None:
    """Shown as text (questions and feedback on stdout): "maybe" is asked again, escape
    sequences typed with an answer neither reach the terminal nor the store."""
    typed = [
        "maybe",
        "T\x1b[D",
        "no \x07",
        "True" + ESCAPES["clear screen"],
        "True" + ESCAPES["window title"],
        "True" + ESCAPES["8-bit CSI"] + ESCAPES["backspaces"],
    ]

    result = runner.invoke(
        app,
        ["quiz", "--n", str(len(typed) - 1), "--kind", "tf", "--offline"],
        input="\n".join(typed),
    )

    assert result.exit_code == 0, result.output
    assert nothing_raw(result.stdout, result.stderr)
    assert result.stdout.split("Score: ")[1].split("\n")[0].endswith(f" of {len(typed) - 1}")
    assert "answer True or False" in result.stderr
    stored = answers(quiz_home)
    assert [given for given, _ in stored] == ["True", "False", "True", "True", "True"]


def test_short_answers_in_the_wrong_form_and_a_100kb_line(runner, quiz_home) -> None:
    started = time.monotonic()
    result = runner.invoke(
        app,
        ["quiz", "--n", "2", "--kind", "short", "--offline", "--json"],
        input="B\n\t\n" + "retrieval augmented generation " * 3_300 + "\n",
    )

    assert result.exit_code == 0, result.output
    graded, _ = graded_lines(result.stdout)
    assert graded[0]["answer_given"] == "B"  # a wrong answer, in the right form
    assert len(graded[1]["answer_given"]) == MAX_GIVEN_CHARS
    assert not any(g["correct"] for g in graded)
    assert [len(g) for g, _ in answers(quiz_home)] == [1, MAX_GIVEN_CHARS]
    assert result.stderr.count("type an answer") == 1  # the tab was asked again
    assert time.monotonic() - started < 30


def test_an_answer_in_the_wrong_form_is_asked_again(runner, quiz_home) -> None:
    # A mixed offline quiz asks multiple choice, then true/false.
    typed = "\n  \n7\nB\nmaybe\nFalse\n"

    result = runner.invoke(
        app, ["quiz", "--n", "2", "--kind", "mixed", "--offline", "--json"], input=typed
    )

    assert result.exit_code == 0, result.output
    graded, _ = graded_lines(result.stdout)
    assert [g["answer_given"] for g in graded] == [graded[0]["options"][1], "False"]
    assert len(answers(quiz_home)) == 2
    assert "answer with a letter A-D" in result.stderr and "answer True or False" in result.stderr


def test_input_ending_on_answers_in_the_wrong_form_ends_the_quiz(runner, quiz_home) -> None:
    """Asked again after a slip, the learner closes the input instead: the quiz stops as
    at any end of input, with nothing graded, rather than waiting for a line forever."""
    started = time.monotonic()
    result = runner.invoke(
        app, ["quiz", "--n", "2", "--kind", "mc", "--offline", "--json"], input="7\n\nmaybe"
    )

    assert result.exit_code == 0, result.output
    graded, summary = graded_lines(result.stdout)
    assert graded == [] and summary["asked"] == 0
    assert answers(quiz_home) == []
    assert result.stderr.count("type an answer") == 1
    assert result.stderr.count("answer with a letter A-D") == 2
    assert time.monotonic() - started < 30


# --- the grading rules these rely on ----------------------------------------------------

CLOZE = Question(
    kind="cloze",
    prompt="_____ governs access to data and models across workspaces.",
    answer="Unity Catalog",
    explanation="The material says Unity Catalog enforces governance.",
    topic="unity-catalog-governance",
    chunk_id="c1",
    source="guide.md § Governance (line 3)",
)
MC = CLOZE.model_copy(
    update={
        "kind": "mc",
        "prompt": "Which tool governs access to data and models?",
        "options": ["MLflow", "Unity Catalog", "Delta Lake", "Vector Search"],
    }
)


def test_a_paste_that_contains_the_key_does_not_score() -> None:
    every_option = "MLflow, Unity Catalog, Delta Lake, Vector Search, " * 200
    assert grade_answer("it's Unity Catalog, I think", CLOZE).correct
    graded = grade_answer(every_option, CLOZE)
    assert not graded.correct and len(graded.given) == MAX_GIVEN_CHARS


@pytest.mark.parametrize(
    ("reply", "kind", "problem"),
    [
        ("", "mc", "type an answer"),
        (" \t\x1b[D ", "short", "type an answer"),
        ("7", "mc", "answer with a letter A-D, a number 1-4 or the option"),
        ("maybe", "tf", "answer True or False (or T/F, yes/no)"),
        ("B", "mc", None),
        ("b)", "mc", None),
        ("delta lake", "mc", None),
        ("\u00b2", "mc", "answer with a letter A-D, a number 1-4 or the option"),
        ("9" * 5_000, "mc", "answer with a letter A-D, a number 1-4 or the option"),
        ("B", "short", None),  # a letter is a (wrong) short answer, not a slip
        ("x" * 10_000, "short", None),
    ],
)
def test_answer_problem_names_the_form_wanted(reply, kind, problem) -> None:
    options = {"mc": MC.options, "tf": ["True", "False"], "short": []}[kind]
    assert answer_problem(reply, kind, options) == problem
