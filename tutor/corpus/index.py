"""Incremental, crash-safe indexing of study material into the catalog and Chroma.

The catalog (SQLite) is the source of truth. A run first commits the new chunk lists of
changed files in one transaction (new chunks are stored "pending", without topics), then
makes Chroma agree with it: vectors of chunks that no longer exist are deleted, pending
chunks are embedded, tagged and upserted. Killed at any point, the next run finds what is
left to do by comparing the two stores, so it converges on the same state.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tutor.config import Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.corpus.catalog import Catalog, ChunkRecord, FileRecord
from tutor.corpus.chunking import Chunk, chunk_document, embedding_text
from tutor.corpus.documents import SkipFile, load_document, one_line
from tutor.corpus.embeddings import Embedder
from tutor.corpus.lock import IndexLock
from tutor.corpus.objectives import ObjectiveMapper, mapping_digest
from tutor.corpus.sentences import reading_texts
from tutor.corpus.topics import TopicTagger, load_topics
from tutor.corpus.vectors import VectorStore
from tutor.errors import IndexMismatchError
from tutor.text import printable_name

EMBED_BATCH = 256
"""Chunks embedded and written per step: bounds the work an interruption can waste."""
IGNORED_NAMES = {"topics.toml", "exam.toml", "blueprint.toml"}
"""Files that live in the corpus but are not study material."""

ProgressCallback = Callable[[str, int, int], None]
"""Called with (stage, done, total); stages are "read" (files), "load" (the embedding
model, when it is needed) and "embed" (chunks)."""


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class IndexSummary:
    files_seen: int = 0
    files_indexed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data

    @property
    def usable(self) -> bool:
        return self.files_seen > len(self.skipped)


@dataclass(frozen=True)
class Candidate:
    path: Path
    """Resolved path; the manifest's key."""
    source: str
    """How the file is cited: its path from the indexed folder's parent."""
    root: Path


@dataclass
class _Change:
    candidate: Candidate
    sha256: str
    size: int
    chunks: list[Chunk]


def find_files(roots: Iterable[Path]) -> tuple[list[Candidate], list[Skipped]]:
    """Every file under the roots; what cannot be indexed safely is skipped with a reason:
    symlinks leading outside a root or in a loop, pipes and devices (reading one could
    block forever), and names that are not UTF-8 (the catalog could not store them)."""
    found: dict[Path, Candidate] = {}
    skipped: list[Skipped] = []

    def unreadable(error: OSError) -> None:  # os.walk would drop the folder silently
        where = _shown(error.filename or "?")
        skipped.append(Skipped(where, f"cannot read folder: {error.strerror or error}"))

    for given in roots:
        if not given.exists():
            skipped.append(Skipped(_shown(given), "does not exist"))
            continue
        root = given.resolve()
        if root.is_file():
            if problem := _name_problem(root):
                skipped.append(Skipped(_shown(given), problem))
                continue
            base = root.parent
            found.setdefault(root, Candidate(root, _shown(f"{base.name}/{root.name}"), root))
            continue
        if not root.is_dir():
            skipped.append(Skipped(_shown(given), "not a regular file or folder"))
            continue
        for folder, dirnames, filenames in os.walk(root, onerror=unreadable):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or name in IGNORED_NAMES:
                    continue
                path = Path(folder) / name
                try:
                    real = path.resolve()
                except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
                    skipped.append(Skipped(_shown(path), "symlink loop"))
                    continue
                if not real.is_relative_to(root):
                    skipped.append(
                        Skipped(_shown(path), "symlink leads outside the indexed folder")
                    )
                    continue
                if not real.is_file():
                    reason = "broken symlink" if path.is_symlink() else "not a regular file"
                    skipped.append(Skipped(_shown(path), reason))
                    continue
                if problem := _name_problem(real):
                    skipped.append(Skipped(_shown(path), problem))
                    continue
                source = real.relative_to(root.parent).as_posix()
                found.setdefault(real, Candidate(real, printable_name(source), root))
    return list(found.values()), skipped


