"""The SQLite catalog: migrations, the manifest and the lexical index kept in step."""

from __future__ import annotations

import sqlite3

import pytest

from tutor.corpus.catalog import Catalog, FileRecord
from tutor.corpus.catalog_schema import SCHEMA_VERSION, migrate
from tutor.corpus.chunking import chunk_document
from tutor.corpus.documents import load_document
from tutor.errors import StoreVersionError
from tutor.text import lexical_terms


def chunks_of(markdown: str, source: str = "notes/a.md"):
    from pathlib import Path

    return chunk_document(load_document(Path(source), markdown.encode()), source)


def test_migrations_run_once_and_are_recorded():
    db = sqlite3.connect(":memory:")
    migrate(db)
    migrate(db)  # a second open changes nothing
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = [row[0] for row in db.execute("SELECT name FROM migrations")]
    assert names == ["_m001_index", "_m002_objectives", "_m003_sentence_vectors"]


def test_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "tutor.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreVersionError, match="newer tutor"):
        Catalog(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_corrupt_catalog_is_one_clear_error(tmp_path):
    path = tmp_path / "tutor.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception, match="cannot open the catalog"):
        Catalog(path)


def test_replace_file_keeps_lexical_index_in_step(tmp_path):
    catalog = Catalog(tmp_path / "tutor.sqlite")
    record = FileRecord("/x/notes/a.md", "notes/a.md", "/x/notes", "sha-1")
    first = chunks_of(
        "# Q-learning\n\nAgents maximise cumulative reward.\n\n# PCA\n\n"
        + "Principal components reduce dimensions. " * 12
    )
    with catalog.transaction() as db:
        assert catalog.replace_file(db, record, 10, first) == (2, 0, 0)
    assert catalog.lexical_search("cumulative reward", 5) == [first[0].id]

    second = chunks_of(
        "# Q-learning\n\nAgents maximise discounted return.\n\n# PCA\n\n"
        + "Principal components reduce dimensions. " * 12
    )
    with catalog.transaction() as db:
        assert catalog.replace_file(db, record, 10, second) == (1, 1, 1)
    assert catalog.lexical_search("cumulative", 5) == []
    assert catalog.lexical_search("discounted", 5) == [second[0].id]
    assert catalog.pending_ids() == {second[0].id, first[1].id}  # none tagged yet

    catalog.set_tags({second[0].id: ["reinforcement-learning"]}, {})
    assert catalog.records([second[0].id])[second[0].id].topics == ["reinforcement-learning"]

    with catalog.transaction() as db:
        assert catalog.remove_file(db, record.path) == 2
    assert catalog.count_chunks() == 0 and catalog.count_files() == 0
    assert catalog.lexical_search("principal", 5) == []
    catalog.close()


def test_the_vector_version_follows_every_writer(tmp_path):
    path = tmp_path / "tutor.sqlite"
    writer = Catalog(path)
    reader = Catalog(path, readonly=True)
    record = FileRecord("/x/notes/a.md", "notes/a.md", "/x/notes", "sha-1")
    chunks = chunks_of("# PCA\n\n" + "Principal components reduce dimensions. " * 12)
    empty = reader.vector_version()
    assert reader.vector_version() == empty  # asked again, nothing changed

    with writer.transaction() as db:  # another connection's commit
        writer.replace_file(db, record, 10, chunks)
    added = reader.vector_version()
    assert added != empty
    writer.set_tags({chunks[0].id: ["pca"]}, {})  # done: tagged
    assert reader.vector_version() != added
    # the writer's own changes count too
    before = writer.vector_version()
    writer.clear_topics()
    assert writer.vector_version() != before
    reader.close()
    writer.close()


def test_stemming_matches_word_forms(tmp_path):
    catalog = Catalog(tmp_path / "tutor.sqlite")
    chunks = chunks_of("# Clustering\n\nClustering algorithms group documents.")
    with catalog.transaction() as db:
        catalog.replace_file(db, FileRecord("/a.md", "a.md", "/", "s"), 1, chunks)
    assert catalog.lexical_search("how do I cluster a document?", 5) == [chunks[0].id]
    catalog.close()


def test_a_word_that_becomes_common_stops_ranking(tmp_path):
    catalog = Catalog(tmp_path / "tutor.sqlite")
    filler = " Principal components reduce dimensions in tables." * 10

    def add(name: str, text: str) -> list:
        chunks = chunks_of(f"# {name}\n\n{text}{filler}", f"notes/{name}.md")
        with catalog.transaction() as db:
            record = FileRecord(f"/x/{name}.md", f"notes/{name}.md", "/x", name)
            catalog.replace_file(db, record, 1, chunks)
        return chunks

    lakehouse = add("one", "The lakehouse unifies lakes and warehouses.")
    add("two", "Vector search finds neighbours.")
    # "lakehouse" is in 1 of 2 chunks: it ranks
    assert lakehouse[0].id in catalog.lexical_search("lakehouse neighbours", 5)
    add("three", "A lakehouse keeps governance.")
    add("four", "Every lakehouse has tables.")
    # now in 3 of 4: dropped, so only the rare word ranks
    assert lakehouse[0].id not in catalog.lexical_search("lakehouse neighbours", 5)
    catalog.close()


def test_lexical_terms_drop_stopwords_and_quotes():
    assert lexical_terms('What is "few-shot" prompting, and why?') == ["few", "shot", "prompting"]
    assert lexical_terms("the of and") == []
