"""Topic tagging checked against the heading and the text: a labelled check with the audit's
examples from the real guide, the rules on made-up vectors, and a tagger change re-tagging
the index without re-embedding anything."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tutor.config import Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.corpus.catalog import Catalog
from tutor.corpus.index import Indexer
from tutor.corpus.topics import Topic, TopicMap, TopicTagger, load_topics


def tags_of(settings: Settings, fragment: str) -> list[str]:
    catalog = Catalog(settings.catalog_path)
    try:
        rows = catalog.db.execute(
            "SELECT topics FROM chunks WHERE text LIKE ?", (f"%{fragment}%",)
        ).fetchall()
    finally:
        catalog.close()
    assert len(rows) == 1, fragment
    return json.loads(rows[0][0])


# (a passage of the guide, topics it must carry, topics it must not carry)
LABELLED = [
    # Audit: an SVM passage tagged with the lakehouse topic. It mentions "a lakehouse
    # environment" once and "the Databricks platform" once, next to five supervised terms.
    (
        "Supervised learning models, though often seen",
        {"supervised-learning"},
        {"lakehouse-platform"},
    ),
    # Audit: "RAG unites structured data…". The paragraph opens on prompt engineering
    # (zero-shot, few-shot, prompt chaining): that tag is right. What was wrong was a
    # question on its RAG sentence asked under prompt engineering; the quiz now asks a
    # question only under its own topic (tests/graphs/test_quiz_topics.py).
    ("retrieval-augmented generation teaches candidates to unite", {"prompt-engineering"}, set()),
    # A passage about MLflow under a deep learning heading: no lakehouse keyword in it.
    (
        "MLflow is the backbone of transparency",
        {"deep-learning-architectures"},
        {"lakehouse-platform"},
    ),
    (
        "Unity Catalog plays a central role here",
        {"unity-catalog-governance"},
        {"lakehouse-platform"},
    ),
    (
        "Reinforcement learning occupies a singular place",
        {"reinforcement-learning"},
        {"generative-ai-in-the-enterprise"},
    ),
]


@pytest.mark.parametrize(("passage", "carries", "not_carried"), LABELLED)
def test_the_guide_is_tagged_by_heading_and_evidence(
    indexed_settings, passage, carries, not_carried
) -> None:
    tags = set(tags_of(indexed_settings, passage))
    assert carries <= tags and not (not_carried & tags), tags


TOPICS = TopicMap(
    (
        Topic("lakehouse", "Lakehouse", "d", ("lakehouse", "platform")),
        Topic("supervised", "Supervised", "d", ("supervised", "regression")),
        Topic("rag", "RAG", "d", ("retrieval", "rag")),
    ),
    "digest",
)


def tagger(*sims: float) -> tuple[TopicTagger, np.ndarray]:
    """A tagger whose topics sit at these cosine similarities to the returned vector."""
    return TopicTagger(TOPICS, np.eye(3)), np.array(sims)


def test_a_heading_naming_a_topic_wins_without_evidence() -> None:
    t, vector = tagger(0.3, 0.6, 0.2)
    assert t.tag(("Guide", "Lakehouse basics"), vector, "Nothing here.") == [
        "lakehouse",
        "supervised",
    ]


def test_similarity_alone_needs_the_topic_in_the_text() -> None:
    t, vector = tagger(0.58, 0.6, 0.2)
    text = "Regression is supervised; regression fits a line."
    assert t.tag(("Guide",), vector, text) == ["supervised"]  # no lakehouse keyword
    mention = text + " It runs on a lakehouse."
    assert t.tag(("Guide",), vector, mention) == ["supervised"]  # 1 mention against 3
    both = mention + " The lakehouse platform stores it."
    assert t.tag(("Guide",), vector, both) == ["supervised", "lakehouse"]


def test_a_clear_lead_or_nothing_else_keeps_the_closest_topic() -> None:
    t, vector = tagger(0.2, 0.6, 0.1)
    assert t.tag(("Guide",), vector, "No keyword at all.") == ["supervised"]  # clear lead
    t, vector = tagger(0.58, 0.6, 0.1)
    assert t.tag(("Guide",), vector, "No keyword at all.") == ["supervised"]  # the fallback


def test_a_new_tagger_version_retags_without_re_embedding(
    settings, corpus_copy, counting_embedder
) -> None:
    Indexer(settings, counting_embedder).run([corpus_copy])
    catalog = Catalog(settings.catalog_path)
    tagging = catalog.get_meta("topics_digest")
    assert f":tagger-{TopicTagger.VERSION}:" in tagging
    # As the tutor before this tagger left it: the topic map's digest alone, other tags.
    catalog.set_meta("topics_digest", tagging.split(":")[0])
    catalog.db.execute("UPDATE chunks SET topics = '[\"lakehouse-platform\"]'")
    catalog.db.commit()
    catalog.close()
    counting_embedder.texts_embedded = 0

    summary = Indexer(settings, counting_embedder).run([corpus_copy])

    assert summary.chunks_added == 0
    topic_count = len(load_topics(settings.topics_path).topics)
    objectives = len(load_blueprint(settings.blueprint_path).objectives)
    # the topic descriptions and the objectives' texts only
    assert counting_embedder.texts_embedded == topic_count + objectives
    assert "lakehouse-platform" not in tags_of(settings, "Supervised learning models, though")
    catalog = Catalog(settings.catalog_path)
    assert catalog.get_meta("topics_digest") == tagging
    catalog.close()