def _name_problem(path: Path) -> str | None:
    """Why a path cannot be stored in the catalog, if it cannot."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8; rename the file"
    return None


def _shown(path: Path | str) -> str:
    """A path as the summary shows it: undecodable bytes as "\ufffd", controls as "?"."""
    text = os.fsencode(path).decode("utf-8", errors="replace")
    return printable_name(text)


def read_file(path: Path, settings: Settings) -> bytes:
    """A file's bytes, or `SkipFile` if it is over the size limit or unreadable. Never more
    than the limit is read, even if the file grows after its size was checked."""
    limit = settings.max_file_bytes
    too_big = f"larger than the {settings.max_file_mb:g} MB limit (TUTOR_MAX_FILE_MB)"
    try:
        # Non-blocking, so a file swapped for a named pipe since it was found cannot hang
        # the run; the checks are then made on what was actually opened.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SkipFile("not a regular file")
            if info.st_size > limit:
                raise SkipFile(too_big)
            data = file.read(limit + 1)
    except OSError as error:
        raise SkipFile(f"cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise SkipFile(too_big)
    return data


def _under(path: str, roots: list[Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r) + os.sep) for r in roots)


class Indexer:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.for_settings(settings)
        self.progress = progress or (lambda stage, done, total: None)

    def run(self, paths: list[Path] | None = None, *, rebuild: bool = False) -> IndexSummary:
        started = time.perf_counter()
        roots = paths or [self.settings.corpus_dir]
        with IndexLock(self.settings):
            topic_map = load_topics(self.settings.topics_path)
            # Topic links are checked where they are used (coverage, exams), not here: a
            # blueprint naming another topic map's topics must not stop the indexing.
            blueprint = load_blueprint(self.settings.blueprint_path)
            catalog = Catalog(self.settings.catalog_path)
            try:
                vectors = VectorStore(self.settings, check_model=not rebuild)
                built_with = catalog.get_meta("embedding_model")
                if rebuild:
                    vectors.reset()
                    catalog.clear()
                elif built_with not in (None, self.settings.embedding_model):
                    raise IndexMismatchError(built_with, self.settings.embedding_model)
                catalog.set_meta("embedding_model", self.settings.embedding_model)
                # The topic map, the blueprint's objectives and the rules that match chunks
                # to them: a change to any re-tags every chunk (its vector is reused,
                # nothing is embedded again).
                tagging = (
                    f"{topic_map.digest}:tagger-{TopicTagger.VERSION}:{mapping_digest(blueprint)}"
                )
                if catalog.get_meta("topics_digest") != tagging:
                    catalog.clear_topics()
                summary = self._apply_files(catalog, roots)
                summary.chunks_added += self._sync_vectors(catalog, vectors, topic_map, blueprint)
                catalog.set_meta("topics_digest", tagging)
                catalog.set_meta("last_indexed", str(time.time()))
            finally:
                catalog.close()
        summary.seconds = time.perf_counter() - started
        return summary

    # --- files -> catalog --------------------------------------------------------------

    def _apply_files(self, catalog: Catalog, roots: list[Path]) -> IndexSummary:
        candidates, skipped = find_files(roots)
        summary = IndexSummary(files_seen=len(candidates) + len(skipped), skipped=skipped)
        known = catalog.files()
        usable: set[str] = set()
        cited_as: dict[str, Path] = {}
        changes: list[_Change] = []
        for done, candidate in enumerate(candidates, start=1):
            self.progress("read", done, len(candidates))
            if (first := cited_as.setdefault(candidate.source, candidate.path)) != candidate.path:
                # Chunk ids hash the citation, so two files cited alike cannot both be kept.
                reason = f"cited like {_shown(first)}; rename one of them"
                summary.skipped.append(Skipped(_shown(candidate.path), reason))
                continue
            try:
                data = self._read(candidate)
                sha256 = hashlib.sha256(data).hexdigest()
                record = known.get(str(candidate.path))
                if record and record.sha256 == sha256 and record.source == candidate.source:
                    usable.add(record.path)
                    summary.chunks_unchanged += len(catalog.chunk_ids_of(record.path))
                    continue
                # Only new or changed files are parsed and chunked.
                chunks = chunk_document(load_document(candidate.path, data), candidate.source)
            except SkipFile as reason:
                summary.skipped.append(Skipped(candidate.source, str(reason)))
                continue
            except Exception as error:  # a loader bug must cost one file, not the whole run
                reason = f"could not be read ({one_line(error)}); please report this"
                summary.skipped.append(Skipped(candidate.source, reason))
                continue
            usable.add(str(candidate.path))
            changes.append(_Change(candidate, sha256, len(data), chunks))
        resolved_roots = [r.resolve() for r in roots if r.exists()]
        gone = [p for p in known if p not in usable and _under(p, resolved_roots)]
        # A file cited like one indexed from another place (a second copy of the project,
        # a moved folder) replaces it: the citation names one file.
        claimed = {c.source: str(c.path) for c in candidates if str(c.path) in usable}
        moved = [
            path
            for path, record in known.items()
            if path not in usable and path not in gone and claimed.get(record.source, path) != path
        ]
        moved_ids = set().union(*(catalog.chunk_ids_of(path) for path in moved))
        with catalog.transaction() as db:
            for path in gone + moved:  # first: a moved file's chunk ids are about to be reused
                summary.chunks_removed += catalog.remove_file(db, path)
            for change in changes:
                record = FileRecord(
                    str(change.candidate.path),
                    change.candidate.source,
                    str(change.candidate.root),
                    change.sha256,
                )
                _added, removed, kept = catalog.replace_file(db, record, change.size, change.chunks)
                summary.chunks_removed += removed
                summary.chunks_unchanged += kept
        # A moved file's chunks that its new place yields again were kept, not replaced.
        carried = len(moved_ids & catalog.chunk_ids())
        summary.chunks_removed -= carried
        summary.chunks_unchanged += carried
        summary.files_indexed = len(changes)
        return summary

    def _read(self, candidate: Candidate) -> bytes:
        return read_file(candidate.path, self.settings)

    # --- catalog -> vectors ------------------------------------------------------------

    def _sync_vectors(self, catalog: Catalog, vectors: VectorStore, topic_map, blueprint) -> int:
        """Make Chroma hold exactly the catalog's chunks; returns how many were embedded."""
        stored = vectors.ids()
        wanted = catalog.chunk_ids()
        vectors.delete(sorted(stored - wanted))
        pending = sorted(catalog.pending_ids() | (wanted - stored) | catalog.unsentenced_ids())
        if not pending:
            return 0
        if not self.embedder.loaded:
            self.progress("load", 0, 1)
        tagger = TopicTagger.build(topic_map, self.embedder.embed)
        mapper = ObjectiveMapper.build(blueprint, self.embedder.embed)
        self.progress("load", 1, 1)
        embedded = 0
        self.progress("embed", 0, len(pending))
        for start in range(0, len(pending), EMBED_BATCH):
            batch = pending[start : start + EMBED_BATCH]
            records = catalog.records(batch)
            reusable = vectors.vectors([i for i in batch if i in stored])
            fresh = [records[i] for i in batch if i not in reusable]
            for record, vector in zip(
                fresh, self.embedder.embed([_embedding_input(r) for r in fresh]), strict=True
            ):
                reusable[record.id] = vector
            embedded += len(fresh)
            ids = [i for i in batch if i in records]
            sentences = self._sentence_vectors(catalog, [records[i] for i in ids])
            topics = {
                i: tagger.tag(records[i].heading_path, reusable[i], records[i].text) for i in ids
            }
            vectors.upsert(
                ids,
                [reusable[i] for i in ids],
                [_metadata(records[i], topics[i]) for i in ids],
                [records[i].text for i in ids],
            )
            objectives = {i: mapper.map(reusable[i], records[i].text) for i in ids}
            catalog.set_tags(topics, objectives, sentences)
            self.progress("embed", min(start + EMBED_BATCH, len(pending)), len(pending))
        return embedded

    def _sentence_vectors(
        self, catalog: Catalog, records: list[ChunkRecord]
    ) -> dict[str, np.ndarray]:
        """The vectors of each chunk's sentences (`reading_texts`): those stored already
        (a chunk re-tagged) are kept, the rest embedded in one go."""
        found = catalog.sentence_vectors(r.id for r in records)
        missing = [(r.id, reading_texts(r.text)) for r in records if r.id not in found]
        vectors = self.embedder.embed([t for _, texts in missing for t in texts])
        start = 0
        for chunk_id, texts in missing:
            found[chunk_id] = vectors[start : start + len(texts)]
            start += len(texts)
        return found


def _embedding_input(record: ChunkRecord) -> str:
    return embedding_text(record.heading_path, record.text)


def _metadata(record: ChunkRecord, topics: list[str]) -> dict:
    return {
        "source": record.source,
        "heading": record.heading,
        "content_hash": record.content_hash,
        "topics": ",".join(topics),
    }


def index(
    paths: Iterable[Path | str] | None = None,
    *,
    settings: Settings | None = None,
    rebuild: bool = False,
) -> IndexSummary:
    """Index study material incrementally (default: the corpus folder) and say what changed."""
    roots = [Path(p).expanduser().resolve() for p in paths] if paths else None
    return Indexer(settings or Settings()).run(roots, rebuild=rebuild)
