"""What the CLI prints when the text it shows comes from outside: error messages, citations,
passages and check details holding "[/" (which rich would read as a closing tag and fail
on) or escape sequences; and how an error no handler caught is said in one line."""

from __future__ import annotations

import errno
import sqlite3
import sys
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tutor import cli
from tutor.cli import quiz_loop, root
from tutor.errors import TutorError
from tutor.runtime.doctor import Check

MARKUP = "[/x] [bold]not bold[/bold]"


def run_main(monkeypatch, capsys, error: BaseException) -> tuple[int, str, str]:
    """`tutor` as the console script runs it, with a command that raises `error`."""

    def command() -> None:
        raise error

    monkeypatch.setattr(root, "app", command)
    monkeypatch.setattr(sys, "argv", ["tutor"])
    monkeypatch.delenv("TUTOR_DEBUG", raising=False)
    with pytest.raises(SystemExit) as ended:
        cli.main()
    captured = capsys.readouterr()
    return ended.value.code, captured.out, captured.err


def test_a_tutor_error_quoting_markup_and_escapes_is_one_plain_line(monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, TutorError(f"no topic '{MARKUP}\x1b[2J'"))

    assert code == 1 and out == ""
    assert err == f"error: no topic '{MARKUP}?[2J'\n"


def test_a_bug_whose_message_looks_like_markup_is_still_an_internal_error(monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, RuntimeError(f"{MARKUP}\nsecond line"))

    assert code == 2
    assert err == (
        f"internal error: RuntimeError: {MARKUP} second line (run with TUTOR_DEBUG=1 for details)\n"
    )


def test_a_full_disk_is_one_clear_line(monkeypatch, capsys):
    full = OSError(errno.ENOSPC, "No space left on device", "/data/tutor.sqlite-journal")

    code, _, err = run_main(monkeypatch, capsys, full)

    assert code == 1
    assert err == (
        "error: cannot read or write /data/tutor.sqlite-journal: No space left on device "
        "(the disk is full: free some space, then try again)\n"
    )


def test_a_file_that_cannot_be_written_names_the_file(monkeypatch, capsys):
    denied = PermissionError(errno.EACCES, "Permission denied", "/data/[/x]\x1b.txt")

    code, _, err = run_main(monkeypatch, capsys, denied)

    assert code == 1
    assert err == (
        "error: cannot read or write /data/[/x]?.txt: Permission denied "
        "(the data dir's permissions do not allow it: make it writable, or set TUTOR_DATA_DIR)\n"
    )


def test_a_read_only_disk_without_a_file_name_names_the_data_dir(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))

    code, _, err = run_main(monkeypatch, capsys, OSError(errno.EROFS, "Read-only file system"))

    assert code == 1
    assert err == (
        f"error: cannot read or write {tmp_path}: Read-only file system "
        "(the data dir is read-only: make it writable, or set TUTOR_DATA_DIR)\n"
    )


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def test_a_sqlite_write_on_a_full_disk_is_one_clear_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))

    code, _, err = run_main(monkeypatch, capsys, sqlite_error("database or disk is full", 13))

    assert code == 1
    assert err.startswith(
        f"error: cannot read or write the data in {tmp_path}: database or disk is full ("
    )
    assert len(err.splitlines()) == 1


def test_a_sqlite_error_that_is_a_bug_stays_an_internal_error(monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, sqlite_error("no such table: answers", 1))

    assert code == 2
    assert err.startswith("internal error: OperationalError: no such table: answers")


def test_search_prints_citations_and_passages_as_plain_text(monkeypatch, tmp_path):
    passage = SimpleNamespace(rank=1, citation="notes[/draft].md § [b]Intro", text=MARKUP)
    retriever = SimpleNamespace(search=lambda query, k: [passage], close=lambda: None)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("tutor.corpus.search.HybridRetriever.open", lambda settings: retriever)

    result = CliRunner().invoke(cli.app, ["search", "anything"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["[1] notes[/draft].md § [b]Intro", MARKUP]


def test_doctor_prints_check_details_as_plain_text(monkeypatch, tmp_path):
    checks = [Check("data dir", True, f"{tmp_path}/[/x]"), Check("index", False, MARKUP)]
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("tutor.runtime.doctor.run_checks", lambda settings: checks)

    result = CliRunner().invoke(cli.app, ["doctor"])

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"ok   data dir     {tmp_path}/[/x]",
        f"FAIL index        {MARKUP}",
    ]


def test_quiz_question_and_feedback_show_material_text_as_plain_text(monkeypatch, capsys):
    question = {
        "number": 1,
        "total": 2,
        "topic": "rag",
        "topic_title": "Drafts [/notes]",
        "reason": "new",
        "question": "Which [b]one[/b]?",
        "options": ["[/a]", "b"],
        "kind": "mc",
    }
    graded = {"correct": False, "key": "[/a]", "explanation": MARKUP, "source": "x[/y].md"}

    quiz_loop._show_question(root.out, question)
    quiz_loop._show_feedback(graded)

    shown = capsys.readouterr().out
    assert "Question 1 of 2 · Drafts [/notes] (not tried yet)" in shown
    assert "Which [b]one[/b]?" in shown and "  A) [/a]" in shown
    assert "Not quite. The answer is: [/a]" in shown
    assert MARKUP in shown and "Source: x[/y].md" in shown
