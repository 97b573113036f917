"""`ask_structured`, the one structured-output call: the JSON schema goes to Ollama as
`format`, a reply that does not validate is asked for again a bounded number of times,
and a failed call is one `OllamaError` at once. On the wire (the real ChatOllama against
the fake Ollama server) and with a scripted model."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel

from tests.fake_ollama import FakeOllama, refused_host
from tests.fakes import ScriptedChatModel
from tutor.config import Settings
from tutor.llm import MalformedReplyError, OllamaError, ask_structured, build_chat_model


class Verdict(BaseModel):
    supported: bool
    reason: str = ""


VALID = json.dumps({"supported": True, "reason": "stated"})


def test_the_schema_goes_to_ollama_as_format_and_the_reply_is_validated() -> None:
    with FakeOllama() as fake:
        fake.serve_chat(VALID, chunk_words=False)
        model = build_chat_model(fake.settings())
        verdict = ask_structured(model, Verdict, "Decide.", "<passage>x</passage>")
        [request] = fake.chat_requests()
    assert verdict == Verdict(supported=True, reason="stated")
    assert request["format"] == Verdict.model_json_schema()
    assert [m["content"] for m in request["messages"]] == ["Decide.", "<passage>x</passage>"]


def test_a_malformed_reply_is_asked_for_again_within_the_bound() -> None:
    with FakeOllama() as fake:
        fake.serve_chat("{'supported': yes", chunk_words=False, once=True)
        fake.serve_chat(f"```json\n{VALID}\n```", chunk_words=False)  # a fenced reply
        model = build_chat_model(fake.settings())
        verdict = ask_structured(model, Verdict, "Decide.", "text", attempts=3)
        assert verdict.supported and len(fake.chat_requests()) == 2


def test_replies_that_never_validate_raise_after_the_bound() -> None:
    model = ScriptedChatModel(replies=["no json", '{"reason": "no verdict"}'])
    with pytest.raises(MalformedReplyError, match="no valid Verdict after 2 tries"):
        ask_structured(model, Verdict, "Decide.", "text", attempts=2)
    assert len(model.calls) == 2


def test_a_refused_connection_is_one_ollama_error_without_retries() -> None:
    model = build_chat_model(Settings(ollama_host=refused_host()))
    with pytest.raises(OllamaError) as caught:
        ask_structured(model, Verdict, "Decide.", "text")
    assert caught.value.kind == "unreachable"
    assert "Ollama is not running at http://127.0.0.1:" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.RemoteProtocolError("incomplete chunked read"), "stream_cut"),
    ],
)
def test_a_failed_call_is_classified_and_not_repeated(error: Exception, kind: str) -> None:
    model = ScriptedChatModel(replies=[error])
    with pytest.raises(OllamaError) as caught:
        ask_structured(model, Verdict, "Decide.", "text")
    assert caught.value.kind == kind and len(model.calls) == 1
