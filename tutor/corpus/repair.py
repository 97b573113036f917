"""Find and mend drift between the manifest, the lexical index and Chroma.

The catalog's manifest (files and their chunks) is the source of truth, and the files on
disk are the truth behind it. Drift is any disagreement: a file changed or gone since it
was indexed, chunk rows lost or altered, chunks missing from the full-text index or
entries of rows that are gone, vectors missing, orphaned or describing other text.
`tutor index` alone cannot see all of it: it trusts a file whose hash is unchanged.

`find_drift` only reads (it is what `tutor doctor` shows). `repair_index` mends the
catalog and the lexical index under the index lock, marks wrong vectors for redoing, then
runs the indexer over the manifest's folders. Only chunks without a usable vector are
embedded: a chunk whose catalog row had to be rebuilt keeps its vector, since a chunk id
names its content.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor.config import Settings
from tutor.corpus.catalog import Catalog, ChunkRecord, FileRecord
from tutor.corpus.chunking import Chunk, chunk_document
from tutor.corpus.documents import SkipFile, load_document
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer, IndexSummary, ProgressCallback, _metadata
from tutor.corpus.lock import IndexLock
from tutor.corpus.vectors import VectorStore, VectorStoreError, set_aside_damaged_store

NAMED_FILES = 3
"""How many file names a problem line lists before "and N more"."""
_WORD = re.compile(r"[^\W_]")
"""A chunk with no letter or digit has nothing for the full-text index to hold."""


@dataclass
class Drift:
    """How far the stores are from agreeing with each other and with the files."""

    files_changed: list[str] = field(default_factory=list)
    """Files (as cited) whose content on disk differs from what was indexed."""
    files_missing: list[str] = field(default_factory=list)
    """Indexed files that no longer exist."""
    files_damaged: list[str] = field(default_factory=list)
    """Unchanged files whose chunks in the catalog are not the ones the file yields."""
    chunks_unowned: int = 0
    """Catalog chunks that belong to no indexed file."""
    chunks_pending: int = 0
    """Chunks stored by a run that did not finish (not yet embedded and tagged)."""
    vectors_missing: int = 0
    """Finished chunks with no vector in Chroma."""
    vectors_orphaned: int = 0
    """Vectors of chunks the catalog does not have."""
    vectors_stale: int = 0
    """Vectors whose document or metadata disagree with their chunk."""
    lexical_missing: int = 0
    """Chunks the full-text (BM25) index does not hold."""
    lexical_orphaned: int = 0
    """Full-text index entries of rows that are not chunks."""

    @property
    def clean(self) -> bool:
        return not self.problems() and not self.chunks_pending

    def problems(self) -> list[str]:
        """One line per kind of drift; unfinished chunks are left to the index check."""
        lines = []
        for names, what in (
            (self.files_changed, "changed on disk since indexed"),
            (self.files_missing, "indexed but no longer on disk"),
            (self.files_damaged, "with chunks lost or altered in the catalog"),
        ):
            if names:
                lines.append(f"{_count(len(names), 'file')} {what}: {_names(names)}")
        for count, one, many, rest in (
            (self.chunks_unowned, "chunk belongs", "chunks belong", "to no indexed file"),
            (self.vectors_missing, "chunk has", "chunks have", "no vector in Chroma"),
            (self.lexical_missing, "chunk is", "chunks are", "missing from the full-text index"),
            (self.vectors_orphaned, "vector belongs", "vectors belong", "to no chunk (Chroma)"),
            (self.vectors_stale, "vector disagrees", "vectors disagree", "with its chunk (Chroma)"),
            (self.lexical_orphaned, "full-text entry belongs", "full-text entries belong",
             "to no chunk"),
        ):  # fmt: skip
            if count:
                lines.append(f"{count} {one if count == 1 else many} {rest}")
        return lines

    def to_dict(self) -> dict[str, int]:
        """The figures: how many files or chunks each kind of drift concerns."""
        return {k: len(v) if isinstance(v, list) else v for k, v in asdict(self).items()}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun if n == 1 else noun + 's'}"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_FILES])
    return shown + (f" and {len(names) - NAMED_FILES} more" if len(names) > NAMED_FILES else "")


@dataclass
class _Findings:
    """What is wrong, in enough detail to fix it."""

    changed: list[FileRecord] = field(default_factory=list)
    missing: list[FileRecord] = field(default_factory=list)
    damaged: list[tuple[FileRecord, int, list[Chunk]]] = field(default_factory=list)
    unowned: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    vectors_missing: set[str] = field(default_factory=set)
    vectors_orphaned: set[str] = field(default_factory=set)
    vectors_wrong_text: set[str] = field(default_factory=set)
    """Vectors made from other text than their chunk's: embedded again."""
    vectors_wrong_metadata: set[str] = field(default_factory=set)
    """Right vector, wrong metadata: tagged and written again, not embedded."""
    lexical_missing: set[int] = field(default_factory=set)
    lexical_orphaned: set[int] = field(default_factory=set)

    def drift(self) -> Drift:
        return Drift(
            files_changed=sorted(r.source for r in self.changed),
            files_missing=sorted(r.source for r in self.missing),
            files_damaged=sorted(r.source for r, _, _ in self.damaged),
            chunks_unowned=len(self.unowned),
            chunks_pending=len(self.pending),
            vectors_missing=len(self.vectors_missing),
            vectors_orphaned=len(self.vectors_orphaned),
            vectors_stale=len(self.vectors_wrong_text | self.vectors_wrong_metadata),
            lexical_missing=len(self.lexical_missing),
            lexical_orphaned=len(self.lexical_orphaned),
        )


