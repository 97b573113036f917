"""The library's view of the material: folders and file states, read from a real index of a
small temporary corpus and from the disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.library import FileState, check_folder, library_roots, read_library
from tutor.errors import TutorError

RAG = "# Retrieval\n\nRetrieval augmented generation grounds answers in retrieved passages.\n"
DELTA = "# Delta Lake\n\nDelta Lake adds ACID transactions to data lakes.\n"
VECTOR = "# Vector search\n\nVector search finds the chunks nearest to a query embedding.\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    (folder / "deep").mkdir(parents=True)
    shutil.copy(PROJECT_CORPUS / "topics.toml", folder / "topics.toml")
    (folder / "rag.md").write_text(RAG)
    (folder / "deep" / "delta.md").write_text(DELTA)
    return folder


@pytest.fixture
def settings(corpus: Path, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)


def states(settings: Settings, added=()) -> dict[str, str]:
    library = read_library(settings, added)
    return {f.name: f.detail for folder in library.folders for f in folder.files}


def test_before_any_index_every_file_is_new_and_unusable_ones_say_why(settings, corpus):
    (corpus / "scan.md").write_bytes(b"\x00\x01binary")
    (corpus / "empty.txt").write_text("  \n")
    (corpus / "table.csv").write_text("a,b\n")

    library = read_library(settings)

    assert library.roots == [corpus.resolve()] and library.last_indexed is None
    [folder] = library.folders
    assert folder.detail == "5 files: 2 new, 3 skipped"
    assert states(settings) == {
        "deep/delta.md": "new · not indexed yet",
        "empty.txt": "skipped · empty file",
        "rag.md": "new · not indexed yet",
        "scan.md": "skipped · binary file (contains NUL bytes)",
        "table.csv": "skipped · unsupported file type '.csv'",
    }


def test_indexed_changed_new_missing_and_skipped(settings, corpus, embedder):
    (corpus / "gone.md").write_text(VECTOR)
    Indexer(settings, embedder).run()
    library = read_library(settings)
    assert library.last_indexed is not None
    assert {f.state for f in library.folders[0].files} == {FileState.INDEXED}
    catalog = Catalog(settings.catalog_path)
    chunks = len(catalog.chunk_ids_of(str((corpus / "rag.md").resolve())))
    catalog.close()
    assert library.file("rag.md").chunks == chunks > 0

    (corpus / "rag.md").write_text(RAG + "\nIt cites the passages it used.\n")
    (corpus / "gone.md").unlink()
    (corpus / "new.md").write_text(VECTOR)
    (corpus / "scan.md").write_bytes(b"\x00\x01binary")
    (corpus / "huge.md").write_text("# Big\n\n" + "word " * 400)

    assert states(settings.model_copy(update={"max_file_mb": 0.001})) == {
        "deep/delta.md": "indexed · 1 chunk",
        "gone.md": "missing · gone from the disk",
        "huge.md": "skipped · larger than the 0.001 MB limit (TUTOR_MAX_FILE_MB)",
        "new.md": "new · not indexed yet",
        "rag.md": "changed since indexing",
        "scan.md": "skipped · binary file (contains NUL bytes)",
    }

    summary = Indexer(settings, embedder).run()

    assert [s.path for s in summary.skipped] == ["notes/scan.md"]
    after = read_library(settings)
    assert after.folders[0].detail == "5 files: 4 indexed, 1 skipped"
    assert after.file("gone.md") is None and after.file("new.md").state is FileState.INDEXED


def test_a_changed_file_the_indexer_would_now_skip_says_so(settings, corpus, embedder):
    Indexer(settings, embedder).run()
    (corpus / "rag.md").write_bytes(b"\x00 now binary")

    file = read_library(settings).file("rag.md")

    assert file.state is FileState.CHANGED and file.chunks == 1
    assert file.detail == "changed · binary file (contains NUL bytes)"


def test_a_folder_indexed_once_stays_in_the_library(settings, corpus, tmp_path, embedder):
    Indexer(settings, embedder).run()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "vector.md").write_text(VECTOR)
    # An added folder is listed before it is indexed ...
    assert states(settings, [extra])["vector.md"] == "new · not indexed yet"
    assert read_library(settings).roots == [corpus.resolve()]

    Indexer(settings, embedder).run([extra])

    # ... and after, from the catalog alone: its files' roots (the corpus stays first).
    library = read_library(settings)
    assert library.roots == [corpus.resolve(), extra.resolve()]
    assert library.folder(extra.resolve()).detail == "1 file: 1 indexed"
    # Indexing one folder leaves the others' files alone.
    assert library.folder(corpus.resolve()).detail == "2 files: 2 indexed"

    shutil.rmtree(extra)
    gone = read_library(settings).folder(extra.resolve())
    assert not gone.exists and gone.detail == "folder not found"
    assert [(f.name, f.state) for f in gone.files] == [("vector.md", FileState.MISSING)]


def test_roots_are_resolved_and_never_repeated(settings, corpus, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(corpus)
    other = tmp_path / "other"

    roots = library_roots(settings, [str(other), str(other)], [link, other])

    assert roots == [corpus.resolve(), other.resolve()]


def test_a_typed_folder_is_checked_with_one_line_reasons(settings, corpus, tmp_path):
    roots = [corpus.resolve()]
    new = tmp_path / "new"
    new.mkdir()
    assert check_folder(f"  {new}  ", roots) == new.resolve()

    def reason(text: str) -> str:
        with pytest.raises(TutorError) as caught:
            check_folder(text, roots)
        message = str(caught.value)
        assert "\n" not in message
        return message

    assert reason("   ") == "type the path of a folder to add"
    assert reason(str(tmp_path / "nope")) == f"no such folder: {tmp_path / 'nope'}"
    assert reason(str(corpus / "rag.md")) == f"not a folder: {corpus / 'rag.md'}"
    assert reason(str(corpus)).startswith("already in the library: ")
    assert reason(str(corpus / "deep")).startswith(f"already in the library (inside {roots[0]})")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(TutorError, match="cannot read"):
            check_folder(str(locked))
    finally:
        locked.chmod(0o755)
