"""A data dir written by the tutor of December 2026 (before its package was laid out in
layers) opens unchanged: the catalog, the learner store and the conversations' checkpoints.
A conversation goes on from its pending check question and an unfinished exam resumes.

The stores are SQL dumps in `fixtures/main-2026-12/` (see the fixtures' README), made by
indexing `fixtures/notes`, two offline conversations, a finished quiz and an exam left
waiting at its first question.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from tests.reliability.test_upgrade import NOTES, rows, run
from tutor.cli import app

DUMPS = Path(__file__).parent / "fixtures" / "main-2026-12"
PENDING_CHECK = "11f5402a45"  # asked "_____ generation splits source documents into chunks"
UNFINISHED_EXAM = "exam-fixture1"


def load_dump(name: str, target: Path) -> Path:
    script = (DUMPS / f"{name}.sql").read_text().replace("@NOTES@", str(NOTES.resolve()))
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(target) as db:
        db.executescript(script)
    db.close()
    return target


def test_a_data_dir_from_the_flat_layout_opens_and_goes_on(isolated_env: Path) -> None:
    data = isolated_env
    load_dump("tutor", data / "tutor.sqlite")
    learner_path = load_dump("learner", data / "learner.sqlite")
    load_dump("checkpoints", data / "checkpoints.sqlite")
    events = rows(learner_path, "events")

    # The vectors were not kept: indexing the same notes re-embeds them and changes nothing.
    code, stdout, _ = run("index", str(NOTES), "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert (summary["files_indexed"], summary["chunks_unchanged"]) == (0, 4)
    code, stdout, _ = run("doctor", "--json")
    assert code == 0, stdout

    code, stdout, _ = run("sessions", "--json")
    assert [s["id"] for s in json.loads(stdout)] == [
        UNFINISHED_EXAM,
        "quiz-fixture1",
        PENDING_CHECK,
        "quiz-65a938a0",
        "c8977c2afb",
    ]

    # The conversation's checkpoint still holds its check question: the reply is graded.
    code, stdout, _ = run(
        "ask", "retrieval-augmented", "--session", PENDING_CHECK, "--offline", "--json"
    )
    assert code == 0
    turn = json.loads(stdout)
    assert turn["session"] == PENDING_CHECK
    assert turn["grade"] is not None and turn["grade"]["result"] == "right", turn["grade"]

    # The exam resumes at the question it was waiting on (A: "chunks", its key) and, the
    # four-chunk notes holding no other question, ends with its summary.
    result = CliRunner().invoke(app, ["quiz", "--resume", "--offline", "--json"], input="A\n")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    done = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    assert (done["asked"], done["correct"], done["ended"]) == (1, 1, "no material"), done

    # Every old event is kept, and the new answers were added after them.
    now = rows(learner_path, "events")
    assert now[: len(events)] == events and len(now) > len(events)


def test_answers_credited_to_another_topic_than_their_card_are_reconciled(
    isolated_env: Path,
) -> None:
    """The December 2026 tutor could record an answer under one topic while its question
    (and so its review card) sat under another: progress then showed the card's topic
    "not studied, 0/0" with a review due. Opening the store moves the answer and its event
    to the question's recorded topic."""
    data = isolated_env
    learner_path = load_dump("learner", data / "learner.sqlite")
    answer_key = "quiz-fixture1:ca7658dd26fafc75"
    with sqlite3.connect(learner_path) as db:
        db.execute("UPDATE answers SET topic = 'prompt-engineering' WHERE key = ?", (answer_key,))
        db.execute("UPDATE events SET topic = 'prompt-engineering' WHERE key = ?", (answer_key,))
    db.close()
    before = rows(learner_path, "events", "key, topic")

    code, stdout, _ = run("progress", "--json")
    assert code == 0
    progress = {row["topic"]: row for row in json.loads(stdout)}
    rag = progress["retrieval-augmented-generation"]
    assert (rag["attempts"], rag["correct"]) == (2, 1) and rag["next_review"] is not None
    assert progress["prompt-engineering"]["attempts"] == 0

    assert rows(learner_path, "answers", "DISTINCT topic") == [("retrieval-augmented-generation",)]
    after = dict(rows(learner_path, "events", "key, topic"))
    assert after[answer_key] == "retrieval-augmented-generation"
    # Only that event moved; every other one is as it was.
    assert {k: t for k, t in before if k != answer_key} == {
        k: t for k, t in after.items() if k != answer_key
    }
    with sqlite3.connect(f"file:{learner_path}?mode=ro", uri=True) as db:
        names = [n for (n,) in db.execute("SELECT name FROM migrations ORDER BY rowid")]
    db.close()
    assert names[2:] == ["_m003_question_topics", "_m004_retired"]
