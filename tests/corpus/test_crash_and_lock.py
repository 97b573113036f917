"""A `tutor index` killed mid-run, and a second writer while one runs, in real processes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.corpus.test_index import assert_consistent
from tutor.cli import app
from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever

pytestmark = pytest.mark.slow


def write_big_corpus(folder: Path, files: int = 30, paragraphs: int = 10) -> Path:
    """Enough distinct chunks that embedding them takes a while."""
    guide = (PROJECT_CORPUS / "databricks-genai-engineer-associate-guide.md").read_text()
    sentences = [s.strip() + "." for s in guide.split(". ") if len(s) > 40]
    rng = random.Random(7)
    folder.mkdir()
    for number in range(files):
        body = "\n\n".join(" ".join(rng.sample(sentences, 5)) for _ in range(paragraphs))
        (folder / f"notes-{number:02}.md").write_text(f"# Notes {number}\n\n{body}\n")
    return folder


def pending_chunks(catalog_path: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{catalog_path}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM chunks WHERE topics IS NULL").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_killed_index_converges_and_second_writer_is_refused(tmp_path, embedder):
    corpus = write_big_corpus(tmp_path / "big")
    settings = Settings()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tutor", "index", str(corpus), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        wait_for(lambda: settings.lock_path.with_suffix(".owner").exists())
        refused = CliRunner().invoke(app, ["index", str(corpus)])
        assert refused.exit_code == 1
        assert "already writing" in refused.stderr and f"pid {writer.pid}" in refused.stderr

        # kill it while chunks are committed but not all embedded yet
        wait_for(lambda: pending_chunks(settings.catalog_path) > 0 or writer.poll() is not None)
        time.sleep(random.Random(3).uniform(0.0, 1.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL

    # a search between the kill and the rerun still answers from what is there
    retriever = HybridRetriever.open(settings, embedder)
    retriever.search("reinforcement learning rewards", k=3)
    retriever.close()

    Indexer(settings, embedder).run([corpus])
    resumed = assert_consistent(settings)

    clean_settings = Settings(data_dir=tmp_path / "clean")
    Indexer(clean_settings, embedder).run([corpus])
    assert resumed == assert_consistent(clean_settings)
