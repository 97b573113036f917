"""Indexing a folder full of bad files: the good ones are indexed, each bad one is skipped
with a reason, and nothing raises; through the API and through the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.contracts import INDEX_SUMMARY_KEYS
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer, IndexSummary

MAX_FILE_MB = 0.01  # about 10 KB
GOOD_MD = """# Vector Search

Vector search finds passages whose embeddings are close to the embedding of a question.

## Chunking

Chunks keep whole paragraphs so every answer can be cited by its line span.
"""
GOOD_TXT = """Model Serving Endpoints

A model serving endpoint exposes a registered model behind a REST interface.
"""

# file name -> substring its skip reason must contain
EXPECTED_REASONS = {
    "empty.md": "empty file",
    "notes.md": "binary",
    "menu.txt": "UTF-8",
    "broken.pdf": "PDF",
    "huge.md": "MB limit",
    "outside.md": "outside",
    "report.docx": "unsupported file type",
    "diagram.png": "unsupported file type",
}


def write_bad_files(folder: Path, outside: Path) -> None:
    """Every kind of unusable file, plus a hidden file that must be ignored silently."""
    rng = random.Random(1234)
    (folder / "empty.md").write_text("  \n\n")
    (folder / "notes.md").write_bytes(b"\x00" + rng.randbytes(2048))
    # Neither UTF-8 nor Windows-1252: 0x81 has no character in either.
    (folder / "menu.txt").write_bytes(
        b"Caf\xe9 cr\xe8me \x81 br\xfbl\xe9e, na\xefve r\xe9sum\xe9\n"
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n" + rng.randbytes(512))
    (folder / "huge.md").write_text("# Huge\n\n" + "Too many words here. " * 1000)
    target = outside / "secret.md"
    target.write_text("# Outside\n\nThis file lives outside the indexed folder.\n")
    (folder / "outside.md").symlink_to(target)
    (folder / "report.docx").write_bytes(b"PK\x03\x04" + rng.randbytes(256))
    (folder / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(256))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + rng.randbytes(64))


@pytest.fixture
def small_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_MAX_FILE_MB", str(MAX_FILE_MB))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture
def mixed_folder(tmp_path: Path, outside: Path) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD_MD)
    (folder / "good.txt").write_text(GOOD_TXT)
    write_bad_files(folder, outside)
    return folder


@pytest.fixture
def bad_folder(tmp_path: Path, outside: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    write_bad_files(folder, outside)
    return folder


def reasons_by_name(summary: IndexSummary) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in summary.skipped}


def test_bad_files_are_skipped_with_reasons_and_good_files_indexed(
    small_file_limit, mixed_folder, embedder
):
    assert (mixed_folder / "huge.md").stat().st_size > MAX_FILE_MB * 1024 * 1024
    settings = Settings()

    summary = Indexer(settings, embedder).run([mixed_folder])

    assert summary.files_indexed == 2
    assert summary.chunks_added >= 2
    assert summary.files_seen == 2 + len(EXPECTED_REASONS)  # .DS_Store is not counted
    assert summary.usable
    reasons = reasons_by_name(summary)
    assert set(reasons) == set(EXPECTED_REASONS)
    for name, expected in EXPECTED_REASONS.items():
        assert expected in reasons[name], f"{name}: {reasons[name]!r}"
    assert "0.01 MB" in reasons["huge.md"]
    for reason in reasons.values():  # one readable line each, never a traceback
        assert reason == reason.strip() and "\n" not in reason
        assert 5 < len(reason) < 200 and "Traceback" not in reason
    # only the good files reached the catalog
    catalog = Catalog(settings.catalog_path)
    try:
        sources = {record.source for record in catalog.files().values()}
    finally:
        catalog.close()
    assert sources == {"mixed/good.md", "mixed/good.txt"}


def test_a_second_run_over_the_same_bad_folder_changes_nothing(
    small_file_limit, mixed_folder, embedder
):
    settings = Settings()
    first = Indexer(settings, embedder).run([mixed_folder])

    second = Indexer(settings, embedder).run([mixed_folder])

    assert second.files_indexed == 0
    assert second.chunks_added == 0 and second.chunks_removed == 0
    assert second.chunks_unchanged == first.chunks_added
    assert reasons_by_name(second) == reasons_by_name(first)


def test_folder_of_only_bad_files_is_not_usable(small_file_limit, bad_folder, embedder):
    summary = Indexer(Settings(), embedder).run([bad_folder])

    assert summary.files_indexed == 0
    assert summary.chunks_added == 0
    assert set(reasons_by_name(summary)) == set(EXPECTED_REASONS)
    assert summary.usable is False


# --- through the CLI -------------------------------------------------------------------


def test_cli_index_json_reports_skips_and_exits_zero(small_file_limit, mixed_folder, embedder):
    result = CliRunner().invoke(app, ["index", str(mixed_folder), "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == INDEX_SUMMARY_KEYS
    assert summary["files_indexed"] == 2
    assert summary["files_seen"] == 2 + len(EXPECTED_REASONS)
    assert isinstance(summary["seconds"], float)
    assert all(set(entry) == {"path", "reason"} for entry in summary["skipped"])
    reasons = {Path(entry["path"]).name: entry["reason"] for entry in summary["skipped"]}
    for name, expected in EXPECTED_REASONS.items():
        assert expected in reasons[name], f"{name}: {reasons[name]!r}"


def test_cli_index_of_only_bad_files_fails_with_one_line(small_file_limit, bad_folder, embedder):
    result = CliRunner().invoke(app, ["index", str(bad_folder), "--json"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    summary = json.loads(result.stdout)
    assert summary["files_indexed"] == 0
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1
    assert error_lines[0].startswith("error: nothing usable to index in")
    assert str(bad_folder) in error_lines[0]
    assert "Traceback" not in result.output
