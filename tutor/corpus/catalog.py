"""The SQLite catalog: the manifest of indexed files and chunks, and the BM25 lexical index.

The manifest and the full-text index live in one database so a single transaction keeps
them in step. Chroma is reconciled against this catalog, which is the source of truth.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor import storage
from tutor.corpus.catalog_schema import SCHEMA_VERSION, migrate
from tutor.corpus.chunking import Chunk
from tutor.errors import TutorError
from tutor.text import HEADING_SEPARATOR, lexical_terms


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    source: str
    heading: str
    text: str
    span_start: int
    span_end: int
    span_unit: str
    topics: list[str]
    content_hash: str

    @property
    def heading_path(self) -> tuple[str, ...]:
        return tuple(self.heading.split(HEADING_SEPARATOR)) if self.heading else ()


@dataclass(frozen=True)
class FileRecord:
    path: str
    source: str
    root: str
    sha256: str


class Catalog:
    """The manifest and lexical index of one data dir.

    The connection may be used from another thread than the one that opened it (LangGraph
    runs nodes in a worker pool); the tutor never uses one catalog from two threads at once.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._version: tuple[tuple[int, int], tuple[int, int, int]] | None = None
        self._term_counts: tuple[object, dict[str, int]] = (None, {})
        """How many chunks each query word is in (counted up to half of them), and the
        state of the index they were counted on."""
        try:
            if readonly:
                self.db = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
                if storage.schema_version(self.db) > SCHEMA_VERSION:
                    # Refused before the journal mode is set: that would rewrite the header
                    # of a file this tutor must leave as it found it.
                    migrate(self.db)
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            if not readonly:
                migrate(self.db)
            elif self.db.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
                migrate(self.db)  # raises: written by a newer tutor
            # An older schema is read as it is (what it lacks reads as empty); the next
            # writer migrates it.
        except sqlite3.DatabaseError as error:
            self._abandon()
            raise TutorError(
                f"cannot open the catalog {path}: {storage.storage_problem(error)}"
            ) from None
        except BaseException:
            self._abandon()  # e.g. refused as a newer schema: leave no connection open
            raise

    def _abandon(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    @classmethod
    def open_for_reading(cls, path: Path) -> Catalog | None:
        """The catalog if an index was ever built, else None."""
        return cls(path, readonly=True) if path.exists() else None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed whole, or rolled back. A write the disk or the data
        dir refuses (full, read-only, I/O error) is raised as a one-line TutorError."""
        try:
            with self.db:
                yield self.db
        except sqlite3.OperationalError as error:
            with suppress(sqlite3.Error):  # a failed COMMIT leaves the transaction open
                self.db.rollback()
            raise TutorError(
                f"cannot save to the catalog {self.path}: {storage.storage_problem(error)}"
            ) from None

    # --- meta --------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- manifest ----------------------------------------------------------------------

    def files(self) -> dict[str, FileRecord]:
        rows = self.db.execute("SELECT path, source, root, sha256 FROM files")
        return {row[0]: FileRecord(*row) for row in rows}

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM chunks")}

    def chunk_ids_of(self, path: str) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM chunks WHERE path = ?", (path,))}

    def pending_ids(self) -> set[str]:
        """Chunks stored but not yet embedded and tagged (an index run was interrupted)."""
        return {row[0] for row in self.db.execute("SELECT id FROM chunks WHERE topics IS NULL")}

    def unsentenced_ids(self) -> set[str]:
        """Chunks whose sentences have no stored vectors (indexed by an older tutor)."""
        try:
            rows = self.db.execute("SELECT id FROM chunks WHERE sentence_vectors IS NULL")
        except sqlite3.OperationalError:  # an older schema, read before it is migrated
            return self.chunk_ids()
        return {row[0] for row in rows}

    def count_chunks(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def vector_version(self) -> tuple[int, int, int]:
        """What changes whenever the set of chunk vectors may have: chunks added, removed,
        or made pending (to be embedded or tagged again) and done. Dense search reloads its
        copy of the vectors when it changes."""
        # Counting is a scan (milliseconds at 10,000 chunks, and every search asks): it is
        # redone only when a commit, this connection's or another's, may have changed it.
        changed = self._commits()
        if self._version is None or self._version[0] != changed:
            row = self.db.execute(
                "SELECT count(*), coalesce(max(rowid), 0), count(topics) FROM chunks"
            ).fetchone()
            self._version = (changed, (row[0], row[1], row[2]))
        return self._version[1]

    def _commits(self) -> tuple[int, int]:
        """Changes whenever a commit, this connection's or another's, may have changed the
        data: what cached counts are kept against."""
        return (self.db.execute("PRAGMA data_version").fetchone()[0], self.db.total_changes)

    def count_files(self) -> int:
        return self.db.execute("SELECT count(*) FROM files").fetchone()[0]

    def replace_file(
        self, db: sqlite3.Connection, record: FileRecord, size: int, chunks: list[Chunk]
    ) -> tuple[int, int, int]:
        """Store a file's new chunk list inside the caller's transaction.

        Returns (added, removed, kept). Kept chunks keep their topics and vectors; their
        position and span are refreshed since text above them may have moved.
        """
        old = self.chunk_ids_of(record.path)
        db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "source=excluded.source, root=excluded.root, sha256=excluded.sha256, "
            "size=excluded.size, indexed_at=excluded.indexed_at",
            (record.path, record.source, record.root, record.sha256, size, time.time()),
        )
        new_ids = {chunk.id for chunk in chunks}
        removed = old - new_ids
        db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in removed])
        for chunk in chunks:
            if chunk.id in old:
                db.execute(
                    "UPDATE chunks SET ordinal=?, span_start=?, span_end=?, source=? WHERE id=?",
                    (chunk.ordinal, chunk.start, chunk.end, chunk.source, chunk.id),
                )
            else:
                db.execute(
                    "INSERT INTO chunks (id, path, ordinal, source, heading, section, text,"
                    " span_start, span_end, span_unit, content_hash, topics)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    (
                        chunk.id,
                        record.path,
                        chunk.ordinal,
                        chunk.source,
                        chunk.heading,
                        chunk.heading_path[-1] if chunk.heading_path else "",
                        chunk.text,
                        chunk.start,
                        chunk.end,
                        chunk.span_unit,
                        chunk.content_hash,
                    ),
                )
        return len(new_ids - old), len(removed), len(new_ids & old)

    def remove_file(self, db: sqlite3.Connection, path: str) -> int:
        """Forget a file and its chunks; returns how many chunks went."""
        removed = db.execute("DELETE FROM chunks WHERE path = ?", (path,)).rowcount
        db.execute("DELETE FROM files WHERE path = ?", (path,))
        return removed

    def set_tags(
        self,
        topics_by_id: dict[str, list[str]],
        objectives_by_id: dict[str, list[str]],
        sentences_by_id: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Record chunks' topics, the exam objectives they support and their sentences'
        vectors (kept as they were for chunks given none); they are then done."""
        with self.transaction():
            self.db.executemany(
                "UPDATE chunks SET topics = ?, objectives = ?,"
                " sentence_vectors = coalesce(?, sentence_vectors) WHERE id = ?",
                [
                    (
                        json.dumps(topics),
                        json.dumps(objectives_by_id.get(chunk_id, [])),
                        _packed((sentences_by_id or {}).get(chunk_id)),
                        chunk_id,
                    )
                    for chunk_id, topics in topics_by_id.items()
                ],
            )

    def clear_topics(self) -> None:
        """Mark every chunk for re-tagging (the topic map or the blueprint changed)."""
        with self.transaction():
            self.db.execute("UPDATE chunks SET topics = NULL, objectives = NULL")

    def clear(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM chunks")
            self.db.execute("DELETE FROM files")
            self.db.execute("DELETE FROM meta")

    # --- reading -----------------------------------------------------------------------

    _RECORD_COLUMNS = (
        "id, source, heading, text, span_start, span_end, span_unit, topics, content_hash"
    )

    def _chunk_rows(self, columns: str, ids: Iterable[str], where: str = "") -> Iterator[tuple]:
        """`columns` of the chunks with these ids, asked 500 at a time (SQLite's limit on
        parameters)."""
        ids = list(ids)
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ",".join("?" * len(batch))
            yield from self.db.execute(
                f"SELECT {columns} FROM chunks WHERE id IN ({marks}){where}", batch
            )

    def records(self, ids: Iterable[str]) -> dict[str, ChunkRecord]:
        return {
            row[0]: ChunkRecord(*row[:7], json.loads(row[7] or "[]"), row[8])
            for row in self._chunk_rows(self._RECORD_COLUMNS, ids)
        }

    def sentence_vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored sentence vectors (float32 rows) of those chunks that have them."""
        rows = self._chunk_rows("id, sentence_vectors", ids, " AND sentence_vectors IS NOT NULL")
        try:
            return {chunk_id: _unpacked(blob) for chunk_id, blob in rows}
        except sqlite3.OperationalError:  # an older schema, read before it is migrated
            return {}

    def objective_chunks(self) -> dict[str, list[str]]:
        """The ids of the chunks supporting each exam objective (objectives with none are
        left out), in catalog order."""
        chunks: dict[str, list[str]] = {}
        try:
            rows = self.db.execute(
                "SELECT id, objectives FROM chunks WHERE objectives IS NOT NULL ORDER BY rowid"
            ).fetchall()
        except sqlite3.OperationalError:  # a catalog of schema 1, read before it is migrated
            return {}
        for chunk_id, objectives in rows:
            for objective in json.loads(objectives):
                chunks.setdefault(objective, []).append(chunk_id)
        return chunks

    def topic_counts(self) -> dict[str, int]:
        """How many chunks carry each topic."""
        counts: dict[str, int] = {}
        for (topics,) in self.db.execute("SELECT topics FROM chunks WHERE topics IS NOT NULL"):
            for topic in json.loads(topics):
                counts[topic] = counts.get(topic, 0) + 1
        return counts

    def lexical_search(self, query: str, limit: int) -> list[str]:
        """Chunk ids ranked by BM25 over section title and text; the query is free text."""
        terms = self._distinctive(lexical_terms(query))
        if not terms:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)
        rows = self.db.execute(
            "SELECT c.id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
            "WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 0.5, 1.0), c.id LIMIT ?",
            (match, limit),
        )
        return [row[0] for row in rows]

    def _distinctive(self, terms: list[str]) -> list[str]:
        """Drop query words found in over half the chunks (e.g. "model" in this corpus).

        They add little to a ranking, and scoring the thousands of rows they match is what
        makes an OR query slow on a large index. If every word is that common, the rarest
        one is kept.
        """
        if not terms:
            return []
        common = self.vector_version()[0] // 2
        state = (self._commits(), common)
        if self._term_counts[0] != state:  # counted on another state of the index
            self._term_counts = (state, {})
        known = self._term_counts[1]
        counts = {}
        for term in terms:
            if term not in known:
                known[term] = self.db.execute(
                    "SELECT count(*) FROM"
                    " (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                    (f'"{term}"', common + 1),
                ).fetchone()[0]
            counts[term] = known[term]
        kept = [t for t in terms if 0 < counts[t] <= common]
        if not kept and any(counts.values()):
            kept = [min((t for t in terms if counts[t]), key=counts.__getitem__)]
        return kept


def _packed(vectors: np.ndarray | None) -> bytes | None:
    """Half precision: sentence similarities need three decimals, and it halves the size."""
    if vectors is None:
        return None
    out = io.BytesIO()
    np.save(out, np.asarray(vectors, dtype=np.float16), allow_pickle=False)
    return out.getvalue()


def _unpacked(blob: bytes) -> np.ndarray:
    return np.load(io.BytesIO(blob), allow_pickle=False).astype(np.float32)
