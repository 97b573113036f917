"""The study material as the library shows it: each folder's files and their index state.

The folders are the corpus dir, every root the catalog remembers (so a folder added once
stays in the library) and any folder added since. A file's state comes from comparing the
disk (walked with the indexer's own `find_files`) with the catalog. Reading hashes every
file: call `read_library` from a worker.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tutor.config import Settings
from tutor.corpus.catalog import Catalog, FileRecord
from tutor.corpus.documents import SkipFile, load_document
from tutor.corpus.index import Candidate, find_files, read_file
from tutor.errors import TutorError


class FileState(StrEnum):
    INDEXED = "indexed"
    CHANGED = "changed"
    """Indexed, but the file on disk differs now."""
    NEW = "new"
    """On disk, not indexed yet."""
    MISSING = "missing"
    """In the index, gone from the disk."""
    SKIPPED = "skipped"
    """On disk, but the indexer leaves it out (the reason says why)."""


@dataclass(frozen=True)
class LibraryFile:
    path: str
    name: str
    """The path inside its folder, as the library lists it."""
    state: FileState
    chunks: int = 0
    reason: str = ""

    @property
    def detail(self) -> str:
        """The state in words."""
        if self.state is FileState.INDEXED:
            return f"indexed · {self.chunks} chunk{'' if self.chunks == 1 else 's'}"
        if self.state is FileState.CHANGED:
            return f"changed · {self.reason}" if self.reason else "changed since indexing"
        if self.state is FileState.NEW:
            return "new · not indexed yet"
        if self.state is FileState.MISSING:
            return "missing · gone from the disk"
        return f"skipped · {self.reason}"


@dataclass(frozen=True)
class LibraryFolder:
    root: Path
    files: tuple[LibraryFile, ...] = ()
    exists: bool = True

    def count(self, state: FileState) -> int:
        return sum(1 for f in self.files if f.state is state)

    @property
    def detail(self) -> str:
        """E.g. "3 files: 2 indexed, 1 new"."""
        if not self.exists:
            return "folder not found"
        parts = [f"{n} {state}" for state in FileState if (n := self.count(state))]
        total = len(self.files)
        head = f"{total} file{'' if total == 1 else 's'}"
        return f"{head}: {', '.join(parts)}" if parts else head


@dataclass(frozen=True)
class Library:
    folders: tuple[LibraryFolder, ...] = ()
    last_indexed: float | None = None
    """When an index run last finished (epoch seconds), None if never."""

    @property
    def roots(self) -> list[Path]:
        return [folder.root for folder in self.folders]

    def folder(self, root: Path) -> LibraryFolder | None:
        return next((f for f in self.folders if f.root == root), None)

    def file(self, name: str) -> LibraryFile | None:
        """The first file listed under this name (tests and lookups)."""
        return next((f for folder in self.folders for f in folder.files if f.name == name), None)


def library_roots(
    settings: Settings, known: Iterable[str] = (), added: Iterable[Path] = ()
) -> list[Path]:
    """The corpus dir first, then the catalog's roots, then added folders; no repeats."""
    roots: list[Path] = []
    for root in [settings.corpus_dir, *sorted(Path(r) for r in set(known)), *added]:
        resolved = root.expanduser().resolve()
        if resolved not in roots:
            roots.append(resolved)
    return roots


def folders_to_index(settings: Settings, added: Iterable[Path] = ()) -> list[Path]:
    """What "reindex all" covers: every library folder (reads the catalog)."""
    catalog = Catalog.open_for_reading(settings.catalog_path)
    try:
        known = catalog.files() if catalog else {}
    finally:
        if catalog:
            catalog.close()
    return library_roots(settings, (r.root for r in known.values()), added)


