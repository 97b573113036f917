"""The real Ollama wire path (ChatOllama, the ollama client, httpx) against a fake Ollama
server on loopback: answers, server status, pulls, and every way a request can fail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import ollama
import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import START, MessagesState, StateGraph
from ollama._client import CONNECTION_ERROR_MESSAGE

from tests.fake_ollama import FakeOllama, refused_host, split_words
from tutor.config import Settings
from tutor.llm import (
    OllamaError,
    PullProgress,
    build_chat_model,
    ollama_error,
    pull_model,
    server_status,
    stream_text,
)

QUESTION: list[BaseMessage] = [
    SystemMessage("Answer only from the passages and cite them as [n]."),
    HumanMessage("What is retrieval-augmented generation?"),
]
ANSWER = "Retrieval-augmented generation grounds the answer in retrieved passages [1]."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


def collect(settings: Settings, model=None) -> tuple[list[str], OllamaError]:
    """Stream an answer that is expected to fail; the pieces seen and the error."""
    pieces: list[str] = []
    with pytest.raises(OllamaError) as caught:
        for piece in stream_text(model or build_chat_model(settings), QUESTION, settings):
            pieces.append(piece)
    return pieces, caught.value


def assert_one_line(error: OllamaError, *fragments: str) -> None:
    message = str(error)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


# -- a good answer ---------------------------------------------------------------------------


def test_answer_streams_in_order_and_the_request_carries_the_settings(fake):
    fake.serve_chat(ANSWER)
    settings = fake.settings(num_ctx=2048, answer_tokens=300)

    pieces = list(stream_text(build_chat_model(settings), QUESTION, settings))

    assert pieces == split_words(ANSWER) and len(pieces) > 5
    assert "".join(pieces) == ANSWER
    (request,) = fake.chat_requests()
    assert request["model"] == "llama3.2"
    assert request["stream"] is True
    assert request["options"]["num_ctx"] == 2048
    assert request["options"]["num_predict"] == 300
    assert request["options"]["temperature"] == 0.2
    assert [(m["role"], m["content"]) for m in request["messages"]] == [
        ("system", QUESTION[0].content),
        ("user", QUESTION[1].content),
    ]


def test_another_model_can_be_asked_for(fake):
    fake.serve_chat("ok")
    settings = fake.settings()
    assert list(stream_text(build_chat_model(settings, "qwen2.5:3b"), QUESTION, settings)) == ["ok"]
    assert fake.chat_requests()[0]["model"] == "qwen2.5:3b"


def test_timeouts_reach_the_http_client_that_streams(fake):
    settings = fake.settings(ollama_timeout=42.0, ollama_connect_timeout=3.0)
    http_client = build_chat_model(settings)._client._client
    assert http_client.timeout == httpx.Timeout(42.0, connect=3.0)
    assert str(http_client.base_url).rstrip("/") == fake.url


def test_langgraph_messages_mode_sees_the_tokens(fake):
    """stream_text goes through model.stream, so a graph streaming "messages" gets tokens."""
    fake.serve_chat(ANSWER)
    settings = fake.settings()
    model = build_chat_model(settings)

    def answer(state: MessagesState) -> dict:
        return {"messages": [AIMessage("".join(stream_text(model, state["messages"], settings)))]}

    graph = StateGraph(MessagesState).add_node(answer).add_edge(START, "answer").compile()
    tokens = [
        chunk.content
        for chunk, _ in graph.stream({"messages": QUESTION}, stream_mode="messages")
        if chunk.content
    ]
    assert "".join(tokens).startswith(ANSWER)


def test_a_fake_chat_model_needs_no_done_record():
    settings = Settings()
    model = GenericFakeChatModel(messages=iter([AIMessage("three small words")]))
    assert "".join(stream_text(model, QUESTION, settings)) == "three small words"


def test_stopping_early_is_not_an_error(fake):
    fake.serve_chat(ANSWER)
    settings = fake.settings()
    stream = stream_text(build_chat_model(settings), QUESTION, settings)
    assert next(stream) == split_words(ANSWER)[0]
    stream.close()


# -- failures while answering ------------------------------------------------------------------


def test_connection_refused_is_unreachable():
    settings = Settings(ollama_host=refused_host())
    pieces, error = collect(settings)
    assert error.kind == "unreachable"
    assert_one_line(error, settings.ollama_url, "ollama serve", "OLLAMA_HOST")
    assert (pieces, error.started, error.partial) == ([], False, "")


def test_model_not_pulled_is_model_missing(fake):
    fake.serve_chat_error(404)
    pieces, error = collect(fake.settings())
    assert error.kind == "model_missing"
    assert_one_line(error, "'llama3.2'", "`tutor pull llama3.2`", fake.url)
    assert (pieces, error.started) == ([], False)


def test_a_stall_before_the_first_token_times_out_quickly(fake):
    fake.serve_chat_stall(10)
    settings = fake.settings(ollama_timeout=0.5)
    began = time.monotonic()
    pieces, error = collect(settings)
    assert time.monotonic() - began < 3
    assert error.kind == "timeout"
    assert_one_line(error, "within 0.5 s", "TUTOR_OLLAMA_TIMEOUT")
    assert (pieces, error.started) == ([], False)
    assert isinstance(error.__cause__, httpx.ReadTimeout)


def test_a_stall_between_tokens_times_out_with_the_partial_answer(fake):
    fake.serve_chat_stall(10, text_before="The first half ")
    settings = fake.settings(ollama_timeout=0.5)
    began = time.monotonic()
    pieces, error = collect(settings)
    assert time.monotonic() - began < 3
    assert error.kind == "timeout"
    assert error.started is True
    assert error.partial == "".join(pieces) == "The first half "


@pytest.mark.parametrize("abrupt", [False, True], ids=["clean-end", "dropped"])
def test_a_stream_without_its_done_record_is_cut(fake, abrupt):
    fake.serve_chat_cut("Half of an ans", abrupt=abrupt)
    pieces, error = collect(fake.settings())
    assert error.kind == "stream_cut"
    assert_one_line(error, "cut off", "ask again")
    assert error.started is True
    assert error.partial == "".join(pieces) == "Half of an ans"
    if abrupt:  # the dropped connection surfaces as an httpx protocol error
        assert isinstance(error.__cause__, httpx.RemoteProtocolError)
    else:  # langchain-ollama ends quietly; only the missing done record tells
        assert error.__cause__ is None


def test_an_empty_reply_is_cut_before_it_started(fake):
    fake.serve_chat_cut("")
    pieces, error = collect(fake.settings())
    assert error.kind == "stream_cut"
    assert (pieces, error.started, error.partial) == ([], False, "")


def test_an_error_line_mid_stream_is_a_server_error(fake):
    fake.serve_chat_error_line(
        "Some words ", "an error was encountered while running the model: CUDA error\ntrace"
    )
    pieces, error = collect(fake.settings())
    assert error.kind == "server_error"
    assert str(error) == (
        "Ollama reported an error: an error was encountered while running the model: CUDA error"
    )
    assert error.started is True and error.partial == "".join(pieces) == "Some words "


def test_a_server_error_status_is_a_server_error(fake):
    fake.serve_chat_error(500, "llama runner process has terminated: exit status 2")
    _, error = collect(fake.settings())
    assert error.kind == "server_error"
    assert_one_line(error, "llama runner process has terminated")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConnectionError(CONNECTION_ERROR_MESSAGE), "unreachable"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "unreachable"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.ReadError("reset"), "stream_cut"),
        (ollama.ResponseError('model "x" not found, try pulling it first'), "model_missing"),
        (ollama.ResponseError("boom", 500), "server_error"),
        (RuntimeError("something odd\nwith details"), "server_error"),
    ],
)
def test_exceptions_are_classified(exc, kind):
    error = ollama_error(exc, Settings())
    assert error.kind == kind
    assert "\n" not in str(error)


# -- server status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "installed", "present"),
    [
        ("llama3.2", ["llama3.2"], True),  # listed as llama3.2:latest
        ("llama3.2:latest", ["llama3.2"], True),
        ("llama3.2", ["llama3.2:3b"], False),
        ("llama3.2:3b", ["llama3.2:latest"], False),
        ("llama3.2:3b", ["llama3.2:3b", "qwen2.5"], True),
        ("llama3", ["llama3.2"], False),
    ],
)
def test_server_status_finds_the_model_by_ollama_naming(fake, wanted, installed, present):
    fake.serve_tags(installed)
    fake.serve_version("0.9.1")
    status = server_status(fake.settings(), wanted)
    assert status.reachable is True
    assert status.version == "0.9.1"
    assert status.url == fake.url
    assert status.model == wanted
    assert status.model_present is present
    if present:
        assert status.error is None
    else:
        assert status.error is not None and status.error.kind == "model_missing"
        assert f"`tutor pull {wanted}`" in str(status.error)


def test_server_status_lists_the_models(fake):
    fake.serve_tags(["llama3.2", "qwen2.5:3b"])
    status = server_status(fake.settings())
    assert status.models == ["llama3.2:latest", "qwen2.5:3b"]
    assert status.model == "llama3.2" and status.model_present


def test_server_status_reads_the_context_window_from_show(fake):
    fake.serve_show("llama3.2", context_length=8192)
    assert server_status(fake.settings()).context_length == 8192
    shown = [r.get_json() for r in fake.requests("/api/show")]
    assert shown and shown[-1]["model"] == "llama3.2"
    fake.serve_tags(["mistral"])
    missing = server_status(fake.settings())
    assert missing.context_length is None and len(fake.requests("/api/show")) == 1


def test_server_status_of_a_dead_server_does_not_raise():
    settings = Settings(ollama_host=refused_host())
    began = time.monotonic()
    status = server_status(settings)
    assert time.monotonic() - began < 2
    assert status.reachable is False and status.version is None and status.models == []
    assert status.model_present is False
    assert status.error is not None and status.error.kind == "unreachable"


# -- pulling a model ---------------------------------------------------------------------------


def test_pull_reports_progress_in_order_and_the_model_is_then_listed(fake):
    fake.serve_tags([])
    fake.serve_pull("llama3.2", steps=3)
    settings = fake.settings()
    seen: list[PullProgress] = []

    pull_model(settings, "llama3.2", seen.append)

    statuses = [p.status for p in seen]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layers = [p for p in seen if p.digest]
    assert len(layers) == 3
    assert [p.completed for p in layers] == sorted(p.completed for p in layers)
    assert layers[-1].completed == layers[-1].total and layers[-1].fraction == 1.0
    assert fake.pull_requests() == [{"model": "llama3.2", "insecure": False, "stream": True}]
    assert server_status(settings).model_present


def test_pulling_an_unknown_model_says_so(fake):
    fake.serve_pull_error(model="no-such-model", steps_before=2)
    seen: list[PullProgress] = []
    with pytest.raises(OllamaError) as caught:
        pull_model(fake.settings(), "no-such-model", seen.append)
    assert len(seen) == 3  # the manifest line and two layer lines came first
    assert caught.value.kind == "server_error"
    assert_one_line(caught.value, "Ollama has no model named 'no-such-model'")


def test_an_error_line_during_a_pull_is_reported(fake):
    fake.serve_pull_error("max retries exceeded: dial tcp: lookup registry.ollama.ai: no such host")
    with pytest.raises(OllamaError) as caught:
        pull_model(fake.settings(), "llama3.2", lambda progress: None)
    assert caught.value.kind == "server_error"
    assert_one_line(caught.value, "Ollama reported an error: max retries exceeded")


def test_a_pull_that_ends_without_success_is_cut(fake):
    fake.serve_tags([])
    fake.serve_pull("llama3.2", steps=2, cut=True)
    seen: list[PullProgress] = []
    with pytest.raises(OllamaError) as caught:
        pull_model(fake.settings(), "llama3.2", seen.append)
    assert caught.value.kind == "stream_cut"
    assert_one_line(caught.value, "`tutor pull llama3.2` again")
    assert [p.status for p in seen][-1].startswith("pulling ")
    assert not server_status(fake.settings()).model_present


def test_pulling_from_a_dead_server_is_unreachable():
    with pytest.raises(OllamaError) as caught:
        pull_model(Settings(ollama_host=refused_host()), "llama3.2", lambda progress: None)
    assert caught.value.kind == "unreachable"
