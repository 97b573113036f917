"""The one place chat models are built, and everything that talks to the Ollama server.

Graphs get their chat model from `build_chat_model` (or a LangChain fake in tests) and read
answers through `stream_text`, which turns every failure of the ollama client, httpx or
langchain-ollama into an `OllamaError`: a `kind` callers can branch on (fall back to offline
mode, offer `tutor pull`, report a cut answer) and a one-line message that says what to do.
`ask_structured` is the one structured-output call (the quiz's questions and verdicts);
`server_status` and `pull_model` serve `tutor doctor`, `tutor pull` and the TUI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import httpx
import ollama
import pydantic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_ollama import ChatOllama

from tutor.config import Settings
from tutor.errors import TutorError

OllamaErrorKind = Literal["unreachable", "model_missing", "timeout", "stream_cut", "server_error"]

T = TypeVar("T", bound=pydantic.BaseModel)

# Low, so explanations stay close to the cited passages and grading is repeatable; not 0,
# which makes small models prone to repeating themselves in long answers.
TEMPERATURE = 0.2


class OllamaError(TutorError):
    """Ollama could not give an answer; `kind` says why, the message says what to do.

    Errors raised by `stream_text` also carry `partial` (the text received before the
    failure) and `started` (whether any of it had been handed to the caller).
    """

    def __init__(self, kind: OllamaErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: OllamaErrorKind = kind
        self.partial = ""
        self.started = False


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def _seconds(value: float) -> str:
    return f"{value:g}"


def _unreachable(settings: Settings) -> OllamaError:
    return OllamaError(
        "unreachable",
        f"Ollama is not running at {settings.ollama_url}: start it with `ollama serve` "
        "(or set OLLAMA_HOST)",
    )


def _model_missing(settings: Settings, model: str) -> OllamaError:
    return OllamaError(
        "model_missing",
        f"the model '{model}' is not pulled on {settings.ollama_url}: run `tutor pull {model}`",
    )


def _stream_cut() -> OllamaError:
    return OllamaError(
        "stream_cut",
        "the answer was cut off: the connection to Ollama ended mid-answer; ask again, and "
        "if it keeps happening check the Ollama server's log",
    )


def _server_error(detail: str) -> OllamaError:
    return OllamaError("server_error", f"Ollama reported an error: {detail or 'no details'}")


def _timeout(exc: httpx.TimeoutException, settings: Settings) -> OllamaError:
    # The request records the timeouts it ran with, which may be a caller's own (doctor's 2 s).
    try:
        limits = exc.request.extensions.get("timeout", {})
    except RuntimeError:  # an exception raised without a request attached
        limits = {}
    if isinstance(exc, httpx.ConnectTimeout):
        seconds = limits.get("connect") or settings.ollama_connect_timeout
        return OllamaError(
            "timeout",
            f"Ollama did not answer within {_seconds(seconds)} s at {settings.ollama_url}: "
            "check that it is running and OLLAMA_HOST is right "
            "(or raise TUTOR_OLLAMA_CONNECT_TIMEOUT)",
        )
    seconds = limits.get("read") or settings.ollama_timeout
    return OllamaError(
        "timeout",
        f"Ollama did not answer within {_seconds(seconds)} s: the model may still be loading "
        "or the machine is busy; try again, or raise TUTOR_OLLAMA_TIMEOUT",
    )


def ollama_error(exc: BaseException, settings: Settings, model: str | None = None) -> OllamaError:
    """Classify an exception from the ollama client, httpx or langchain-ollama."""
    model = model or settings.ollama_model
    if isinstance(exc, OllamaError):
        return exc
    if isinstance(exc, httpx.TimeoutException):  # before ConnectError: ConnectTimeout is both
        return _timeout(exc, settings)
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return _stream_cut()
    # The ollama client turns httpx.ConnectError into the builtin ConnectionError, but only
    # for non-streamed requests: a streamed chat or pull raises httpx.ConnectError itself.
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return _unreachable(settings)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return _stream_cut()
    if isinstance(exc, ollama.ResponseError):
        # Streamed error lines arrive with status_code -1, so the text is checked as well.
        if exc.status_code == 404 or "not found" in str(exc.error).lower():
            return _model_missing(settings, model)
        return _server_error(_first_line(exc.error))
    if isinstance(exc, json.JSONDecodeError | pydantic.ValidationError):
        return OllamaError(
            "server_error",
            f"the server at {settings.ollama_url} sent a reply that is not Ollama's "
            f"({_first_line(exc)}): check OLLAMA_HOST",
        )
    return _server_error(_first_line(exc) or type(exc).__name__)


def _invoke_error(exc: BaseException, model: object) -> OllamaError:
    """Classify a failed `model.invoke` where no settings are at hand (quiz questions):
    the server's address and the model's name are read off the ChatOllama itself."""
    chat = model if isinstance(model, ChatOllama) else getattr(model, "bound", None)
    known: dict[str, str] = {}
    if isinstance(chat, ChatOllama):
        known["ollama_model"] = chat.model
        if chat.base_url:
            known["ollama_host"] = chat.base_url
    if isinstance(exc, ValueError) and "No generation chunks" in str(exc):
        return _stream_cut()  # langchain-core's complaint when the body ended empty
    # model_construct: the defaults without reading the environment or the config file.
    return ollama_error(exc, Settings.model_construct(**known))


class MalformedReplyError(Exception):
    """The model's replies did not validate against the schema asked for."""


