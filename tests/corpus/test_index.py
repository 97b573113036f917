"""Indexing with the real model and the embedded Chroma: incremental, convergent, single-writer."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from tutor.config import Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import resolve_model_path
from tutor.corpus.index import Indexer
from tutor.corpus.lock import IndexLock
from tutor.corpus.sentences import reading_texts
from tutor.corpus.topics import load_topics
from tutor.corpus.vectors import VectorStore
from tutor.errors import IndexBusyError, IndexMismatchError

pytestmark = pytest.mark.slow

GUIDE = "databricks-genai-engineer-associate-guide.md"


def index_state(settings: Settings) -> dict:
    """What both stores hold: chunk id -> content hash, from the catalog, FTS and Chroma."""
    catalog = Catalog(settings.catalog_path)
    try:
        rows = catalog.db.execute("SELECT id, content_hash FROM chunks").fetchall()
        fts = catalog.db.execute(
            "SELECT c.id FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid"
        ).fetchall()
        pending = catalog.pending_ids()
    finally:
        catalog.close()
    store = VectorStore(settings)
    vectors = store._collection.get(include=["metadatas"])
    return {
        "catalog": dict(rows),
        "fts": sorted(i for (i,) in fts),
        "chroma": {
            i: m["content_hash"] for i, m in zip(vectors["ids"], vectors["metadatas"], strict=True)
        },
        "pending": pending,
    }


def assert_consistent(settings: Settings) -> dict:
    state = index_state(settings)
    assert state["chroma"] == state["catalog"]
    assert state["fts"] == sorted(state["catalog"])
    assert not state["pending"]
    return state


def objectives_of(settings: Settings) -> tuple:
    blueprint = load_blueprint(settings.blueprint_path)
    return blueprint.objectives if blueprint else ()


def profiles(settings: Settings) -> int:
    """Texts embedded besides the chunks: each topic's description, each objective's text."""
    return len(load_topics(settings.topics_path).topics) + len(objectives_of(settings))


def sentences_of(settings: Settings, ids: set[str] | None = None) -> int:
    """Texts embedded for the chunks' sentences (each sentence, and each carrying-on one
    read with the one before)."""
    catalog = Catalog(settings.catalog_path)
    try:
        records = catalog.records(ids if ids is not None else catalog.chunk_ids())
    finally:
        catalog.close()
    return sum(len(reading_texts(r.text)) for r in records.values())


def test_full_index_of_the_corpus(settings, corpus_copy, counting_embedder):
    summary = Indexer(settings, counting_embedder).run([corpus_copy])

    assert summary.files_seen == 1 and summary.files_indexed == 1
    assert summary.chunks_added > 50
    assert summary.skipped == []
    state = assert_consistent(settings)
    assert len(state["catalog"]) == summary.chunks_added
    # every chunk and its sentences embedded once, plus the topic descriptions and the
    # exam's objectives
    assert counting_embedder.texts_embedded == (
        summary.chunks_added + sentences_of(settings) + profiles(settings)
    )


def test_unchanged_files_cost_no_embedding(settings, corpus_copy, counting_embedder):
    first = Indexer(settings, counting_embedder).run([corpus_copy])
    counting_embedder.texts_embedded = 0

    again = Indexer(settings, counting_embedder).run([corpus_copy])

    assert counting_embedder.texts_embedded == 0
    assert (again.files_indexed, again.chunks_added, again.chunks_removed) == (0, 0, 0)
    assert again.chunks_unchanged == first.chunks_added


def test_an_edited_paragraph_re_embeds_only_its_chunk(settings, corpus_copy, counting_embedder):
    Indexer(settings, counting_embedder).run([corpus_copy])
    before = assert_consistent(settings)
    guide = corpus_copy / GUIDE
    text = guide.read_text()
    old = "Q-learning extends this foundation"
    guide.write_text(text.replace(old, "Q-learning, a model-free method, extends this foundation"))
    counting_embedder.texts_embedded = 0

    summary = Indexer(settings, counting_embedder).run([corpus_copy])

    assert (summary.files_indexed, summary.chunks_added, summary.chunks_removed) == (1, 1, 1)
    assert summary.chunks_unchanged == len(before["catalog"]) - 1
    after = assert_consistent(settings)
    changed = set(after["catalog"]) ^ set(before["catalog"])
    assert len(changed) == 2
    new = set(after["catalog"]) - set(before["catalog"])
    # the one changed chunk and its sentences, plus the topics and objectives it is tagged
    # against
    assert counting_embedder.texts_embedded == 1 + sentences_of(settings, new) + profiles(settings)


def test_inserted_lines_shift_citations_without_re_embedding(settings, corpus_copy, embedder):
    Indexer(settings, embedder).run([corpus_copy])
    guide = corpus_copy / GUIDE
    guide.write_text(guide.read_text().replace("\n\n", "\n\n\n", 1))

    summary = Indexer(settings, embedder).run([corpus_copy])

    assert summary.chunks_added == 0 and summary.files_indexed == 1
    catalog = Catalog(settings.catalog_path)
    last = catalog.db.execute("SELECT max(span_end) FROM chunks").fetchone()[0]
    catalog.close()
    assert last == len(guide.read_text().splitlines())


def test_a_deleted_file_vanishes_from_both_indexes(settings, corpus_copy, embedder):
    extra = corpus_copy / "extra.md"
    extra.write_text("# Delta Lake\n\nDelta Lake adds zorblax transactions to data lakes.\n")
    Indexer(settings, embedder).run([corpus_copy])
    with_extra = assert_consistent(settings)
    extra.unlink()

    summary = Indexer(settings, embedder).run([corpus_copy])

    assert summary.chunks_removed == 1
    state = assert_consistent(settings)
    assert len(state["catalog"]) == len(with_extra["catalog"]) - 1
    catalog = Catalog(settings.catalog_path)
    assert catalog.lexical_search("zorblax", 5) == []
    catalog.close()


def test_indexing_another_folder_keeps_the_first(settings, corpus_copy, tmp_path, embedder):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "delta.md").write_text("# Delta Lake\n\nDelta Lake adds ACID transactions.\n")
    first = Indexer(settings, embedder).run([corpus_copy])

    Indexer(settings, embedder).run([notes])

    state = assert_consistent(settings)
    assert len(state["catalog"]) == first.chunks_added + 1


def test_a_second_copy_of_the_corpus_takes_over_its_citations(
    settings, corpus_copy, tmp_path, counting_embedder
):
    """Another clone of the project indexed into the same data dir: same citations, same
    chunk ids; the new copy replaces the old one instead of clashing with it."""
    Indexer(settings, counting_embedder).run([corpus_copy])
    clean = assert_consistent(settings)
    elsewhere = tmp_path / "clone" / corpus_copy.name
    elsewhere.parent.mkdir()
    shutil.copytree(corpus_copy, elsewhere)
    shutil.rmtree(corpus_copy)  # the first clone was deleted
    summary = Indexer(settings, counting_embedder).run([elsewhere])

    assert summary.skipped == [] and summary.files_indexed == 1
    assert summary.chunks_added == 0  # the vectors were reused, not embedded again
    assert summary.chunks_removed == 0 and summary.chunks_unchanged == len(clean["catalog"])
    assert assert_consistent(settings) == clean  # same ids, same content hashes
    catalog = Catalog(settings.catalog_path)
    assert {r.root for r in catalog.files().values()} == {str(elsewhere.resolve())}
    catalog.close()


def test_two_files_cited_alike_in_one_run_keep_the_first(settings, tmp_path, embedder):
    first, second = tmp_path / "a" / "notes", tmp_path / "b" / "notes"
    for folder, word in ((first, "zorblax"), (second, "quuxle")):
        folder.mkdir(parents=True)
        (folder / "delta.md").write_text(f"# Delta\n\nDelta Lake adds {word} transactions.\n")

    summary = Indexer(settings, embedder).run([first, second])

    assert summary.files_indexed == 1
    [skip] = summary.skipped
    assert skip.path.endswith("b/notes/delta.md") and "cited like" in skip.reason
    assert "a/notes/delta.md" in skip.reason
    state = assert_consistent(settings)
    assert len(state["catalog"]) == 1
    catalog = Catalog(settings.catalog_path)
    assert catalog.lexical_search("zorblax", 5) and not catalog.lexical_search("quuxle", 5)
    catalog.close()


def test_interrupted_runs_converge(settings, corpus_copy, embedder):
    """Whatever an interruption leaves (orphan vectors, missing vectors, untagged chunks),
    the next run ends in the same state as a clean run."""
    Indexer(settings, embedder).run([corpus_copy])
    clean = assert_consistent(settings)
    store = VectorStore(settings)
    some = sorted(clean["catalog"])[:7]
    store.delete(some)  # killed before these were upserted
    orphan = store._collection.get(ids=[sorted(clean["catalog"])[7]], include=["embeddings"])
    store.upsert(["orphan-id"], orphan["embeddings"], [{"content_hash": "x"}], ["stale"])
    db = sqlite3.connect(settings.catalog_path)
    with db:  # killed before topics were written for these
        db.execute("UPDATE chunks SET topics = NULL WHERE id IN (SELECT id FROM chunks LIMIT 5)")
    db.close()

    summary = Indexer(settings, embedder).run([corpus_copy])

    assert summary.chunks_added == 7  # only the missing vectors were embedded again
    assert assert_consistent(settings) == clean


def test_a_second_writer_is_refused(settings, corpus_copy, embedder):
    with IndexLock(settings), pytest.raises(IndexBusyError, match=r"already writing.*pid \d+"):
        Indexer(settings, embedder).run([corpus_copy])
    # the refused run changed nothing, and the lock is free again afterwards
    assert not settings.catalog_path.exists()
    Indexer(settings, embedder).run([corpus_copy])
    assert_consistent(settings)


def test_a_different_embedding_model_is_detected(settings, corpus_copy, embedder, monkeypatch):
    Indexer(settings, embedder).run([corpus_copy])
    # the same weights under another name count as another model: vectors are never mixed
    monkeypatch.setenv("TUTOR_EMBEDDING_MODEL", str(resolve_model_path(embedder.model_name)))
    other = Settings()

    with pytest.raises(IndexMismatchError, match="rebuild"):
        Indexer(other, embedder).run([corpus_copy])


def test_rebuild_starts_over(settings, corpus_copy, counting_embedder):
    first = Indexer(settings, counting_embedder).run([corpus_copy])
    counting_embedder.texts_embedded = 0

    summary = Indexer(settings, counting_embedder).run([corpus_copy], rebuild=True)

    assert summary.chunks_added == first.chunks_added
    assert counting_embedder.texts_embedded >= first.chunks_added
    assert_consistent(settings)


def test_a_changed_topic_map_retags_without_re_embedding(
    settings, corpus_copy, counting_embedder, monkeypatch
):
    Indexer(settings, counting_embedder).run([corpus_copy])
    topics = corpus_copy / "topics.toml"
    topics.write_text(
        topics.read_text()
        + '\n[[topic]]\nid = "delta-lake"\ntitle = "Delta Lake"\n'
        + 'description = "Delta Lake tables: ACID transactions and time travel."\n'
        + 'keywords = ["interplay"]\n'
    )
    monkeypatch.setenv("TUTOR_TOPICS_FILE", str(topics))
    counting_embedder.texts_embedded = 0

    Indexer(Settings(), counting_embedder).run([corpus_copy])

    topic_count = len(load_topics(topics).topics)
    # only the topic descriptions and the objectives' texts
    assert counting_embedder.texts_embedded == topic_count + len(objectives_of(settings))
    catalog = Catalog(settings.catalog_path)
    tagged = catalog.db.execute(
        "SELECT count(*) FROM chunks WHERE topics LIKE '%delta-lake%'"
    ).fetchone()[0]
    catalog.close()
    assert tagged > 0  # the "Interplay" section's chunks, by heading keyword
