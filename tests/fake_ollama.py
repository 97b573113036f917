"""A fake Ollama server on loopback that speaks Ollama's HTTP API, for wire-level tests.

`FakeOllama` wraps a threaded pytest-httpserver `HTTPServer` and answers the endpoints the
tutor uses (`/api/chat`, `/api/tags`, `/api/version`, `/api/show`, `/api/pull`) the way a
real server does: NDJSON streams ending in a `"done": true` (chat) or `"success"` (pull)
record, `{"error": ...}` bodies and lines for failures. Each `serve_*` call sets how an
endpoint answers from then on; pass `once=True` to queue a reply for the next request only
(several queue up in order), e.g. to script a quiz that calls the model twice.

Use the `fake_ollama` fixture (it also points OLLAMA_HOST at the fake), or
`with FakeOllama() as fake:` and `Settings(ollama_host=fake.host)`.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tutor.config import Settings

DEFAULT_MODEL = "llama3.2"
DEFAULT_VERSION = "0.12.6"
CREATED_AT = "2025-01-01T00:00:00.000000Z"
NDJSON = "application/x-ndjson"

Handler = Callable[[Request], Response]


def closed_port() -> int:
    """A loopback port nothing listens on, so connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refused_host() -> str:
    """An OLLAMA_HOST value (`127.0.0.1:PORT`) where connections are refused."""
    return f"127.0.0.1:{closed_port()}"


def split_words(text: str) -> list[str]:
    """Word-sized stream pieces that join back to exactly `text` (spaces stay attached)."""
    return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record) + "\n").encode()


def _tagged(name: str) -> str:
    """Ollama always lists a model with a tag: "llama3.2" is stored as "llama3.2:latest"."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


class DroppedConnection(ConnectionError):
    """Raised inside a streamed body: werkzeug then closes the socket without ending the
    chunked body (no terminating chunk), which the client sees as a protocol error."""


class _QuickStopServer(HTTPServer):
    """pytest-httpserver's server, polling for shutdown every 20 ms instead of 500 ms,
    so stopping one per test costs next to nothing."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


