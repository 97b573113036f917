"""A hostile corpus through the real indexer (packaged MiniLM, embedded Chroma): a zip bomb
renamed .pdf, a 2 GB sparse file, symlinks out of the corpus, in a loop and to nowhere, a
named pipe, a binary named .md, Windows-1252 text, a file planting terminal escapes, file
names with escape sequences, with bytes that are not UTF-8 and with `..` in them, and
`../` paths on the command line. Each bad file is skipped with a one-line reason, nothing
is read that should not be, and the good files are indexed with the right text."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.contracts import INDEX_SUMMARY_KEYS
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer, IndexSummary, find_files

pytestmark = pytest.mark.slow

GB = 1 << 30
GOOD_MD = """# Vector Search

Vector search finds passages whose embeddings are close to the embedding of a question.
"""
CP1252_TEXT = "Café crème brûlée — “smart quotes” cost €5 … naïve façade, Straße.\n"
PLANTED = (
    b"# Model Serving\n\nModel serving exposes a registered model behind a REST endpoint."
    b"\x1b[2J\x1b[H Read \x1b]8;;http://example.invalid/\x07the docs\x1b]8;;\x07 first.\x07\n"
)
ESCAPED_NAME = "serving\x1b[2J\x1b]0;pwned\x07.md"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# file name -> the start of its skip reason
EXPECTED_SKIPS = {
    "bomb.pdf": "unreadable PDF",
    "sparse.md": "larger than the 20 MB limit (TUTOR_MAX_FILE_MB)",
    "image.md": "binary file (contains NUL bytes)",
    "leak.md": "symlink leads outside the indexed folder",
    "loop-a.md": "symlink loop",
    "loop-b.md": "symlink loop",
    "nowhere.md": "broken symlink",
    "pipe.md": "not a regular file",
    "caf\ufffd.md": "the file name is not valid UTF-8; rename the file",
}
INDEXED_SOURCES = {
    "corpus/good.md",
    "corpus/windows.txt",
    "corpus/planted.md",
    "corpus/serving?[2J?]0;pwned?.md",
    "corpus/notes..md",
    "corpus/sub/draft..final.md",
}


def zip_bomb(path: Path, inflated: int = 2 * GB) -> None:
    """A valid zip holding one file of `inflated` zero bytes, in about 2 MB: the deflate
    stream repeats one byte-aligned block (a full flush resets the history), so it is
    written without compressing gigabytes."""
    chunk = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(inflated // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    size = len(block) * (inflated // len(chunk)) + len(tail)
    name = b"zeros.bin"
    fields = (20, 0, 8, 0, 0x21, crc, size, inflated, len(name), 0)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name
    central = struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
    central += struct.pack("<HHHII", 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + size, 0)
    with path.open("wb") as file:
        file.write(local)
        for _ in range(inflated // len(chunk)):
            file.write(block)
        file.write(tail + central + end)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.pdf"
    zip_bomb(path)
    return path


def build_corpus(root: Path, bomb: Path) -> tuple[Path, Path]:
    """The hostile corpus under root/corpus, and a file outside it."""
    corpus, outside = root / "corpus", root / "elsewhere"
    (corpus / "sub").mkdir(parents=True)
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text("# Secret\n\nThis file lives outside the corpus and must stay out.\n")

    (corpus / "good.md").write_text(GOOD_MD)
    (corpus / "windows.txt").write_bytes(("Notes\n\n" + CP1252_TEXT).encode("cp1252"))
    (corpus / "planted.md").write_bytes(PLANTED)
    (corpus / ESCAPED_NAME).write_text(GOOD_MD.replace("Vector Search", "Serving"))
    (corpus / "notes..md").write_text(GOOD_MD.replace("Vector Search", "Dots"))
    (corpus / "sub" / "draft..final.md").write_text(GOOD_MD.replace("Vector", "Sub"))
    try:
        os.link(bomb, corpus / "bomb.pdf")  # a hard link: the 2 MB bomb is written once
    except OSError:
        shutil.copyfile(bomb, corpus / "bomb.pdf")
    with (corpus / "sparse.md").open("wb") as sparse:
        sparse.truncate(2 * GB)  # 2 GB long, nothing on disk
    (corpus / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "leak.md").symlink_to(secret)
    (corpus / "loop-a.md").symlink_to(corpus / "loop-b.md")
    (corpus / "loop-b.md").symlink_to(corpus / "loop-a.md")
    (corpus / "nowhere.md").symlink_to(corpus / "missing.md")
    os.mkfifo(corpus / "pipe.md")  # opening it to read would wait forever for a writer
    (corpus / os.fsdecode(b"caf\xe9.md")).write_text(GOOD_MD)
    return corpus, secret


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def skips(summary: IndexSummary) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in summary.skipped}


def catalog_sources(settings: Settings) -> dict[str, list[str]]:
    """Each indexed file's source, with the texts of its chunks."""
    catalog = Catalog(settings.catalog_path)
    try:
        rows = catalog.db.execute("SELECT source, text FROM chunks ORDER BY source, ordinal")
        found: dict[str, list[str]] = {s.source: [] for s in catalog.files().values()}
        for source, text in rows:
            found[source].append(text)
        return found
    finally:
        catalog.close()


