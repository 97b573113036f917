"""Settings, read from the environment (``TUTOR_*`` and Ollama's own ``OLLAMA_HOST``) and
from the learner's config file (what the app's Settings screen saves); the environment wins."""

from __future__ import annotations

import os
import tomllib
from contextlib import suppress
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import AliasChoices, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tutor.errors import TutorError

# The study material ships beside the package in a source checkout.
PROJECT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
# Small enough (3B, ~2 GB) to answer at reading speed on a laptop CPU, and follows
# "answer only from these passages, cite them" instructions reliably.
DEFAULT_CHAT_MODEL = "llama3.2"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("study-tutor", appauthor=False))


def config_path() -> Path:
    """The learner's config file: `TUTOR_CONFIG_FILE`, or `config.toml` in the user config dir."""
    chosen = os.environ.get("TUTOR_CONFIG_FILE")
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_config_dir("study-tutor", appauthor=False)) / "config.toml"


SAVED_SETTINGS = (
    "ollama_host",
    "ollama_model",
    "socratic",
    "learner",
    "offline",
    "exam_date",
    "query_rewrite",
    "reranker",
)
"""What the app's Settings screen may write to the config file."""


class _ConfigFile(TomlConfigSettingsSource):
    """The config file as a settings source; a broken file is a one-line error, not a crash."""

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        try:
            return super()._read_file(file_path)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise TutorError(f"cannot read the config file {file_path}: {error}") from None


def _default_corpus_dir() -> Path:
    return PROJECT_CORPUS if PROJECT_CORPUS.is_dir() else Path.cwd() / "corpus"


class Settings(BaseSettings):
    """Everything the tutor can be told from outside; each field maps to ``TUTOR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", extra="ignore", validate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment, then the config file the app writes.
        return init_settings, env_settings, _ConfigFile(settings_cls, toml_file=config_path())

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the index, manifest and learner data live."""

    corpus_dir: Path = Field(default_factory=_default_corpus_dir)
    """What `tutor index` indexes when given no paths."""

    topics_file: Path | None = None
    """The topic map; defaults to `topics.toml` in the corpus dir."""

    chroma_url: str | None = None
    """`http://host:port` of a Chroma server; unset means the embedded store in the data dir."""

    chroma_collection: str = "tutor_chunks"
    """The Chroma collection; give each data dir its own when several share one server."""

    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    """A sentence-transformers model name or local path; the default is the packaged MiniLM."""

    models_dir: Path | None = None
    """Where the ONNX exports are kept (default: `models` in the data dir); data dirs may
    share one."""

    embedding_runtime: Literal["onnx", "torch"] = "onnx"
    """How the embedding model runs: "onnx" (ONNX Runtime, exported once into the data dir;
    no torch for a question) or "torch" (sentence-transformers as loaded)."""

    max_file_mb: float = 20.0
    """Files larger than this are skipped when indexing."""

    ollama_host: str = Field(
        default="127.0.0.1:11434",
        validation_alias=AliasChoices("OLLAMA_HOST", "TUTOR_OLLAMA_HOST"),
    )
    """Ollama's address, in Ollama's own convention (`host:port` or a URL)."""

    ollama_model: str = DEFAULT_CHAT_MODEL
    """The Ollama chat model that explains answers (pull it with `tutor pull`)."""

    num_ctx: int = Field(default=4096, ge=1024)
    """The model's context window in tokens; the prompt is trimmed to fit it."""

    answer_tokens: int = Field(default=768, ge=64)
    """Tokens kept free in the context window for the answer itself."""

    ollama_connect_timeout: float = Field(default=5.0, gt=0)
    """Seconds to wait for Ollama to accept a connection."""

    ollama_timeout: float = Field(default=120.0, gt=0)
    """Seconds to wait for the first token, or between two tokens, before giving up."""

    learner: str = Field(default="default", min_length=1, max_length=64)
    """Whose progress is recorded; several learners can share one data dir."""

    socratic: bool = False
    """Guide with hints and a question back instead of giving the answer outright."""

    offer_checks: bool = True
    """After an explanation, offer a one-question check on the topic."""

    offline: bool = False
    """Never call Ollama: answers quote the material (as `--offline` does)."""

    query_rewrite: bool = False
    """Before answering, ask the model for 2-3 search queries in the material's terms and
    search them beside the question (one more model call per question)."""

    reranker: Path | None = None
    """A cross-encoder on disk (a sentence-transformers CrossEncoder directory) that
    re-scores the best passages found; none is shipped, and none is downloaded."""

    exam_date: date | None = None
    """The day of the learner's exam (YYYY-MM-DD): `tutor readiness` forecasts for it, and
    quizzes aim at what raises that forecast most once it is set."""

    @cached_property
    def topics_path(self) -> Path:
        return self.topics_file or self.corpus_dir / "topics.toml"

    @property
    def exam_path(self) -> Path:
        """The exam's name and facts (`exam.toml` beside the topic map)."""
        return self.corpus_dir / "exam.toml"

    @property
    def blueprint_path(self) -> Path:
        """The exam's sections, weights and objectives (`blueprint.toml` beside the topic
        map)."""
        return self.corpus_dir / "blueprint.toml"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "tutor.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def learner_path(self) -> Path:
        return self.data_dir / "learner.sqlite"

    @property
    def checkpoints_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    @property
    def onnx_cache_path(self) -> Path:
        """Where the embedding model's ONNX exports are kept."""
        return self.models_dir or self.data_dir / "models"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "index.lock"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def ollama_url(self) -> str:
        """`OLLAMA_HOST` as a URL, accepting Ollama's bare `host:port` and `:port` forms."""
        host = self.ollama_host.strip()
        if "://" not in host:
            host = "http://" + (f"127.0.0.1{host}" if host.startswith(":") else host)
        scheme, rest = host.split("://", 1)
        if ":" not in rest.split("/", 1)[0]:
            rest = rest.split("/", 1)[0] + ":11434"
        return f"{scheme}://{rest}".rstrip("/")


def save_settings(changes: dict[str, Any]) -> Path:
    """Merge `changes` into the config file (atomically: a crash leaves the old file whole;
    a None value removes the setting) and return its path. Only the settings the app lets
    the learner change are accepted."""
    unknown = set(changes) - set(SAVED_SETTINGS)
    if unknown:
        raise ValueError(f"not a saved setting: {', '.join(sorted(unknown))}")
    path = config_path()
    current: dict[str, Any] = {}
    if path.exists():
        try:
            current = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise TutorError(f"cannot read the config file {path}: {error}") from None
    current.update({k: str(v) if isinstance(v, Path) else v for k, v in changes.items()})
    # None clears a setting (TOML has no null): the default applies again.
    current = {key: value for key, value in current.items() if value is not None}
    partial = path.with_suffix(".toml.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(tomli_w.dumps(current), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        # A full disk leaves the partial file cut short: remove it, keep the old file.
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = error.strerror or str(error)
        raise TutorError(f"cannot save the settings to {path}: {reason}") from None
    return path
