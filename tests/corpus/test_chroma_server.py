"""The same indexing and search against a real `chroma run` server (TUTOR_CHROMA_URL)."""

from __future__ import annotations

import pytest

from tests.conftest import start_chroma_server
from tutor.config import Settings
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.vectors import VectorStore
from tutor.errors import TutorError


@pytest.mark.slow
def test_index_and_search_through_the_server(server_settings, corpus_copy, counting_embedder):
    first = Indexer(server_settings, counting_embedder).run([corpus_copy])
    store = VectorStore(server_settings)
    assert store.count() == first.chunks_added
    assert not server_settings.chroma_path.exists()  # nothing embedded in the data dir

    guide = corpus_copy / "databricks-genai-engineer-associate-guide.md"
    guide.write_text(guide.read_text().replace("Q-learning extends", "Q-learning further extends"))
    second = Indexer(server_settings, counting_embedder).run([corpus_copy])
    assert (second.chunks_added, second.chunks_removed) == (1, 1)
    assert store.count() == first.chunks_added

    retriever = HybridRetriever.open(server_settings, counting_embedder)
    passages = retriever.search("What are the agent's choices called in an MDP?", k=3)
    retriever.close()
    assert any("actions represent choices" in p.text for p in passages)


def test_an_unreachable_server_is_one_clear_error(monkeypatch, corpus_copy, embedder):
    monkeypatch.setenv("TUTOR_CHROMA_URL", "http://127.0.0.1:9")
    with pytest.raises(TutorError, match=r"Chroma server at http://127\.0\.0\.1:9"):
        Indexer(Settings(), embedder).run([corpus_copy])


def test_a_malformed_server_url_is_rejected(monkeypatch):
    monkeypatch.setenv("TUTOR_CHROMA_URL", "localhost:8000")
    with pytest.raises(TutorError, match="http://host:port"):
        VectorStore(Settings())


@pytest.mark.slow
def test_a_server_that_goes_away_is_one_clear_error(tmp_path, monkeypatch, corpus_copy, embedder):
    url, server = start_chroma_server(tmp_path / "own-server")
    try:
        monkeypatch.setenv("TUTOR_CHROMA_URL", url)
        Indexer(Settings(), embedder).run([corpus_copy])
        retriever = HybridRetriever.open(Settings(), embedder)
        assert retriever.search("What is RLHF?", k=1)
    finally:
        server.kill()
        server.wait(timeout=30)

    # The open retriever answers from its copy of the vectors; opening the store again
    # (as the next command does) meets the server's absence, in one line.
    assert retriever.search("What is RLHF?", k=1)
    retriever.close()
    with pytest.raises(
        TutorError, match=r"cannot reach the Chroma server at http://127\.0\.0\.1:\d+"
    ):
        HybridRetriever.open(Settings(), embedder).search("What is RLHF?", k=1)