def test_hostile_corpus_is_indexed_around_its_bad_files(tmp_path, bomb, embedder) -> None:
    corpus, _ = build_corpus(tmp_path, bomb)
    settings = Settings()
    assert zipfile.ZipFile(bomb).infolist()[0].file_size == 2 * GB
    rss_before, started = peak_rss_mb(), time.monotonic()

    summary = Indexer(settings, embedder).run([corpus])

    # Neither the 2 GB sparse file nor the 2 GB the bomb inflates to was read into memory,
    # and the named pipe did not block the run.
    assert peak_rss_mb() - rss_before < 500
    assert time.monotonic() - started < 60
    assert set(skips(summary)) == set(EXPECTED_SKIPS)
    for name, expected in EXPECTED_SKIPS.items():
        assert skips(summary)[name].startswith(expected), (name, skips(summary)[name])
    for skipped in summary.skipped:
        assert skipped.reason.strip() and "\n" not in skipped.reason, skipped
        assert not CONTROL.search(skipped.path + skipped.reason), skipped
    assert summary.files_indexed == len(INDEXED_SOURCES)
    assert summary.files_seen == len(INDEXED_SOURCES) + len(EXPECTED_SKIPS)

    indexed = catalog_sources(settings)
    assert set(indexed) == INDEXED_SOURCES
    assert not any("must stay out" in " ".join(texts) for texts in indexed.values())
    # Windows-1252 is read with its own characters, not skipped and not mojibake.
    assert indexed["corpus/windows.txt"] == [CP1252_TEXT.strip()]
    # Planted escapes are gone from the index, whole, with the text around them kept.
    assert indexed["corpus/planted.md"] == [
        "Model serving exposes a registered model behind a REST endpoint. Read the docs first."
    ]
    for texts in indexed.values():
        assert not any(CONTROL.search(t.replace("\n", "")) for t in texts)


def test_paths_with_dots_on_the_command_line_are_cited_by_where_they_are(
    tmp_path, bomb, embedder
) -> None:
    """`tutor index corpus/sub/..` indexes the corpus itself and cites it as `corpus/...`;
    `corpus/../elsewhere/secret.md` is the learner asking for that file by name."""
    corpus, secret = build_corpus(tmp_path, bomb)
    settings = Settings()
    dotted = corpus / "sub" / ".."
    by_dots = corpus / ".." / "elsewhere" / "secret.md"

    summary = Indexer(settings, embedder).run([dotted, by_dots, Path("/dev/null")])

    assert skips(summary)["null"] == "not a regular file or folder"
    sources = set(catalog_sources(settings))
    assert sources == INDEXED_SOURCES | {"elsewhere/secret.md"}
    assert not any(".." in s.split("/") for s in sources)
    assert secret.read_text()  # read, not moved or changed


def test_a_second_run_changes_nothing_and_names_the_same_skips(tmp_path, bomb, embedder):
    corpus, _ = build_corpus(tmp_path, bomb)
    settings = Settings()
    first = Indexer(settings, embedder).run([corpus])

    second = Indexer(settings, embedder).run([corpus])

    assert (second.files_indexed, second.chunks_added, second.chunks_removed) == (0, 0, 0)
    assert second.chunks_unchanged == first.chunks_added
    assert skips(second) == skips(first)


@pytest.fixture
def shared_embedder(embedder, monkeypatch: pytest.MonkeyPatch):
    """The CLI builds its own embedder; hand it the session's instead of loading another."""
    monkeypatch.setattr(Embedder, "for_settings", lambda settings: embedder)
    return embedder


def test_cli_index_json_lists_every_skip_and_exits_zero(tmp_path, bomb, shared_embedder):
    corpus, _ = build_corpus(tmp_path, bomb)

    result = CliRunner().invoke(app, ["index", str(corpus), "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == INDEX_SUMMARY_KEYS
    assert summary["files_indexed"] == len(INDEXED_SOURCES)
    reasons = {Path(entry["path"]).name: entry["reason"] for entry in summary["skipped"]}
    assert set(reasons) == set(EXPECTED_SKIPS)
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert result.stderr == ""  # no warnings from the PDF or HTML parsers either


def test_cli_index_text_output_shows_escape_names_harmlessly(tmp_path, shared_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD_MD)
    (corpus / "empty\x1b]0;pwned\x07\x1b[2J.md").write_text("")

    result = CliRunner().invoke(app, ["index", str(corpus)])

    assert result.exit_code == 0, result.output
    assert "skipped corpus/empty?]0;pwned??[2J.md: empty file" in result.stdout
    assert not CONTROL.search(result.stdout.replace("\n", ""))


def test_cli_index_prints_paths_that_look_like_markup(tmp_path, shared_embedder):
    corpus = tmp_path / "corpus"
    (corpus / "draft[").mkdir(parents=True)
    (corpus / "good.md").write_text(GOOD_MD)
    (corpus / "draft[" / "notes].md").write_text("")  # the path holds "[/notes]"

    result = CliRunner().invoke(app, ["index", str(corpus)])

    assert result.exit_code == 0, result.output
    assert "skipped corpus/draft[/notes].md: empty file" in result.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_named_not_dropped(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    (corpus / "good.md").write_text(GOOD_MD)
    (corpus / "locked").chmod(0)
    try:
        found, skipped = find_files([corpus])
    finally:
        (corpus / "locked").chmod(0o755)

    assert [c.source for c in found] == ["corpus/good.md"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("locked", "cannot read folder: Permission denied")
    ]
