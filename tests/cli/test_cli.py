"""The `tutor` CLI end to end: index, search (text, --json, stdin) and doctor."""

from __future__ import annotations

import json

from tests.contracts import INDEX_SUMMARY_KEYS, SEARCH_RESULT_KEYS
from tutor.cli import app


def test_index_json_summary_then_nothing_to_do(runner, corpus_copy, embedder):
    first = runner.invoke(app, ["index", str(corpus_copy), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert set(summary) == INDEX_SUMMARY_KEYS
    assert summary["files_indexed"] == 1 and summary["chunks_added"] > 50

    second = json.loads(runner.invoke(app, ["index", str(corpus_copy), "--json"]).stdout)
    assert second["chunks_added"] == 0
    assert second["chunks_unchanged"] == summary["chunks_added"]


def test_index_defaults_to_the_corpus_and_prints_a_summary(runner, embedder):
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 of 1 files" in result.stdout


def test_index_of_a_missing_path_fails_cleanly(runner, tmp_path):
    result = runner.invoke(app, ["index", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist" in result.stdout
    assert "nothing usable to index" in result.stderr


def test_search_prints_citations(runner, indexed_settings):
    result = runner.invoke(app, ["search", "What are the agent's choices called in an MDP?"])
    assert result.exit_code == 0, result.output
    assert "[1] corpus/databricks-genai-engineer-associate-guide.md" in result.stdout
    assert "Markov Decision Processes" in result.stdout
    assert "(line" in result.stdout


def test_search_json_lists_k_passages(runner, indexed_settings):
    result = runner.invoke(app, ["search", "What is few-shot prompting?", "--k", "3", "--json"])
    passages = json.loads(result.stdout)
    assert [p["rank"] for p in passages] == [1, 2, 3]
    assert all(set(p) == SEARCH_RESULT_KEYS for p in passages)
    assert any("few-shot prompting" in p["text"] for p in passages)
    first = passages[0]
    assert first["lines"][0] <= first["lines"][1]
    assert first["score"] >= passages[-1]["score"]
    assert first["topics"]


def test_search_reads_queries_from_stdin(runner, indexed_settings):
    queries = "What is PCA?\n\nWhat does Unity Catalog enforce?\n"
    result = runner.invoke(app, ["search", "-", "--k", "2"], input=queries)
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    first, blank, third = (json.loads(line) for line in lines)
    assert "Principal component analysis" in " ".join(p["text"] for p in first)
    assert blank == []
    assert len(third) == 2 and "Unity Catalog" in third[0]["text"]


def test_search_k_beyond_the_index_returns_what_there_is(runner, indexed_settings):
    result = runner.invoke(app, ["search", "reinforcement learning", "--k", "100", "--json"])
    passages = json.loads(result.stdout)
    assert 0 < len(passages) <= 100
    assert len({p["text"] for p in passages}) == len(passages)


def test_search_without_a_match_says_so(runner, indexed_settings):
    result = runner.invoke(app, ["search", "how do I bake sourdough bread"])
    assert result.exit_code == 0
    assert "No passages match" in result.stdout
    as_json = runner.invoke(app, ["search", "how do I bake sourdough bread", "--json"])
    assert json.loads(as_json.stdout) == []


def test_search_on_an_empty_index_says_to_index(runner):
    result = runner.invoke(app, ["search", "What is RLHF?"])
    assert result.exit_code == 1
    assert "index is empty" in result.stderr
    assert "Traceback" not in result.output


def test_bad_k_is_rejected_by_the_cli(runner, indexed_settings):
    result = runner.invoke(app, ["search", "RLHF", "--k", "0"])
    assert result.exit_code == 2
    assert "--k" in result.stderr


def test_doctor_reports_index_and_unreachable_ollama(runner, indexed_settings):
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output  # Ollama is optional
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["index"]["ok"] and "model all-MiniLM-L6-v2" in checks["index"]["detail"]
    assert checks["chroma"]["ok"] and "embedded" in checks["chroma"]["detail"]
    assert not checks["ollama"]["ok"] and "ollama serve" in checks["ollama"]["detail"]


def test_doctor_reaches_ollama(runner, indexed_settings, httpserver, monkeypatch):
    httpserver.expect_request("/api/tags").respond_with_json(
        {"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest", "size": 1}]}
    )
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{httpserver.port}")
    checks = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert checks["ollama"]["ok"]
    assert "1 models pulled" in checks["ollama"]["detail"]


def test_doctor_on_a_fresh_data_dir_fails_with_advice(runner):
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "run `tutor index`" in result.stdout


def test_tutor_alone_prints_help_when_not_in_a_terminal(runner) -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 0
    assert "Run `tutor` alone in a terminal to open the app." in " ".join(result.stdout.split())
    assert "ask" in result.stdout and "quiz" in result.stdout
