"""Everything the catalog, the full-text index and Chroma hold, and how two such snapshots
differ: what a reindex must converge to."""

from __future__ import annotations

import hashlib
import sqlite3

import numpy as np

from tutor.config import Settings


def index_snapshot(settings: Settings) -> dict | None:
    """Everything the catalog, the lexical index and Chroma hold, keyed by path or chunk
    id (rowids and timestamps, which differ between runs, left out); None before the
    first run."""
    from tutor.corpus.vectors import VectorStore

    if not settings.catalog_path.exists():
        return None
    db = sqlite3.connect(f"file:{settings.catalog_path}?mode=ro", uri=True)
    try:
        files = {
            row[0]: row[1:]
            for row in db.execute("SELECT path, source, root, sha256, size FROM files")
        }
        chunks = {
            row[0]: row[1:]
            for row in db.execute(
                "SELECT id, path, ordinal, source, heading, section, text, span_start, span_end,"
                " span_unit, content_hash, topics,"
                " length(sentence_vectors) AS sentences FROM chunks"  # NULL: none kept
            )
        }
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key != 'last_indexed'"))
        chunk_of_row = dict(db.execute("SELECT rowid, id FROM chunks"))
        # What the full-text index itself holds, not the content table it points at.
        db.execute("CREATE VIRTUAL TABLE temp.lexicon USING fts5vocab(main, chunks_fts, instance)")
        entries: dict[str, list] = {}
        for row, column, term, offset in db.execute(
            "SELECT doc, col, term, offset FROM temp.lexicon"
        ):
            key = chunk_of_row.get(row, f"(row {row} of no chunk)")
            entries.setdefault(key, []).append((column, term, offset))
    finally:
        db.close()
    lexical = {k: hashlib.sha256(repr(sorted(v)).encode()).hexdigest() for k, v in entries.items()}
    store = VectorStore(settings, create=False, check_model=False)
    vectors: dict[str, tuple] = {}
    embeddings: dict[str, np.ndarray] = {}
    collection: dict = {}
    if store.exists:
        got = store._collection.get(include=["metadatas", "documents", "embeddings"])
        for i, metadata, document, vector in zip(
            got["ids"], got["metadatas"], got["documents"], got["embeddings"], strict=True
        ):
            vectors[i] = (sorted((metadata or {}).items()), document)
            embeddings[i] = np.asarray(vector, dtype=np.float32)
        collection = dict(store._collection.metadata or {})
    return {
        "files": files,
        "chunks": chunks,
        "meta": meta,
        "lexical": lexical,
        "vectors": vectors,
        "collection": collection,
        "embeddings": embeddings,
    }


def differences(got: dict, want: dict) -> list[str]:
    """How a snapshot differs from the reference, one line per store part."""
    problems = []
    for part in ("files", "chunks", "meta", "lexical", "vectors", "collection"):
        have, expected = got[part], want[part]
        if have == expected:
            continue
        missing = sorted(set(expected) - set(have))
        extra = sorted(set(have) - set(expected))
        changed = sorted(k for k in set(have) & set(expected) if have[k] != expected[k])
        example = (missing + extra + changed)[:1]
        problems.append(
            f"{part}: {len(missing)} missing, {len(extra)} extra, {len(changed)} differ"
            f" (e.g. {example})"
        )
    common = sorted(set(got["embeddings"]) & set(want["embeddings"]))
    if common:
        gap = max(
            float(np.max(np.abs(got["embeddings"][i] - want["embeddings"][i]))) for i in common
        )
        if gap > 1e-4:
            problems.append(f"embeddings: differ by up to {gap:.2g}")
    return problems


def chunks_lost(got: dict, want: dict) -> int:
    """Chunks of the reference missing from any of the three stores."""
    lost: set[str] = set()
    for part in ("chunks", "lexical", "vectors"):
        lost |= set(want[part]) - set(got[part])
    return len(lost)