@dataclass
class _Row:
    rowid: int
    path: str
    ordinal: int
    section: str
    record: ChunkRecord
    pending: bool

    def as_chunked(self) -> tuple:
        r = self.record
        return (r.id, self.ordinal, r.source, r.heading, r.text, r.span_start, r.span_end,
                r.span_unit, r.content_hash)  # fmt: skip


def _chunked(chunk: Chunk) -> tuple:
    return (chunk.id, chunk.ordinal, chunk.source, chunk.heading, chunk.text, chunk.start,
            chunk.end, chunk.span_unit, chunk.content_hash)  # fmt: skip


def find_drift(settings: Settings) -> Drift | None:
    """The drift in the data dir's index, without changing anything; None if nothing was
    ever indexed."""
    catalog = Catalog.open_for_reading(settings.catalog_path)
    if catalog is None:
        return None
    try:
        vectors = VectorStore(settings, create=False, check_model=False)
        return _inspect(settings, catalog, vectors).drift()
    finally:
        catalog.close()


def _inspect(settings: Settings, catalog: Catalog, vectors: VectorStore) -> _Findings:
    found = _Findings()
    rows = _rows(catalog.db)
    files = catalog.files()
    by_path: dict[str, set[tuple]] = {}
    for row in rows.values():
        by_path.setdefault(row.path, set()).add(row.as_chunked())
    found.unowned = {row.record.id for row in rows.values() if row.path not in files}
    found.pending = {row.record.id for row in rows.values() if row.pending}
    for record in files.values():
        _inspect_file(settings, record, by_path.get(record.path, set()), found)

    stored = vectors.entries()
    by_id = {row.record.id: row for row in rows.values()}
    found.vectors_orphaned = set(stored) - set(by_id)
    for chunk_id, row in by_id.items():
        if chunk_id not in stored:
            if not row.pending:
                found.vectors_missing.add(chunk_id)
            continue
        metadata, document = stored[chunk_id]
        if metadata.get("content_hash") != row.record.content_hash or document != row.record.text:
            found.vectors_wrong_text.add(chunk_id)
        elif not row.pending and metadata != _metadata(row.record, row.record.topics):
            found.vectors_wrong_metadata.add(chunk_id)

    indexed = _lexical_rows(catalog.db)
    found.lexical_missing = {
        rowid
        for rowid, row in rows.items()
        if rowid not in indexed and _WORD.search(row.section + row.record.text)
    }
    found.lexical_orphaned = indexed - set(rows)
    return found


def _rows(db: sqlite3.Connection) -> dict[int, _Row]:
    rows = db.execute(
        "SELECT rowid, path, ordinal, section, id, source, heading, text, span_start, span_end,"
        " span_unit, topics, content_hash FROM chunks"
    )
    found = {}
    for rowid, path, ordinal, section, *fields, topics, digest in rows:
        record = ChunkRecord(*fields, _topics(topics), digest)
        found[rowid] = _Row(rowid, path, ordinal, section, record, topics is None)
    return found


def _topics(value: str | None) -> list[str]:
    return json.loads(value) if value else []


def _inspect_file(
    settings: Settings, record: FileRecord, stored: set[tuple], found: _Findings
) -> None:
    path = Path(record.path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        found.missing.append(record)
        return
    except OSError:
        found.changed.append(record)  # unreadable now: the indexer decides what to do
        return
    if len(data) > settings.max_file_bytes or hashlib.sha256(data).hexdigest() != record.sha256:
        found.changed.append(record)
        return
    try:
        chunks = chunk_document(load_document(path, data), record.source)
    except SkipFile:
        found.changed.append(record)
        return
    if {_chunked(c) for c in chunks} != stored:
        found.damaged.append((record, len(data), chunks))


def _lexical_rows(db: sqlite3.Connection) -> set[int]:
    """The rows the full-text index holds entries for (read from the index itself, not
    from the chunks table it points at)."""
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_lexicon"
        " USING fts5vocab(main, chunks_fts, instance)"
    )
    return {row for (row,) in db.execute("SELECT DISTINCT doc FROM temp.chunks_lexicon")}


