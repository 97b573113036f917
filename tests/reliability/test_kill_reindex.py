"""`tutor index` killed (SIGKILL) at random points of a reindex, again and again; and
`tutor doctor --repair` mending drift planted by hand, and an unreadable vector store.

After every kill, in a fresh process: a search must answer, or say in one line what to
run (never die of a signal or print a traceback); `tutor doctor` must call the index
healthy exactly when it equals a clean run; then the index is recovered, by `tutor index`
and by `tutor doctor --repair` in turn, and every store must hold exactly what a clean run
of the same corpus holds: the catalog's files and chunks, the full-text index's entries,
and Chroma's ids, metadata, documents and vectors.

The corpus flips between two states (two files edited, one removed, one added), so every
run has files to read, a catalog commit, vectors to delete and chunks to embed and upsert.
The loop lives in `tests/harness/reindex_kills.py` (the processes it kills are forked by
`tests/harness/zygote.py`); `benchmarks/kill_reindex.py` runs the same loop for longer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from tests.harness.index_snapshot import differences, index_snapshot
from tests.harness.reindex_kills import KillLoop
from tests.harness.two_state_corpus import TOPICS, write_corpus
from tests.harness.zygote import QUERY, Zygote, run_commands
from tutor.config import Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer
from tutor.corpus.sentences import reading_texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zygote():
    server = Zygote()
    yield server
    server.close()


def test_killed_reindex_always_converges_to_a_clean_run(tmp_path, embedder, zygote):
    started = time.monotonic()
    with KillLoop(tmp_path, embedder, zygote) as loop:
        print(f"references built in {time.monotonic() - started:.0f}s", flush=True)
        cycles = loop.run(kills=20, report=lambda c: print(c.describe(), flush=True))

    killed = [c for c in cycles if c.killed]
    assert len(killed) >= 20
    failed = [c.describe() for c in cycles if not c.ok]
    assert not failed, "\n".join(failed)
    print(f"{len(killed)} kills in {time.monotonic() - started:.0f}s")


def _count_embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text embedded in this process from now on."""
    texts: list[str] = []
    embed = Embedder.embed

    def counting(self: Embedder, batch: list[str]):
        texts.extend(batch)
        return embed(self, batch)

    monkeypatch.setattr(Embedder, "embed", counting)
    return texts


