"""Which paradigm a method belongs to, read off the topic map: the members of each."""

from __future__ import annotations

from tutor.corpus.topics import Topic, TopicMap
from tutor.quiz.paradigms import find_paradigms

TOPICS = TopicMap(
    (
        Topic("sup", "Supervised Learning", "d", ("supervised", "decision tree", "regression")),
        Topic(
            "unsup",
            "Unsupervised Learning",
            "d",
            ("unsupervised", "k-means", "clustering", "shared"),
        ),
        Topic("rl", "Reinforcement Learning, MDPs and Q-Learning", "d", ("q-learning", "shared")),
        Topic("tools", "MLflow", "d", ("mlflow", "shared")),
    ),
    "digest",
)
CATEGORIES = {
    "supervised learning": "method",
    "unsupervised learning": "method",
    "reinforcement learning": "method",
    "mlflow": "product",
    "decision trees": "model",
    "regression models": "model",
    "k-means clustering": "method",
    "clustering": "method",
    "q-learning": "method",
    "shared search": "method",
}


def naming(term: str) -> list[str]:
    """The topics whose keywords name the term, as `SlotFinder.naming` does."""
    return [t.id for t in TOPICS.topics if t.matches_heading(term.removesuffix("s"))]


def test_each_paradigm_lists_the_methods_its_topic_alone_names() -> None:
    found = {p.key: p for p in find_paradigms(TOPICS, CATEGORIES, CATEGORIES, {}, naming)}
    # A product's topic is no paradigm; a topic titled by a method is.
    assert set(found) == {"supervised learning", "unsupervised learning", "reinforcement learning"}
    assert found["supervised learning"].members == ("decision trees",)  # not "regression models"
    # "clustering" is another name of k-means clustering here: the one of more words is asked.
    assert found["unsupervised learning"].members == ("k-means clustering",)
    # Named by two paradigms ("shared search"): a member of neither.
    assert found["reinforcement learning"].members == ("q-learning",)
    assert found["unsupervised learning"].topic == "unsup"