def _lexical_intact(db: sqlite3.Connection) -> bool:
    """FTS5's own check of the index against the chunks' text (needs a writable handle)."""
    try:
        with db:
            db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


@dataclass
class RepairReport:
    drift: Drift
    """What was found before repairing."""
    damaged_store_moved_to: Path | None = None
    """Where an embedded vector store that could not be read was moved (it is rebuilt)."""
    files_rechunked: int = 0
    files_forgotten: int = 0
    chunks_forgotten: int = 0
    vectors_deleted: int = 0
    vectors_redone: int = 0
    lexical_rebuilt: bool = False
    index: IndexSummary = field(default_factory=IndexSummary)
    """The indexer's run that finished the repair (chunks_added: chunks embedded)."""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["damaged_store_moved_to"] = self.damaged_store_moved_to and str(
            self.damaged_store_moved_to
        )
        data["drift"] = self.drift.to_dict()
        data["index"] = self.index.to_dict()
        return data

    def describe(self) -> str:
        """One line for the learner."""
        index = self.index
        if (
            self.drift.clean
            and not (self.lexical_rebuilt or self.damaged_store_moved_to)
            and not (index.files_indexed or index.chunks_added or index.chunks_removed)
        ):
            return "Nothing to repair: the manifest, the lexical index and Chroma agree."
        done = [
            _count(self.files_rechunked, "file") + " re-read",
            _count(self.files_forgotten, "missing file") + " forgotten",
            _count(self.chunks_forgotten, "stray chunk") + " dropped",
            _count(self.vectors_deleted, "stray vector") + " deleted",
            _count(self.vectors_redone, "missing or wrong vector") + " redone",
            _count(index.files_indexed, "changed file") + " reindexed",
        ]
        parts = [part for part in done if not part.startswith("0 ")]
        if self.damaged_store_moved_to:
            parts.insert(0, f"unreadable vector store moved to {self.damaged_store_moved_to}")
        if self.lexical_rebuilt:
            parts.append("full-text index rebuilt")
        parts.append(_count(index.chunks_added, "chunk") + " embedded")
        return "Repaired: " + ", ".join(parts) + "."


def repair_index(
    settings: Settings,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
) -> RepairReport:
    """Make the catalog, the lexical index and Chroma agree with the files and each other."""
    with IndexLock(settings):
        catalog = Catalog(settings.catalog_path)
        try:
            set_aside = None
            try:
                vectors = VectorStore(settings)
                found = _inspect(settings, catalog, vectors)
            except VectorStoreError:
                if settings.chroma_url:
                    raise  # a server that fails may just be down: its data is never dropped
                set_aside = set_aside_damaged_store(settings)
                vectors = VectorStore(settings)
                found = _inspect(settings, catalog, vectors)
            report = RepairReport(found.drift(), damaged_store_moved_to=set_aside)
            # The index first: the catalog fixes below delete rows through the triggers,
            # which must find the entries they remove.
            if found.lexical_missing or found.lexical_orphaned or not _lexical_intact(catalog.db):
                with catalog.transaction() as db:
                    db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
                report.lexical_rebuilt = True
            _mend_catalog(catalog, found, report)
            # Vectors of no chunk (now that the catalog is mended) and vectors made from other
            # text go. Chunks without a right vector, or with wrong metadata, are marked
            # unfinished: the indexer embeds those with no vector and tags and writes all.
            stray = (vectors.ids() - catalog.chunk_ids()) | found.vectors_wrong_text
            vectors.delete(sorted(stray))
            report.vectors_deleted = len(stray)
            redo = found.vectors_missing | found.vectors_wrong_text | found.vectors_wrong_metadata
            with catalog.transaction() as db:
                db.executemany("UPDATE chunks SET topics = NULL WHERE id = ?", [(i,) for i in redo])
            report.vectors_redone = len(redo)
            roots = sorted({Path(r.root) for r in catalog.files().values()})
        finally:
            catalog.close()
    # Changed files, unfinished chunks and missing vectors are what a run of the indexer
    # finishes.
    indexer = Indexer(settings, embedder, progress)
    report.index = indexer.run([r for r in roots if r.exists()] or None)
    return report


def _mend_catalog(catalog: Catalog, found: _Findings, report: RepairReport) -> None:
    """One transaction: stray chunks and vanished files go; a damaged file's chunk list is
    written again from the file (as unfinished chunks, which keep their vectors)."""
    with catalog.transaction() as db:
        db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in found.unowned])
        report.chunks_forgotten = len(found.unowned)
        for record in found.missing:
            catalog.remove_file(db, record.path)
        report.files_forgotten = len(found.missing)
        for record, size, chunks in found.damaged:
            catalog.remove_file(db, record.path)
            catalog.replace_file(db, record, size, chunks)
        report.files_rechunked = len(found.damaged)