def ask_structured(
    model: BaseChatModel, schema: type[T], system: str, user: str, *, attempts: int = 3
) -> T:
    """The model's reply as `schema`, constrained by Ollama's `format` and validated.

    A reply that does not validate is asked for again (`MalformedReplyError` after
    `attempts`); a failed call (Ollama unreachable, stalled, cut off, reporting an error)
    is raised at once as an `OllamaError`: asking again would only repeat the wait.
    """
    messages = [SystemMessage(system), HumanMessage(user)]
    bound = model.bind(format=schema.model_json_schema())
    last: Exception | None = None
    for _ in range(attempts):
        try:
            reply = bound.invoke(messages)
        except Exception as error:
            raise _invoke_error(error, model) from error
        try:
            return schema.model_validate_json(_json_text(str(reply.content)))
        except (pydantic.ValidationError, ValueError) as error:
            last = error
    raise MalformedReplyError(f"no valid {schema.__name__} after {attempts} tries: {last}")


def _json_text(text: str) -> str:
    """The JSON object in a reply (some models wrap it in a code fence despite `format`)."""
    match = re.search(r"\{.*\}", text, re.S)
    if match is None:
        raise ValueError("the reply holds no JSON object")
    return match.group(0)


def build_chat_model(settings: Settings, model: str | None = None) -> ChatOllama:
    """The Ollama chat model, with an explicit context window, answer budget and timeouts."""
    return ChatOllama(
        model=model or settings.ollama_model,
        base_url=settings.ollama_url,
        # Ollama's default context (2048 in older servers) silently drops the start of a
        # long prompt, i.e. the retrieved passages; the prompt builder trims to num_ctx.
        num_ctx=settings.num_ctx,
        num_predict=settings.answer_tokens,
        temperature=TEMPERATURE,
        # ChatOllama hands these to ollama.Client, which passes them to the httpx.Client
        # every request (streamed ones included) uses; `read` bounds the wait for the
        # first token and between two tokens.
        client_kwargs={"timeout": _http_timeout(settings)},
    )


def _http_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.ollama_timeout, connect=settings.ollama_connect_timeout)


def _is_ollama(model: object) -> bool:
    # A model wrapped by .bind()/.with_config() is a RunnableBinding around the ChatOllama.
    return isinstance(model, ChatOllama) or isinstance(getattr(model, "bound", None), ChatOllama)


def stream_text(
    model: BaseChatModel, messages: list[BaseMessage], settings: Settings
) -> Iterator[str]:
    """The reply as text pieces, in order; any failure is raised as an `OllamaError`.

    `model.stream` is used (not the ollama client) so LangGraph's "messages" stream mode and
    callbacks see the tokens. For a ChatOllama the final `"done": true` record is required:
    langchain-ollama ends quietly when the connection closes without it, which would pass
    half an answer off as a whole one.
    """
    require_done = _is_ollama(model)
    name = getattr(model, "model", None) or getattr(getattr(model, "bound", None), "model", None)
    received: list[str] = []
    done = False

    def failed(error: OllamaError) -> OllamaError:
        error.partial = "".join(received)
        error.started = bool(received)
        return error

    stream = model.stream(messages)
    try:
        for chunk in stream:
            # langchain-core copies the chunk's generation_info into response_metadata;
            # langchain-ollama puts the whole done record there, so "done" is True only
            # on the final chunk.
            if chunk.response_metadata.get("done") is True:
                done = True
            text = chunk.text
            if text:
                received.append(text)
                yield text
    except Exception as exc:
        if require_done and isinstance(exc, ValueError) and "No generation chunks" in str(exc):
            # langchain-core's complaint when the body ended before a single record.
            raise failed(_stream_cut()) from exc
        raise failed(ollama_error(exc, settings, name)) from exc
    finally:
        stream.close()  # closes the HTTP response when the caller stops early
    if require_done and not done:
        raise failed(_stream_cut())