def read_library(settings: Settings, added: Iterable[Path] = ()) -> Library:
    """Every folder's files with their state (hashes every file: slow on a big corpus)."""
    catalog = Catalog.open_for_reading(settings.catalog_path)
    try:
        known = catalog.files() if catalog else {}
        roots = library_roots(settings, (r.root for r in known.values()), added)
        last = catalog.get_meta("last_indexed") if catalog else None
        chunks_of = catalog.chunk_ids_of if catalog else (lambda path: set())
        folders = _folders(settings, roots, known, lambda path: len(chunks_of(path)))
    finally:
        if catalog:
            catalog.close()
    return Library(tuple(folders), float(last) if last else None)


@dataclass
class _Listing:
    root: Path
    exists: bool = True
    files: list[LibraryFile] = field(default_factory=list)


ChunkCount = Callable[[str], int]


def _folders(
    settings: Settings, roots: list[Path], known: dict[str, FileRecord], chunk_count: ChunkCount
) -> list[LibraryFolder]:
    candidates, skipped = find_files(roots)
    listings = {root: _Listing(root, root.exists()) for root in roots}
    seen: set[str] = set()
    for candidate in candidates:
        seen.add(str(candidate.path))
        state = _state(settings, candidate, known.get(str(candidate.path)), chunk_count)
        listings[candidate.root].files.append(state)
    for skip in skipped:
        root = _root_of(skip.path, roots)
        if root is not None and Path(skip.path) != root:  # a missing root is no file
            listings[root].files.append(
                LibraryFile(
                    skip.path, _name(Path(skip.path), root), FileState.SKIPPED, 0, skip.reason
                )
            )
            seen.add(skip.path)
    for path, record in sorted(known.items()):
        if path in seen:
            continue
        root = Path(record.root)
        listing = listings.get(root) or listings[_root_of(path, roots) or roots[0]]
        listing.files.append(
            LibraryFile(path, _name(Path(path), listing.root), FileState.MISSING, chunk_count(path))
        )
    return [LibraryFolder(x.root, tuple(x.files), x.exists) for x in listings.values()]


def _state(
    settings: Settings, candidate: Candidate, record: FileRecord | None, chunk_count: ChunkCount
) -> LibraryFile:
    path, name = str(candidate.path), _name(candidate.path, candidate.root)
    chunks = chunk_count(path) if record else 0
    try:
        # The indexer's own reader and limits, so a file shows as skipped for its reason.
        data = read_file(candidate.path, settings)
        if record and record.sha256 == hashlib.sha256(data).hexdigest():
            if record.source == candidate.source:
                return LibraryFile(path, name, FileState.INDEXED, chunks)
        else:
            # Only new and changed files are parsed (as the indexer does): would it skip them?
            load_document(candidate.path, data)
    except SkipFile as reason:
        state = FileState.CHANGED if record else FileState.SKIPPED
        return LibraryFile(path, name, state, chunks, str(reason))
    return LibraryFile(path, name, FileState.CHANGED if record else FileState.NEW, chunks)


def _root_of(path: str, roots: Sequence[Path]) -> Path | None:
    """The innermost root holding this path."""
    holding = [r for r in roots if path == str(r) or path.startswith(str(r) + os.sep)]
    return max(holding, key=lambda r: len(str(r)), default=None)


def _name(path: Path, root: Path) -> str:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return path.name
    return relative if relative != "." else path.name


def check_folder(text: str, roots: Sequence[Path] = ()) -> Path:
    """The folder a learner typed, resolved; a `TutorError` with one line says what is
    wrong with it (missing, not a folder, unreadable, already in the library)."""
    text = text.strip()
    if not text:
        raise TutorError("type the path of a folder to add")
    path = Path(text).expanduser()
    if not path.exists():
        raise TutorError(f"no such folder: {path}")
    if not path.is_dir():
        raise TutorError(f"not a folder: {path}")
    try:
        with os.scandir(path) as entries:
            next(entries, None)
    except OSError as error:
        raise TutorError(f"cannot read {path}: {error.strerror or error}") from None
    folder = path.resolve()
    holder = _root_of(str(folder), [r for r in roots if r.is_dir()])
    if holder is not None:
        where = "" if holder == folder else f" (inside {holder})"
        raise TutorError(f"already in the library{where}: {folder}; press r to reindex")
    return folder
