"""The dense index: a Chroma collection, embedded in the data dir or on a Chroma server.

Vectors are always computed by the tutor's own embedder and passed in explicitly; the
collection is opened without an embedding function so Chroma's default (which would
download a model) is never used.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import numpy as np

from tutor.config import Settings
from tutor.errors import IndexMismatchError, TutorError
from tutor.storage import storage_hint, storage_problem

MODEL_KEY = "embedding_model"
T = TypeVar("T")


class VectorStoreError(TutorError):
    """The vector store cannot be opened or read: a server gone, or a damaged store."""


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    logging.getLogger("chromadb").setLevel(logging.ERROR)
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        try:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(
                path=str(settings.chroma_path), settings=chroma_settings
            )
        except Exception as error:  # a damaged or read-only store fails here (InternalError)
            raise VectorStoreError(
                f"cannot open the vector store ({describe(settings)}): {_cause(error, settings)}"
            ) from None
    url = urlparse(settings.chroma_url)
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise TutorError(
            f"TUTOR_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}"
        )
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    except Exception as error:  # chromadb raises plain Exception/ValueError when unreachable
        raise VectorStoreError(
            f"cannot reach the Chroma server at {settings.chroma_url} ({error}); start it with "
            "`chroma run --path DIR --port PORT` or unset TUTOR_CHROMA_URL"
        ) from None


def _store_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Chroma signals trouble (a server gone, a damaged store) with assorted exception
    types; the learner gets one line naming the store instead."""

    @functools.wraps(method)
    def guarded(self: VectorStore, *args, **kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except TutorError:
            raise
        except Exception as error:
            raise VectorStoreError(
                f"the vector store ({describe(self.settings)}) failed: "
                f"{_cause(error, self.settings)}"
            ) from None

    return guarded


def _cause(error: Exception, settings: Settings) -> str:
    """Why the store failed and what to do: a full disk or a read-only data dir is for the
    learner to fix (said as for the other stores); anything else, a rebuild."""
    if storage_hint(error):
        return storage_problem(error)
    return f"{_reason(error)}{_advice(settings)}"


def _reason(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _advice(settings: Settings) -> str:
    """What to do about an embedded store that fails: it is rebuilt from the catalog."""
    return "" if settings.chroma_url else "; run `tutor doctor --repair` to rebuild it"


def set_aside_damaged_store(settings: Settings) -> Path:
    """Move an embedded store that cannot be read out of the way (it is kept, renamed),
    so a new one can be built in its place; returns where it went."""
    from chromadb.api.client import SharedSystemClient

    # Chroma keeps one client per path, failed ones too: it would hand this one out again.
    SharedSystemClient.clear_system_cache()
    aside = settings.chroma_path.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    settings.chroma_path.rename(aside)
    return aside


def describe(settings: Settings) -> str:
    if settings.chroma_url:
        return f"server at {settings.chroma_url}"
    return f"embedded in {settings.chroma_path}"


class VectorStore:
    """Chunk vectors keyed by chunk id, tagged with the model that made them."""

    def __init__(
        self, settings: Settings, *, create: bool = True, check_model: bool = True
    ) -> None:
        self.settings = settings
        self.client = _client(settings)
        self.model = settings.embedding_model
        self.name = settings.chroma_collection
        self._collection = self._open(create, check_model)

    def _open(self, create: bool, check_model: bool):
        try:
            if create:
                collection = self._get_or_create()
            else:
                if not self._has_collection():
                    return None
                collection = self.client.get_collection(self.name, embedding_function=None)
        except TutorError:
            raise
        except Exception as error:
            raise VectorStoreError(
                f"cannot open the vector store ({describe(self.settings)}): "
                f"{_cause(error, self.settings)}"
            ) from None
        built_with = (collection.metadata or {}).get(MODEL_KEY)
        if check_model and built_with != self.model:
            raise IndexMismatchError(built_with, self.model)
        return collection

    def _has_collection(self) -> bool:
        return any(
            (c if isinstance(c, str) else c.name) == self.name
            for c in self.client.list_collections()
        )

    @property
    def exists(self) -> bool:
        return self._collection is not None

    @_store_errors
    def reset(self) -> None:
        """Drop every vector (a rebuild, or a new embedding model)."""
        if self._has_collection():
            self.client.delete_collection(self.name)
        self._collection = self._get_or_create()

    def _get_or_create(self):
        # No embedding function: vectors always come from the tutor's embedder.
        return self.client.get_or_create_collection(
            self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={MODEL_KEY: self.model},
        )

    @_store_errors
    def count(self) -> int:
        return self._collection.count() if self._collection else 0

    @_store_errors
    def ids(self) -> set[str]:
        if not self._collection:
            return set()
        found: set[str] = set()
        offset, page = 0, 5000
        while True:
            batch = self._collection.get(include=[], limit=page, offset=offset)["ids"]
            found.update(batch)
            if len(batch) < page:
                return found
            offset += page

    @_store_errors
    def entries(self) -> dict[str, tuple[dict, str]]:
        """Every vector's (metadata, document) by chunk id, for checking them against the
        catalog (`tutor doctor`)."""
        if not self._collection:
            return {}
        found: dict[str, tuple[dict, str]] = {}
        offset, page = 0, 5000
        while True:
            batch = self._collection.get(
                include=["metadatas", "documents"], limit=page, offset=offset
            )
            for i, metadata, document in zip(
                batch["ids"], batch["metadatas"], batch["documents"], strict=True
            ):
                found[i] = (dict(metadata or {}), document or "")
            if len(batch["ids"]) < page:
                return found
            offset += page

    @_store_errors
    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids or not self._collection:
            return {}
        result = self._collection.get(ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(result["ids"], result["embeddings"], strict=True)
        }

    @_store_errors
    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every chunk id and its vector (rows in the same order), read in pages."""
        if not self._collection:
            return [], np.zeros((0, 0), dtype=np.float32)
        ids: list[str] = []
        rows: list[np.ndarray] = []
        offset, page = 0, 5000
        while True:
            batch = self._collection.get(include=["embeddings"], limit=page, offset=offset)
            ids += batch["ids"]
            if len(batch["ids"]):
                rows.append(np.asarray(batch["embeddings"], dtype=np.float32))
            if len(batch["ids"]) < page:
                break
            offset += page
        return ids, (np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32))

    @_store_errors
    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict],
        documents: Sequence[str],
    ) -> None:
        self._collection.upsert(
            ids=list(ids), embeddings=vectors, metadatas=list(metadatas), documents=list(documents)
        )

    @_store_errors
    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 1000):
            self._collection.delete(ids=ids[start : start + 1000])

    @_store_errors
    def query(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the nearest chunks, best first."""
        if not self._collection or limit <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=limit, include=["distances"]
        )
        return [(i, 1.0 - d) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]