class FakeOllama:
    """A loopback HTTP server answering like Ollama; see the module docstring."""

    def __init__(self, models: Iterable[str] = (DEFAULT_MODEL,)) -> None:
        # threaded: a stalled reply must not hold up other requests (status checks, retries).
        self.server = _QuickStopServer(host="127.0.0.1", port=0, threaded=True)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._defaults: dict[str, Handler] = {}
        self._queued: dict[str, deque[Handler]] = {}
        self._shown: dict[str, dict[str, Any]] = {}
        self.models: list[str] = []
        self.version = DEFAULT_VERSION
        self.serve_tags(models)
        self.serve_version(DEFAULT_VERSION)
        self._defaults["/"] = lambda request: Response("Ollama is running", mimetype="text/plain")
        self._defaults["/api/show"] = self._show
        self._defaults["/api/chat"] = lambda request: _error(
            500, "FakeOllama has no chat reply set: call serve_chat() or another serve_chat_*()"
        )
        self._defaults["/api/pull"] = lambda request: _error(
            500, "FakeOllama has no pull reply set: call serve_pull()"
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOllama:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        self.server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled replies so their threads end
        if self.server.is_running():
            self.server.stop()  # werkzeug closes the listening socket as serving ends

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def host(self) -> str:
        """The `127.0.0.1:PORT` form, as OLLAMA_HOST takes it."""
        return f"127.0.0.1:{self.server.port}"

    def settings(self, **overrides: Any) -> Settings:
        """Settings pointing at this server (other fields from the environment)."""
        return Settings(ollama_host=self.host, **overrides)

    # -- what was asked --------------------------------------------------------------------

    def requests(self, path: str | None = None) -> list[Request]:
        """The requests received so far, oldest first, optionally only those to `path`."""
        return [req for req, _ in list(self.server.log) if path is None or req.path == path]

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the /api/chat requests received: model, messages, options..."""
        return [json.loads(req.get_data()) for req in self.requests("/api/chat")]

    def pull_requests(self) -> list[dict[str, Any]]:
        return [json.loads(req.get_data()) for req in self.requests("/api/pull")]

    # -- routing ---------------------------------------------------------------------------

    def _set(self, path: str, handler: Handler, once: bool = False) -> None:
        with self._lock:
            if once:
                self._queued.setdefault(path, deque()).append(handler)
            else:
                self._defaults[path] = handler

    def _dispatch(self, request: Request) -> Response:
        with self._lock:
            queued = self._queued.get(request.path)
            handler = queued.popleft() if queued else self._defaults.get(request.path)
        if handler is None:
            return Response("404 page not found", status=404, mimetype="text/plain")
        return handler(request)

    # -- models and version ----------------------------------------------------------------

    def serve_tags(self, models: Iterable[str]) -> None:
        """The installed models `GET /api/tags` lists (untagged names get ":latest")."""
        self.models = [_tagged(name) for name in models]
        self._set("/api/tags", self._tags)

    def _tags(self, request: Request) -> Response:
        entries = [
            {
                "name": name,
                "model": name,
                "modified_at": CREATED_AT,
                "size": 2019393189,
                "digest": _digest(name).removeprefix("sha256:"),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "3.2B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for name in list(self.models)
        ]
        return Response(json.dumps({"models": entries}), mimetype="application/json")

    def serve_version(self, version: str) -> None:
        self.version = version
        self._set(
            "/api/version",
            lambda request: Response(json.dumps({"version": version}), mimetype="application/json"),
        )

    def serve_show(self, model: str, context_length: int = 131072) -> None:
        """Let `POST /api/show` describe `model`; listed models are described anyway."""
        self._shown[_tagged(model)] = {"llama.context_length": context_length}

    def _show(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        name = _tagged(str(body.get("model") or body.get("name") or ""))
        if name not in self._shown and name not in self.models:
            return _error(404, f"model '{name}' not found")
        info = {"general.architecture": "llama", "llama.context_length": 131072}
        info.update(self._shown.get(name, {}))
        return Response(
            json.dumps(
                {
                    "modelfile": f"FROM {name}\n",
                    "parameters": 'stop "<|eot_id|>"',
                    "template": "{{ .Prompt }}",
                    "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B"},
                    "model_info": info,
                    "capabilities": ["completion", "tools"],
                    "modified_at": CREATED_AT,
                }
            ),
            mimetype="application/json",
        )

    # -- chat ------------------------------------------------------------------------------

    def serve_chat(
        self,
        text: str | Sequence[str],
        model: str | None = None,
        chunk_words: bool = True,
        done_reason: str = "stop",
        once: bool = False,
    ) -> None:
        """Answer /api/chat with `text`, streamed word by word (or as the given pieces).

        `model` is the name put in each record; by default the requested model's.
        A request with `"stream": false` gets the whole answer as one record.
        """
        pieces = self._pieces(text, chunk_words)

        def reply(request: Request) -> Response:
            name = model or self._requested_model(request)
            if json.loads(request.get_data() or b"{}").get("stream") is False:
                record = self._done_record(request, name, pieces, done_reason)
                record["message"]["content"] = "".join(pieces)
                return Response(json.dumps(record), mimetype="application/json")

            def body() -> Iterator[bytes]:
                for piece in pieces:
                    yield _line(self._chunk_record(name, piece))
                yield _line(self._done_record(request, name, pieces, done_reason))

            return Response(body(), mimetype=NDJSON)

        self._set("/api/chat", reply, once)

    def serve_chat_error(
        self, status: int = 404, message: str | None = None, once: bool = False
    ) -> None:
        """Answer /api/chat with an HTTP error, by default Ollama's "model not found" 404."""

        def reply(request: Request) -> Response:
            text = message
            if text is None:
                text = f'model "{self._requested_model(request)}" not found, try pulling it first'
            return _error(status, text)

        self._set("/api/chat", reply, once)

    def serve_chat_error_line(self, text_before: str, error: str, once: bool = False) -> None:
        """Stream some of an answer, then an `{"error": ...}` line (as when the runner dies)."""
        self._set("/api/chat", self._partial_answer(text_before, {"error": error}), once)

    def serve_chat_cut(self, text_before: str, abrupt: bool = False, once: bool = False) -> None:
        """Stream some of an answer and stop before the done record.

        abrupt=False ends the HTTP body cleanly (the client sees a normal end of stream);
        abrupt=True drops the connection inside the chunked body (httpx raises
        RemoteProtocolError: "incomplete chunked read").
        """
        self._set("/api/chat", self._partial_answer(text_before, None, drop=abrupt), once)

    def _partial_answer(
        self, text_before: str, last: dict[str, Any] | None, drop: bool = False
    ) -> Handler:
        """A chat reply that streams `text_before`, then `last` (if any) instead of the done
        record, or drops the connection."""
        pieces = split_words(text_before)

        def reply(request: Request) -> Response:
            name = self._requested_model(request)

            def body() -> Iterator[bytes]:
                for piece in pieces:
                    yield _line(self._chunk_record(name, piece))
                if drop:
                    raise DroppedConnection("FakeOllama dropped the connection")
                if last is not None:
                    yield _line(last)

            return Response(body(), mimetype=NDJSON)

        return reply

    def serve_chat_stall(
        self, seconds: float, text: str = "too late", text_before: str = "", once: bool = False
    ) -> None:
        """Stream `text_before`, then send nothing for `seconds`, then the rest normally.

        With no `text_before`, not even the response headers are sent before the stall.
        """
        before, after = split_words(text_before), split_words(text)

        def reply(request: Request) -> Response:
            name = self._requested_model(request)
            if not before:
                self._stopping.wait(seconds)

            def body() -> Iterator[bytes]:
                for piece in before:
                    yield _line(self._chunk_record(name, piece))
                if before:
                    self._stopping.wait(seconds)
                for piece in after:
                    yield _line(self._chunk_record(name, piece))
                yield _line(self._done_record(request, name, before + after, "stop"))

            return Response(body(), mimetype=NDJSON)

        self._set("/api/chat", reply, once)

    @staticmethod
    def _pieces(text: str | Sequence[str], chunk_words: bool) -> list[str]:
        if isinstance(text, str):
            return split_words(text) if chunk_words else [text]
        return list(text)

    @staticmethod
    def _requested_model(request: Request) -> str:
        try:
            return str(json.loads(request.get_data() or b"{}").get("model") or DEFAULT_MODEL)
        except ValueError:
            return DEFAULT_MODEL

    @staticmethod
    def _chunk_record(model: str, piece: str) -> dict[str, Any]:
        return {
            "model": model,
            "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }

    @staticmethod
    def _done_record(
        request: Request, model: str, pieces: list[str], done_reason: str
    ) -> dict[str, Any]:
        body = json.loads(request.get_data() or b"{}")
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        return {
            "model": model,
            "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": ""},
            "done_reason": done_reason,
            "done": True,
            "total_duration": 1_500_000_000,
            "load_duration": 20_000_000,
            "prompt_eval_count": prompt_words,
            "prompt_eval_duration": 300_000_000,
            "eval_count": len(pieces),
            "eval_duration": 1_000_000_000,
        }

    # -- pull ------------------------------------------------------------------------------

    def serve_pull(
        self, model: str = DEFAULT_MODEL, steps: int = 3, cut: bool = False, once: bool = False
    ) -> None:
        """Answer /api/pull with Ollama's progress lines for one layer in `steps` parts, then
        `{"status": "success"}`; the model is listed by /api/tags afterwards.

        cut=True ends the stream after the layer lines, without "success".
        """

        def reply(request: Request) -> Response:
            return Response(self._pull_lines(model, steps, finish=not cut), mimetype=NDJSON)

        self._set("/api/pull", reply, once)

    def serve_pull_error(
        self,
        error: str = "pull model manifest: file does not exist",
        model: str = DEFAULT_MODEL,
        steps_before: int = 0,
        once: bool = False,
    ) -> None:
        """Answer /api/pull with `steps_before` progress lines, then an `{"error": ...}` line
        (the default error is what Ollama says for a name its library does not have)."""

        def reply(request: Request) -> Response:
            def body() -> Iterator[bytes]:
                if steps_before:
                    yield from self._pull_lines(model, steps_before, finish=False)
                yield _line({"error": error})

            return Response(body(), mimetype=NDJSON)

        self._set("/api/pull", reply, once)

    def _pull_lines(self, model: str, steps: int, finish: bool) -> Iterator[bytes]:
        digest = _digest(model)
        total = 2_019_377_376
        yield _line({"status": "pulling manifest"})
        for step in range(1, steps + 1):
            yield _line(
                {
                    "status": f"pulling {digest.removeprefix('sha256:')[:12]}",
                    "digest": digest,
                    "total": total,
                    "completed": total * step // steps,
                }
            )
        if finish:
            yield _line({"status": "verifying sha256 digest"})
            yield _line({"status": "writing manifest"})
            with self._lock:
                if _tagged(model) not in self.models:
                    self.models.append(_tagged(model))
            yield _line({"status": "success"})


@pytest.fixture
def fake_ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    """A running FakeOllama listing the default model; OLLAMA_HOST points at it."""
    with FakeOllama() as fake:
        monkeypatch.setenv("OLLAMA_HOST", fake.host)
        yield fake
