"""Passages mapped to the exam's objectives: labelled notes (each written on one objective)
find theirs, the shipped study page (general machine learning, written around the exam)
supports none, the rules on made-up vectors, and a blueprint change re-mapping the index
without re-embedding a passage."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.blueprint import Blueprint, ExamFacts, Objective, Section
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.objectives import MIN_SIMILARITY, ObjectiveMapper

NOTES = Path(__file__).parent / "objective_notes"

# note -> the objectives it must support (and no others). The first eight set the rules'
# figures; the last six were written afterwards and checked without changing them.
LABELLED = {
    "chunking.md": {"2.1", "2.7", "3.3"},
    "rerank.md": {"2.8"},
    "injection.md": {"5.2"},
    "monitoring.md": {"6.6"},
    "pyfunc.md": {"4.1"},
    "judges.md": {"6.7"},
    "mcp.md": {"4.13"},
    "vectorsearch.md": {"4.8", "4.6"},
    "pii.md": {"5.1"},
    "aiquery.md": {"4.9"},
    "register.md": {"4.5"},
    "gateway.md": {"6.8"},
    "licence.md": {"5.3"},
    "embedmodel.md": {"3.8"},
}


def corpus_with_notes(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_CORPUS, corpus)
    shutil.copytree(NOTES, corpus / "notes")
    return corpus


def mapped(settings: Settings) -> dict[str, set[str]]:
    """Per source file, the objectives its chunks support."""
    catalog = Catalog(settings.catalog_path)
    try:
        chunks = catalog.objective_chunks()
        records = catalog.records({c for ids in chunks.values() for c in ids})
    finally:
        catalog.close()
    found: dict[str, set[str]] = {}
    for objective, ids in chunks.items():
        for chunk in ids:
            found.setdefault(Path(records[chunk].source).name, set()).add(objective)
    return found


def test_notes_support_their_objectives_and_the_study_page_none(tmp_path, embedder) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_with_notes(tmp_path))
    Indexer(settings, embedder).run()
    found = mapped(settings)
    assert found == LABELLED  # the study page is absent: it supports no objective


def test_a_blueprint_change_remaps_without_re_embedding(tmp_path, counting_embedder) -> None:
    corpus = corpus_with_notes(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    Indexer(settings, counting_embedder).run()
    assert "mcp.md" in mapped(settings)
    # The learner rewrites the MCP objective's keywords so the note no longer backs it.
    path = corpus / "blueprint.toml"
    text = path.read_text()
    old = 'keywords = ["mcp", "model context protocol", "mcp server"]'
    assert old in text
    path.write_text(text.replace(old, 'keywords = ["stdio transport"]'))
    before = counting_embedder.texts_embedded
    summary = Indexer(settings, counting_embedder).run()
    assert summary.chunks_added == 0
    found = mapped(settings)
    assert "mcp.md" not in found and found["rerank.md"] == {"2.8"}
    # Only the topics' and objectives' own texts were embedded again, not one passage.
    topics_and_objectives = 15 + 56
    assert counting_embedder.texts_embedded - before == topics_and_objectives


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def mapper() -> ObjectiveMapper:
    objectives = [
        Objective("a", "A", "s", keywords=("chunking",)),
        Objective("b", "B", "s", keywords=("re-ranker",)),
        Objective("c", "C", "s", keywords=("chunking",)),
    ]
    return ObjectiveMapper(
        objectives, np.stack([unit([1, 0, 0]), unit([0, 1, 0]), unit([0, 0, 1])])
    )


def test_closeness_needs_a_keyword_and_a_keyword_needs_closeness() -> None:
    m = mapper()
    close_to_a = unit([1, 0.1, 0.05])
    assert m.map(close_to_a, "Chunking splits documents.") == ["a"]
    assert m.map(close_to_a, "Documents are split.") == []  # near, but no keyword
    far = unit([0.3, 0.2, 1])
    assert far @ m.vectors[0] < MIN_SIMILARITY
    assert m.map(far, "Chunking splits documents.") == ["c"]  # the keyword's other objective


def test_no_blueprint_maps_nothing() -> None:
    m = ObjectiveMapper.build(None, lambda texts: pytest.fail("nothing to embed"))
    assert m.map(unit([1, 0, 0]), "chunking") == []


def test_the_digest_follows_the_objectives() -> None:
    facts = ExamFacts("E", 10, 20, 0.7, "guide")
    one = Blueprint(facts, (Section("s", "S", 100, (Objective("a", "A", "s"),)),))
    two = Blueprint(facts, (Section("s", "S", 100, (Objective("a", "A", "s", keywords=("x",)),)),))
    assert one.digest != two.digest
    renamed = Blueprint(replace(facts, name="F"), one.sections)
    assert renamed.digest == one.digest  # the exam's facts do not change any mapping