def test_doctor_reports_each_kind_of_drift_and_repair_mends_it(tmp_path, embedder, monkeypatch):
    from typer.testing import CliRunner

    from tutor.cli import app
    from tutor.corpus.vectors import VectorStore

    topics = tmp_path / "topics.toml"
    topics.write_text(TOPICS)
    monkeypatch.setenv("TUTOR_TOPICS_FILE", str(topics))
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "a")
    settings = Settings()
    Indexer(settings, embedder).run([corpus])
    indexed = index_snapshot(settings)
    first_chunk = {}
    for chunk_id, row in sorted(indexed["chunks"].items(), key=lambda item: item[1][:2]):
        first_chunk.setdefault(Path(row[0]).name, chunk_id)
    lost_rows = [i for i, row in indexed["chunks"].items() if row[0].endswith("notes-06.md")]

    # Drift of every kind, planted by hand.
    store = VectorStore(settings)
    lost_vectors = [first_chunk["notes-01.md"], first_chunk["notes-02.md"]]
    store.delete(lost_vectors)
    vector = indexed["embeddings"][first_chunk["notes-00.md"]]
    store.upsert(["orphan-1", "orphan-2"], [vector] * 2, [{"content_hash": "x"}] * 2, ["a", "b"])
    store._collection.update(ids=[first_chunk["notes-03.md"]], metadatas=[{"topics": "made-up"}])
    db = sqlite3.connect(settings.catalog_path)
    with db:
        for chunk_id in (first_chunk["notes-04.md"], first_chunk["notes-05.md"]):
            row = db.execute("SELECT rowid, section, text FROM chunks WHERE id = ?", (chunk_id,))
            db.execute(
                "INSERT INTO chunks_fts(chunks_fts, rowid, section, text)"
                " VALUES ('delete', ?, ?, ?)",
                row.fetchone(),
            )
        db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in lost_rows])
    db.close()
    (corpus / "notes-07.md").unlink()
    edited = corpus / "notes-08.md"
    edited.write_text(edited.read_text().replace(". ", ", and so on. ", 1))
    clean = Settings(data_dir=tmp_path / "clean")
    Indexer(clean, embedder).run([corpus])
    reference = index_snapshot(clean)
    runner = CliRunner()

    result = runner.invoke(app, ["doctor"])

    assert result.exit_code == 1
    drift = [line for line in result.stdout.splitlines() if " drift " in line]
    assert drift == [
        "FAIL drift        1 file changed on disk since indexed: corpus/notes-08.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        1 file indexed but no longer on disk: corpus/notes-07.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        1 file with chunks lost or altered in the catalog: corpus/notes-06.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        2 chunks have no vector in Chroma; run `tutor doctor --repair`",
        "FAIL drift        2 chunks are missing from the full-text index; "
        "run `tutor doctor --repair`",
        f"FAIL drift        {2 + len(lost_rows)} vectors belong to no chunk "
        "(Chroma); run `tutor doctor --repair`",
        "FAIL drift        1 vector disagrees with its chunk (Chroma); run `tutor doctor --repair`",
    ]
    checks = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    figures = [c["figures"] for c in checks if c["name"] == "drift"]
    assert len(figures) == 7 and all(f == figures[0] for f in figures)
    assert figures[0] == {
        "files_changed": 1,
        "files_missing": 1,
        "files_damaged": 1,
        "chunks_unowned": 0,
        "chunks_pending": 0,
        "vectors_missing": 2,
        "vectors_orphaned": 2 + len(lost_rows),
        "vectors_stale": 1,
        "lexical_missing": 2,
        "lexical_orphaned": 0,
    }
    embedded = _count_embedded(monkeypatch)

    repaired = runner.invoke(app, ["doctor", "--repair"])

    assert repaired.exit_code == 0, repaired.output
    # Embedded: the two lost vectors and the edited file's new chunks, and the two topic
    # descriptions the tagger needs; the re-read file's chunks kept their vectors.
    redo = set(reference["chunks"]) - set(indexed["chunks"]) | set(lost_vectors)
    gone = [i for i, row in indexed["chunks"].items() if row[0].endswith("notes-07.md")]
    assert repaired.stdout.splitlines()[0] == (
        f"Repaired: 1 file re-read, 1 missing file forgotten, {2 + len(gone)} stray vectors "
        "deleted, 3 missing or wrong vectors redone, 1 changed file reindexed, full-text "
        f"index rebuilt, {len(redo)} chunks embedded."
    )
    assert "ok   drift        files, manifest, lexical index and Chroma agree" in repaired.stdout
    assert differences(index_snapshot(settings), reference) == []
    # the chunks, each once ...
    redone = {reference["chunks"][i][5] for i in redo}
    inputs = [text for text in embedded if text.split("\n\n", 1)[-1] in redone]
    assert len(inputs) == len(redo)
    assert {text.split("\n\n", 1)[-1] for text in inputs} == redone
    # ... the sentences of the chunks whose catalog rows are new (the edited file's, the
    # lost rows read again), the two topics' descriptions and the blueprint's objectives
    new_rows = set(reference["chunks"]) - set(indexed["chunks"]) | set(lost_rows)
    sentences = {s for i in new_rows for s in reading_texts(reference["chunks"][i][5])}
    others = [text for text in embedded if text not in inputs]
    assert sentences <= set(others)
    blueprint = load_blueprint(Settings().blueprint_path)
    described = [text for text in others if text not in sentences]
    assert len(described) == 2 + (len(blueprint.objectives) if blueprint else 0)


def test_an_unreadable_vector_store_is_set_aside_and_rebuilt(tmp_path, embedder, zygote):
    topics = tmp_path / "topics.toml"
    topics.write_text(TOPICS)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "a")
    data = tmp_path / "data"
    env = {**os.environ, "TUTOR_DATA_DIR": str(data), "TUTOR_TOPICS_FILE": str(topics)}
    clean = Settings(data_dir=tmp_path / "clean", topics_file=topics)
    Indexer(clean, embedder).run([corpus])
    reference = index_snapshot(clean)
    run_commands(zygote, env, tmp_path / "first", [["index", ["index", str(corpus)]]])
    # Chroma's database cut short: every process that opens the store now fails to.
    database = data / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 10)

    results = run_commands(
        zygote,
        env,
        tmp_path / "second",
        [
            ["search", ["search", QUERY]],
            ["doctor", ["doctor", "--json"]],
            ["repair", ["doctor", "--repair", "--json"]],
        ],
    )

    search = results["search"]
    assert search["code"] == 1 and search["stderr"].count("\n") == 1
    assert search["stderr"].startswith("error: cannot open the vector store")
    assert search["stderr"].strip().endswith("run `tutor doctor --repair` to rebuild it")
    doctor = {c["name"]: c for c in json.loads(results["doctor"]["stdout"])}
    assert results["doctor"]["code"] == 1
    assert not doctor["chroma"]["ok"] and "drift" not in doctor
    assert results["repair"]["code"] == 0, results["repair"]
    repaired = json.loads(results["repair"]["stdout"])
    moved = Path(repaired["repair"]["damaged_store_moved_to"])
    assert moved.parent == data and (moved / "chroma.sqlite3").exists()
    assert repaired["repair"]["index"]["chunks_added"] == len(reference["chunks"])
    assert all(c["ok"] for c in repaired["checks"] if c["required"])
    assert differences(results["snapshot"], reference) == []
