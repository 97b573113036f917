"""The topic map, and chunks of the real corpus tagged with sensible topics."""

from __future__ import annotations

import json

import pytest

from tutor.config import PROJECT_CORPUS
from tutor.corpus.catalog import Catalog
from tutor.corpus.topics import Topic, load_topics
from tutor.errors import TutorError


def test_the_project_topic_map_is_complete():
    topics = load_topics(PROJECT_CORPUS / "topics.toml")
    assert 10 <= len(topics.topics) <= 16
    assert {"rlhf", "reinforcement-learning", "unity-catalog-governance"} <= set(topics.ids())
    assert all(t.description and t.title for t in topics.topics)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml [", "not valid TOML"),
        ("title = 'x'", r"no \[\[topic\]\] entries"),
        ("[[topic]]\nid = 'a'\n", "lacks title, description"),
        ("[[topic]]\nid='a'\ntitle='A'\ndescription='d'\n" * 2, "repeats a topic id"),
        ("[[topic]]\nid='a'\ntitle='A'\ndescription='d'\nkeywords='x'\n", "list of strings"),
    ],
)
def test_a_broken_topic_map_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "topics.toml"
    path.write_text(content)
    with pytest.raises(TutorError, match=message):
        load_topics(path)


def test_keywords_match_whole_words_only():
    topic = Topic("supervised-learning", "Supervised", "d", ("supervised", "rag"))
    assert topic.matches_heading("Supervised Models and Their Role")
    assert not topic.matches_heading("Unsupervised Learning and Discovery")
    assert not topic.matches_heading("Storage layers")


def topics_of(settings, fragment: str) -> list[str]:
    catalog = Catalog(settings.catalog_path)
    try:
        rows = catalog.db.execute(
            "SELECT topics FROM chunks WHERE text LIKE ?", (f"%{fragment}%",)
        ).fetchall()
    finally:
        catalog.close()
    assert len(rows) == 1, fragment
    return json.loads(rows[0][0])


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("actions represent choices", "reinforcement-learning"),
        ("Q-learning extends this foundation", "reinforcement-learning"),
        ("providing signals that guide the reinforcement process", "rlhf"),
        ("GANs play both pragmatic and imaginative roles", "generative-adversarial-networks"),
        ("Principal component analysis introduces", "unsupervised-learning"),
        ("Support vector machines extend", "supervised-learning"),
        ("Unity Catalog plays a central role here", "unity-catalog-governance"),
        ("zero-shot prompting, where no examples guide", "prompt-engineering"),
        ("Vendor: Databricks", "exam-overview"),
        ("remembering past states to inform present predictions", "deep-learning-architectures"),
    ],
)
def test_known_passages_get_their_topic(indexed_settings, passage, expected):
    topics = topics_of(indexed_settings, passage)
    assert expected in topics
    assert 1 <= len(topics) <= 3


def test_every_chunk_has_a_known_topic(indexed_settings):
    known = set(load_topics(PROJECT_CORPUS / "topics.toml").ids())
    catalog = Catalog(indexed_settings.catalog_path)
    rows = catalog.db.execute("SELECT topics FROM chunks").fetchall()
    catalog.close()
    tags = [json.loads(t) for (t,) in rows]
    assert all(t and set(t) <= known for t in tags)
    used = {topic for t in tags for topic in t}
    assert len(used) >= 12  # the tagging spreads over the map, not one catch-all topic
