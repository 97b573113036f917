"""`query_rewrite`: the model turns the learner's question into a few search queries in the
material's terms, searched beside the question. Over the wire to a server speaking Ollama's
API: what is asked for, what the queries find, and that any failure of that call leaves a
turn that still answers from the question alone."""

from __future__ import annotations

import json

import pytest

from tests.fake_ollama import FakeOllama
from tutor.cli import app

RIVALS = "How do two rival networks push each other?"
GAN_QUERIES = json.dumps(
    {"queries": ["generative adversarial network", "generator and discriminator training"]}
)


def ask_json(runner, question: str) -> dict:
    result = runner.invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


@pytest.fixture
def rewriting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_QUERY_REWRITE", "1")


def test_the_models_queries_find_what_the_learners_words_do_not(
    runner, home, fake_ollama: FakeOllama, rewriting
) -> None:
    fake_ollama.serve_chat(GAN_QUERIES, once=True)
    fake_ollama.serve_chat("A generator and a discriminator train against each other [1].")
    result = ask_json(runner, RIVALS)
    assert result["mode"] == "ollama"
    assert result["answer"].startswith("A generator and a discriminator")
    assert any("Generative Adversarial Networks" in s["heading"] for s in result["sources"])

    rewrite, answer = fake_ollama.chat_requests()
    assert rewrite["format"]["properties"]["queries"]["type"] == "array"
    assert f"<question>\n{RIVALS}\n</question>" in rewrite["messages"][-1]["content"]
    assert (
        "Databricks Certified Generative AI Engineer Associate"
        in (rewrite["messages"][0]["content"])
    )
    # The answer prompt quotes the passages the queries found, and the learner's question.
    assert "generator" in answer["messages"][-1]["content"].lower()
    assert RIVALS in answer["messages"][-1]["content"]


def test_without_the_setting_the_model_is_asked_only_for_the_answer(
    runner, home, fake_ollama: FakeOllama
) -> None:
    fake_ollama.serve_chat("Few-shot prompting gives examples [1].")
    ask_json(runner, "What is few-shot prompting?")
    assert len(fake_ollama.chat_requests()) == 1
    assert "format" not in fake_ollama.chat_requests()[0]


@pytest.mark.parametrize(
    "serve_failure",
    [
        lambda fake: fake.serve_chat("Sure! Here are some queries: few-shot, examples", once=True),
        lambda fake: fake.serve_chat(json.dumps({"queries": []}), once=True),
        lambda fake: fake.serve_chat_error(500, "llama runner process has terminated", once=True),
    ],
    ids=["not json", "no queries", "server error"],
)
def test_a_failed_rewrite_leaves_the_question_to_search_alone(
    runner, home, fake_ollama: FakeOllama, rewriting, serve_failure, monkeypatch
) -> None:
    question = "What is few-shot prompting?"
    fake_ollama.serve_chat("Few-shot prompting gives examples [1].")
    monkeypatch.delenv("TUTOR_QUERY_REWRITE")
    plain = ask_json(runner, question)

    monkeypatch.setenv("TUTOR_QUERY_REWRITE", "1")
    serve_failure(fake_ollama)
    result = ask_json(runner, question)
    assert result["mode"] == "ollama"
    assert result["answer"].startswith("Few-shot prompting gives examples [1].")
    assert result["sources"] == plain["sources"]
    assert len(fake_ollama.chat_requests()) == 3  # plain answer, failed rewrite, answer
