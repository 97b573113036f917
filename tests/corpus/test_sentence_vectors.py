"""The index keeps the vectors of each chunk's sentences: search ranks by sentence without
embedding any, and an index from before they were kept gets them at its next run."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.conftest import PROJECT_CORPUS, CountingEmbedder
from tests.corpus.test_index import profiles
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import reading_texts

pytestmark = pytest.mark.slow

QUESTIONS = ["What is RLHF?", "How does k-means organise documents?", "what's a lakehouse"]


def stored(settings: Settings) -> tuple[dict, dict]:
    catalog = Catalog(settings.catalog_path)
    try:
        records = catalog.records(catalog.chunk_ids())
        return records, catalog.sentence_vectors(records)
    finally:
        catalog.close()


def forget_sentence_vectors(settings: Settings) -> None:
    """Make the index look as a tutor that kept no sentence vectors left it."""
    catalog = Catalog(settings.catalog_path)
    try:
        with catalog.transaction() as db:
            db.execute("UPDATE chunks SET sentence_vectors = NULL")
    finally:
        catalog.close()


def searched(settings: Settings) -> tuple[list[list[str]], int]:
    """Each question's top-5 chunk ids, and how many texts the searches embedded."""
    counting = CountingEmbedder(settings.onnx_cache_path)
    retriever = HybridRetriever.open(settings, counting)
    try:
        ranked = [[p.chunk_id for p in retriever.search(q, k=5)] for q in QUESTIONS]
    finally:
        retriever.close()
    return ranked, counting.texts_embedded


def test_every_chunk_keeps_its_sentences_vectors(indexed_data_dir, embedder):
    records, vectors = stored(Settings(data_dir=indexed_data_dir))

    assert set(vectors) == set(records)
    for chunk_id, record in records.items():
        assert len(vectors[chunk_id]) == len(reading_texts(record.text))
    some = sorted(records)[:3]
    for chunk_id in some:
        fresh = embedder.embed(reading_texts(records[chunk_id].text))
        # half precision: the same vectors to three decimals
        assert np.allclose(vectors[chunk_id], fresh, atol=2e-3)


def test_search_embeds_only_the_question_and_ranks_as_without(indexed_data_dir, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=PROJECT_CORPUS)
    shutil.copytree(indexed_data_dir, settings.data_dir)

    with_stored, embedded = searched(settings)
    forget_sentence_vectors(settings)
    without, embedded_without = searched(settings)

    # the question and its other wordings (an acronym spelled out), nothing more
    assert embedded <= 2 * len(QUESTIONS)
    assert embedded_without > 10 * len(QUESTIONS)  # every head passage's sentences
    assert with_stored == without


def test_an_index_without_them_gets_them_at_its_next_run(
    indexed_data_dir, tmp_path, counting_embedder
):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=PROJECT_CORPUS)
    shutil.copytree(indexed_data_dir, settings.data_dir)
    records, _ = stored(settings)
    forget_sentence_vectors(settings)

    summary = Indexer(settings, counting_embedder).run()

    assert (summary.chunks_added, summary.chunks_removed) == (0, 0)
    _, vectors = stored(settings)
    assert set(vectors) == set(records)
    # only the sentences (the chunks' own vectors are reused), and the topic descriptions
    # and objectives they are tagged against
    sentences = sum(len(reading_texts(r.text)) for r in records.values())
    assert counting_embedder.texts_embedded == sentences + profiles(settings)
