"""The dense index: a Chroma collection, embedded in the data dir or on a Chroma server.

Vectors are always computed by the tutor's own embedder and passed in explicitly; the
collection is opened without an embedding function so Chroma's default (which would
download a model) is never used.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlparse

import numpy as np

from tutor.config import Settings
from tutor.errors import IndexMismatchError, TutorError

MODEL_KEY = "embedding_model"
T = TypeVar("T")


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    logging.getLogger("chromadb").setLevel(logging.ERROR)
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
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
        raise TutorError(
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
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            raise TutorError(
                f"the vector store ({describe(self.settings)}) failed: {reason}"
            ) from None

    return guarded


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
            raise TutorError(
                f"cannot open the vector store ({describe(self.settings)}): {error}"
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
    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids or not self._collection:
            return {}
        result = self._collection.get(ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(result["ids"], result["embeddings"], strict=True)
        }

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
