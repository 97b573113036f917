"""`tutor ask`, `sessions`, `progress`, `pull` and `doctor` end to end: the real ChatOllama
and ollama client against a local server speaking Ollama's API, the real index, and the
learner store on disk. Every failure must be one line, with no traceback and nothing
half-saved."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from typer.testing import CliRunner

from tests.fake_ollama import FakeOllama, refused_host
from tutor.cli import app
from tutor.config import Settings
from tutor.learner.store import LearnerStore

QUESTION = "What is few-shot prompting?"
SOURCE_KEYS = {"n", "source", "heading", "lines"}


def ask(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ask", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def events() -> list:
    with LearnerStore.open(Settings(), readonly=True) as store:
        return store.events("default")


def test_offline_json_has_the_documented_shape(runner, home) -> None:
    code, stdout, _ = ask(runner, QUESTION, "--offline", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert {"answer", "sources", "mode", "topics"} <= set(result)
    assert result["mode"] == "offline"
    assert "few-shot" in result["answer"].lower()
    assert result["sources"] and all(set(s) == SOURCE_KEYS for s in result["sources"])
    assert [s["n"] for s in result["sources"]] == list(range(1, len(result["sources"]) + 1))
    assert result["topics"] == ["prompt-engineering"]


def test_offline_json_highlights_the_sentences_that_answer(runner, home) -> None:
    code, stdout, _ = ask(runner, "What is a lakehouse?", "--offline", "--json")
    assert code == 0
    result = json.loads(stdout)
    highlights = result["highlights"]
    assert 1 <= len(highlights) <= 3
    assert all(set(h) == {"text", "n"} for h in highlights)
    numbers = {s["n"] for s in result["sources"]}
    assert all(h["n"] in numbers and h["text"] in result["answer"] for h in highlights)
    assert any("fuses data lakes and warehouses" in h["text"] for h in highlights)


def test_answers_from_ollama_have_no_highlights(runner, home, fake_ollama) -> None:
    fake_ollama.serve_chat("A lakehouse joins lakes and warehouses [1].")
    result = json.loads(ask(runner, "What is a lakehouse?", "--json")[1])
    assert result["mode"] == "ollama" and result["highlights"] == []


def test_answer_streams_from_ollama_with_sources(runner, home, fake_ollama: FakeOllama) -> None:
    fake_ollama.serve_chat("Few-shot prompting shows the model worked examples [1].")
    code, stdout, stderr = ask(runner, QUESTION)
    assert code == 0, stderr
    assert stdout.startswith("Few-shot prompting shows the model worked examples [1].")
    assert "Sources\n  [1] corpus/databricks-genai-engineer-associate-guide.md § " in stdout
    assert "conversation " in stderr

    request = fake_ollama.chat_requests()[-1]
    assert request["model"] == "llama3.2" and request["stream"] is True
    assert request["options"]["num_ctx"] == 4096
    assert request["messages"][0]["role"] == "system"
    assert QUESTION in request["messages"][-1]["content"]


def test_json_from_ollama_and_a_continued_session(runner, home, fake_ollama) -> None:
    fake_ollama.serve_chat("Few-shot prompting gives examples in the prompt [1].")
    first = json.loads(ask(runner, QUESTION, "--json")[1])
    assert first["mode"] == "ollama" and first["answer"].startswith("Few-shot prompting")
    assert first["sources"][0]["n"] == 1

    fake_ollama.serve_chat("How does few-shot prompting differ from zero-shot?", once=True)
    fake_ollama.serve_chat("Zero-shot gives no examples [1].")
    code, stdout, _ = ask(
        runner, "and how is that different from zero-shot?", "-s", first["session"][:6], "--json"
    )
    assert code == 0
    second = json.loads(stdout)
    assert second["session"] == first["session"]
    rewrite, answer = fake_ollama.chat_requests()[-2:]
    assert QUESTION in rewrite["messages"][-1]["content"]
    # The answer prompt carries the first turn.
    assert [m["role"] for m in answer["messages"]] == ["system", "user", "assistant", "user"]

    listed = json.loads(runner.invoke(app, ["sessions", "--json"]).stdout)
    assert [(s["id"], s["turns"]) for s in listed] == [(first["session"], 2)]
    # Only the latest checkpoint of a conversation is kept.
    with sqlite3.connect(Settings().checkpoints_path) as db:
        rows = db.execute(
            "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (first["session"],)
        ).fetchone()
    assert rows == (1,)


def test_unknown_session_is_one_line(runner, home) -> None:
    code, _, stderr = ask(runner, QUESTION, "--session", "nope", "--offline")
    assert code == 1
    assert stderr.strip() == "error: no conversation 'nope': see `tutor sessions`"


def test_server_not_running_falls_back_to_offline(runner, home, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", refused_host())
    code, stdout, _ = ask(runner, QUESTION, "--json")
    result = json.loads(stdout)
    assert code == 0 and result["mode"] == "offline"
    assert "Ollama is not running" in result["notice"] and "ollama serve" in result["notice"]
    assert result["sources"]


def test_model_not_pulled_falls_back_and_says_how_to_pull(runner, home, fake_ollama) -> None:
    fake_ollama.serve_tags(["mistral"])
    result = json.loads(ask(runner, QUESTION, "--json")[1])
    assert result["mode"] == "offline"
    assert "tutor pull llama3.2" in result["notice"]
    assert fake_ollama.chat_requests() == []


def test_model_missing_at_chat_time_falls_back(runner, home, fake_ollama) -> None:
    fake_ollama.serve_chat_error(404)
    result = json.loads(ask(runner, QUESTION, "--json")[1])
    assert result["mode"] == "offline" and "tutor pull llama3.2" in result["notice"]


def test_a_stall_past_the_timeout_falls_back(runner, home, fake_ollama, monkeypatch) -> None:
    monkeypatch.setenv("TUTOR_OLLAMA_TIMEOUT", "0.5")
    fake_ollama.serve_chat_stall(3)
    result = json.loads(ask(runner, QUESTION, "--json")[1])
    assert result["mode"] == "offline"
    assert "did not answer within 0.5 s" in result["notice"]


@pytest.mark.parametrize("abrupt", [True, False])
def test_a_cut_stream_is_reported_and_nothing_is_saved(runner, home, fake_ollama, abrupt) -> None:
    fake_ollama.serve_chat_cut("Few-shot prompting gives the model", abrupt=abrupt)
    code, stdout, stderr = ask(runner, QUESTION)
    assert code == 1
    assert stdout.startswith("Few-shot prompting gives the model")
    assert len(stderr.strip().splitlines()) == 1
    assert "cut off" in stderr and "nothing was saved" in stderr
    assert events() == []
    assert json.loads(runner.invoke(app, ["sessions", "--json"]).stdout) == []


def test_an_error_line_mid_answer_is_reported(runner, home, fake_ollama) -> None:
    fake_ollama.serve_chat_error_line("Few-shot", "llama runner process has terminated")
    code, _, stderr = ask(runner, QUESTION)
    assert code == 1
    assert "Ollama reported an error: llama runner process has terminated" in stderr
    assert events() == []


def test_a_graded_check_shows_in_progress(runner, home) -> None:
    fresh = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert all(
        set(row) == {"topic", "title", "mastery", "attempts", "correct", "last_seen", "next_review"}
        for row in fresh
    )
    assert all(row["attempts"] == 0 and row["last_seen"] is None for row in fresh)

    first = json.loads(ask(runner, "What does RLHF do?", "--offline", "--json")[1])
    assert first["check"] and "_____" in first["check"]
    reply = json.loads(
        ask(runner, "I don't know", "-s", first["session"], "--offline", "--json")[1]
    )
    assert reply["grade"]["result"] == "wrong"

    rows = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    weakest = rows[0]
    assert weakest["topic"] == reply["grade"]["topic"]
    assert (weakest["attempts"], weakest["correct"]) == (1, 0)
    assert weakest["mastery"] < 0.5 and weakest["last_seen"].endswith("Z")
    assert [r["mastery"] for r in rows] == sorted(r["mastery"] for r in rows)
    table = " ".join(runner.invoke(app, ["progress"]).stdout.split())
    assert "0/1" in table and "checks wrong" in table


def test_progress_and_sessions_on_a_fresh_data_dir(runner, tmp_path) -> None:
    progress = runner.invoke(app, ["progress"])
    assert progress.exit_code == 0 and "not started" in progress.stdout
    sessions = runner.invoke(app, ["sessions"])
    assert "No conversations yet" in sessions.stdout
    assert not (tmp_path / "data").exists()  # reading creates nothing


def test_pull_reports_success_and_failure(runner, fake_ollama) -> None:
    fake_ollama.serve_tags([])
    fake_ollama.serve_pull("llama3.2", steps=3)
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 0 and "Pulled llama3.2" in result.stdout
    assert fake_ollama.pull_requests()[-1]["model"] == "llama3.2"

    fake_ollama.serve_pull_error("pull model manifest: file does not exist", model="nosuch")
    failed = runner.invoke(app, ["pull", "nosuch"])
    assert failed.exit_code == 1
    assert len(failed.stderr.strip().splitlines()) == 1 and "nosuch" in failed.stderr


def test_pull_without_a_server_is_one_line(runner, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", refused_host())
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 1
    assert "Ollama is not running" in result.stderr and "Traceback" not in result.output


def test_doctor_reports_ollama_version_model_and_learner(runner, home, fake_ollama) -> None:
    fake_ollama.serve_version("0.12.3")
    checks = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert checks["ollama"]["ok"] and "Ollama 0.12.3" in checks["ollama"]["detail"]
    assert "'llama3.2' ready (context 4096 of 131072 tokens)" in checks["ollama"]["detail"]
    assert any(r.path == "/api/show" for r in fake_ollama.requests())

    fake_ollama.serve_show("llama3.2", context_length=2048)
    checks = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert not checks["ollama"]["ok"]
    assert (
        "TUTOR_NUM_CTX=4096 is more than 'llama3.2' supports (2048 tokens)"
        in (checks["ollama"]["detail"])
    )
    assert checks["learner"]["detail"] == "no progress recorded yet"

    fake_ollama.serve_tags([])
    ask(runner, QUESTION, "--offline")
    checks = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert not checks["ollama"]["ok"] and "tutor pull llama3.2" in checks["ollama"]["detail"]
    assert "1 conversations and quizzes, 0 quiz answers" in checks["learner"]["detail"]


def _studio_graph(name: str):
    """A graph loaded the way `langgraph dev` loads it: by the file path in langgraph.json."""
    root = Path(__file__).parents[2]
    config = json.loads((root / "langgraph.json").read_text())
    path, attribute = config["graphs"][name].split(":")
    spec = importlib.util.spec_from_file_location(f"studio_{name}", root / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def test_the_studio_graphs_run_with_no_context(home) -> None:
    """`langgraph dev` serves the chat and quiz graphs without a context: the services are
    built from the environment, and with no Ollama the answer and the question are offline."""
    import graphs.context

    config = json.loads((Path(__file__).parents[2] / "langgraph.json").read_text())
    assert set(config["graphs"]) == {"chat", "quiz"}

    graphs.context.default_context.cache_clear()  # built afresh for this test's home
    out = _studio_graph("chat").invoke({"question": QUESTION})
    assert out["mode"] == "offline" and "Ollama is not running" in out["notice"]
    assert out["sources"]
    assert (home / "learner.sqlite").exists()

    # The server gives the quiz graph its checkpointer; the question waits in an interrupt.
    quiz = _studio_graph("quiz").copy({"checkpointer": InMemorySaver()})
    run = {"configurable": {"thread_id": "studio"}}
    out = quiz.invoke({"n": 1, "kind": "cloze"}, run)
    (shown,) = out["__interrupt__"]
    assert shown.value["number"] == 1 and "_____" in shown.value["question"]


def test_question_from_stdin_and_bad_questions(runner, home) -> None:
    result = runner.invoke(app, ["ask", "-", "--offline", "--json"], input=QUESTION + "\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["topics"] == ["prompt-engineering"]

    empty = runner.invoke(app, ["ask", "   "])
    assert empty.exit_code == 1 and empty.stderr.strip() == "error: the question is empty"
    pasted = runner.invoke(app, ["ask", "-", "--offline"], input="x" * 100_000)
    assert pasted.exit_code == 1
    assert "the question is 100,000 characters; the limit is 20,000" in pasted.stderr
    assert events() == [] or all(e.kind == "asked" for e in events())


def test_terminal_escapes_in_a_question_never_come_back_raw(runner, home) -> None:
    result = runner.invoke(
        app, ["ask", "What is few-shot \x1b[31mprompting\x1b]0;pwned\x07?", "--offline"]
    )
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    # The question is stored cleaned, so listing conversations cannot replay it either.
    listed = json.loads(runner.invoke(app, ["sessions", "--json"]).stdout)
    assert listed[0]["title"] == "What is few-shot prompting?"  # each sequence gone whole


def test_a_question_that_looks_like_markup_is_listed_as_typed(runner, home) -> None:
    question = "[/x] what is [b]RAG[/b]?"
    code, _, stderr = ask(runner, question, "--offline")
    assert code == 0, stderr

    listed = runner.invoke(app, ["sessions"])

    assert listed.exit_code == 0, listed.output
    assert question in listed.stdout
