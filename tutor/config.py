"""Settings, read from the environment (``TUTOR_*`` and Ollama's own ``OLLAMA_HOST``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The study material ships beside the package in a source checkout.
PROJECT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
# Small enough (3B, ~2 GB) to answer at reading speed on a laptop CPU, and follows
# "answer only from these passages, cite them" instructions reliably.
DEFAULT_CHAT_MODEL = "llama3.2"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("study-tutor", appauthor=False))


def _default_corpus_dir() -> Path:
    return PROJECT_CORPUS if PROJECT_CORPUS.is_dir() else Path.cwd() / "corpus"


class Settings(BaseSettings):
    """Everything the tutor can be told from outside; each field maps to ``TUTOR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", extra="ignore")

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

    @cached_property
    def topics_path(self) -> Path:
        return self.topics_file or self.corpus_dir / "topics.toml"

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
