"""Dense search that does not depend on how the index was built.

Chroma's HNSW graph is approximate, and its shape depends on the order vectors arrived in:
on a clustered corpus (many look-alike notes) a query can walk into the wrong cluster and
miss the passages that answer it, so the same files indexed in one run or in three give
different citations. While the collection is small enough for it to cost nothing (up to
`EXACT_LIMIT` vectors: 10,000 take ~15 MB and ~0.3 s to load, ~1 ms per query), the
search is exact, over a copy of the vectors held in memory and reloaded when the index
changes. Beyond that, HNSW with a wide search (`WIDE_SEARCH`). Either way, equal scores
are ordered by chunk id. A search served from the copy does not touch the store: a Chroma
server that goes away is met (and said in one line) when the copy is next reloaded.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from tutor.corpus.vectors import VectorStore

EXACT_LIMIT = 50_000
"""Collections up to this many vectors are searched exactly (~77 MB of float32 at most)."""
WIDE_SEARCH = 4
"""Beyond the limit, HNSW is asked for this many times the results wanted, then cut."""
DECIMALS = 6
"""Similarities are compared to this precision, so float noise never decides an order."""


class DenseSearch:
    """Nearest chunks to a query vector, by cosine similarity, best first."""

    def __init__(self, vectors: VectorStore, exact_limit: int = EXACT_LIMIT) -> None:
        self.vectors = vectors
        self.exact_limit = exact_limit
        self._version: Hashable | None = None
        self._ids: np.ndarray = np.array([], dtype=object)
        self._matrix: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self._exact = False
        self._row_of: dict[str, int] | None = None

    def nearest(self, query: np.ndarray, limit: int, version: Hashable) -> list[tuple[str, float]]:
        """(chunk id, similarity) of the `limit` nearest chunks. `version` identifies the
        state of the index (`Catalog.vector_version`): when it changes, the copy is
        reloaded."""
        if limit <= 0:
            return []
        if version != self._version:
            self._load(version)
        if not self._exact:
            found = self.vectors.query(query, limit * WIDE_SEARCH)
            return _ordered(found)[:limit]
        if not len(self._ids):
            return []
        scores = self._matrix @ query.astype(np.float32)
        depth = min(limit, len(scores))
        # The best `depth`, plus any tied with the last of them, then a stable order.
        cut = np.partition(-scores, depth - 1)[depth - 1]
        chosen = np.nonzero(-scores <= cut + 10.0**-DECIMALS)[0]
        found = [(str(self._ids[i]), float(scores[i])) for i in chosen]
        return _ordered(found)[:limit]

    def similarities(self, ids: list[str], *queries: np.ndarray) -> dict[str, float]:
        """The similarity of each of these chunks to the query: the best over the query's
        wordings when several are given (chunks without a vector are left out)."""
        if not ids or not queries:
            return {}
        wordings = np.stack(queries)
        if self._exact:  # the copy has them: no round trip to the store
            rows = self._rows()
            return {i: float((self._matrix[rows[i]] @ wordings.T).max()) for i in ids if i in rows}
        return {i: float((v @ wordings.T).max()) for i, v in self.vectors.vectors(ids).items()}

    def _rows(self) -> dict[str, int]:
        if self._row_of is None:
            self._row_of = {str(i): n for n, i in enumerate(self._ids)}
        return self._row_of

    def _load(self, version: Hashable) -> None:
        count = self.vectors.count()
        self._exact = count <= self.exact_limit
        if self._exact:
            ids, matrix = self.vectors.all_vectors()
            self._ids = np.array(ids, dtype=object)
            self._matrix = matrix
        else:  # let the copy go: HNSW answers
            self._ids = np.array([], dtype=object)
            self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._row_of = None
        self._version = version


def _ordered(found: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(found, key=lambda pair: (-round(pair[1], DECIMALS), pair[0]))
