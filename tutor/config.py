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