@dataclass
class ServerStatus:
    """What the Ollama server at `url` offers; `error` is None exactly when chat can run."""

    url: str
    reachable: bool
    version: str | None
    models: list[str]
    model: str
    model_present: bool
    error: OllamaError | None = None
    context_length: int | None = None
    """The model's trained context window (from `POST /api/show`), when it is present."""


def model_matches(wanted: str, installed: str) -> bool:
    """Ollama's naming: "llama3.2" means "llama3.2:latest"; an explicit tag must match."""
    if ":" in wanted.rsplit("/", 1)[-1]:
        return installed == wanted
    return installed in (wanted, f"{wanted}:latest")


def server_status(
    settings: Settings, model: str | None = None, timeout: float = 2.0
) -> ServerStatus:
    """Ask the server which models it has and its version; never raises for network trouble."""
    wanted = model or settings.ollama_model
    url = settings.ollama_url
    try:
        with ollama.Client(host=url, timeout=timeout) as client:
            models = [entry.model for entry in client.list().models if entry.model]
    except Exception as exc:
        if isinstance(exc, ollama.ResponseError) and exc.status_code == 404:
            # Some other web server: no /api/tags means this is not Ollama at all.
            error = OllamaError(
                "server_error",
                f"the server at {url} is not Ollama (GET /api/tags gave 404): check OLLAMA_HOST",
            )
        else:
            error = ollama_error(exc, settings, wanted)
        reachable = error.kind not in ("unreachable", "timeout")
        return ServerStatus(url, reachable, None, [], wanted, False, error)
    present = any(model_matches(wanted, name) for name in models)
    return ServerStatus(
        url=url,
        reachable=True,
        version=_server_version(url, timeout),
        models=models,
        model=wanted,
        model_present=present,
        error=None if present else _model_missing(settings, wanted),
        context_length=_context_length(url, wanted, timeout) if present else None,
    )


def _context_length(url: str, model: str, timeout: float) -> int | None:
    """The model's context window from `POST /api/show` (informational: None if unknown)."""
    try:
        with ollama.Client(host=url, timeout=timeout) as client:
            info = client.show(model).modelinfo or {}
    except Exception:
        return None
    lengths = [v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)]
    return lengths[0] if lengths else None


def _server_version(url: str, timeout: float) -> str | None:
    # ollama 0.6.3's Client has no call for GET /api/version; the version is informational.
    try:
        response = httpx.get(f"{url}/api/version", timeout=timeout)
        response.raise_for_status()
        version = response.json().get("version")
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return str(version) if version else None


@dataclass
class PullProgress:
    """One progress line of `ollama pull`: a status, and byte counts while a layer downloads."""

    status: str
    digest: str | None = None
    completed: int | None = None
    total: int | None = None
    fraction: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.total and self.completed is not None:
            self.fraction = min(self.completed / self.total, 1.0)


def pull_model(settings: Settings, model: str, on_progress: Callable[[PullProgress], None]) -> None:
    """Download `model` into the Ollama server, reporting each progress line as it comes."""
    finished = False
    # Pulls run for minutes, but Ollama sends progress several times a second, so the
    # per-read timeout still catches a server that went silent.
    with ollama.Client(host=settings.ollama_url, timeout=_http_timeout(settings)) as client:
        try:
            stream = client.pull(model, stream=True)
        except Exception as exc:
            raise _pull_error(exc, settings, model) from exc
        while True:
            try:
                part = next(stream)
            except StopIteration:
                break
            except Exception as exc:
                raise _pull_error(exc, settings, model) from exc
            # Outside the try: an exception from the caller's callback is not Ollama's.
            on_progress(PullProgress(part.status or "", part.digest, part.completed, part.total))
            finished = finished or part.status == "success"
    if not finished:
        raise OllamaError(
            "stream_cut",
            f"the pull of '{model}' was cut off: the connection to Ollama ended before it "
            f"finished; run `tutor pull {model}` again (it resumes)",
        )


def _pull_error(exc: Exception, settings: Settings, model: str) -> OllamaError:
    if isinstance(exc, ollama.ResponseError):
        text = str(exc.error).lower()
        # Ollama answers a pull of an unknown name with "pull model manifest: file does not
        # exist"; server_error, not model_missing, whose advice is to pull it.
        if exc.status_code == 404 or "file does not exist" in text or "not found" in text:
            return OllamaError(
                "server_error",
                f"Ollama has no model named '{model}': check the name at "
                "https://ollama.com/library",
            )
    return ollama_error(exc, settings, model)
