"""The quiz graph's decisions as pure functions: topic order, exam allocation, kinds."""

from __future__ import annotations

from collections import Counter

from graphs.quiz.graph import (
    after_pick,
    after_remember,
    after_verify,
    allocate,
    choose_topic,
    kind_for,
)
from tutor.learner.mastery import Mastery
from tutor.learner.store import TopicProgress


def row(topic: str, mastery: float, evidence: float) -> TopicProgress:
    return TopicProgress(topic, topic.title(), Mastery(mastery, evidence, 0, 0, 0, None), "")


PROGRESS = [
    row("strong", 0.8, 3.0),
    row("new-a", 0.5, 0.0),
    row("weak", 0.3, 2.0),
    row("weaker", 0.2, 2.0),
    row("new-b", 0.5, 0.0),
    row("shaky", 0.45, 1.0),
]


def test_weakest_first_then_new_then_the_rest() -> None:
    order = []
    asked: Counter[str] = Counter()
    for _ in range(len(PROGRESS)):
        topic, reason = choose_topic(PROGRESS, asked)
        order.append((topic, reason))
        asked[topic] += 1
    assert order == [
        ("weaker", "weak"),
        ("weak", "weak"),
        ("shaky", "weak"),
        ("new-a", "new"),
        ("new-b", "new"),
        ("strong", "practice"),
    ]
    # Once every topic had a turn, the weakest comes round again.
    assert choose_topic(PROGRESS, asked)[0] == "weaker"


def test_allocate_is_proportional_and_sums_to_n() -> None:
    plan = allocate(20, {"a": 10, "b": 5, "c": 3, "d": 2})
    assert len(plan) == 20
    assert Counter(plan) == {"a": 10, "b": 5, "c": 3, "d": 2}
    plan = allocate(7, {"a": 1, "b": 1, "c": 1})
    assert sorted(Counter(plan).values()) == [2, 2, 3]
    assert allocate(0, {"a": 1}) == [] and allocate(3, {}) == []


def test_kinds_rotate_in_mixed_quizzes() -> None:
    assert [kind_for("mixed", i, False) for i in range(4)] == ["mc", "tf", "cloze", "mc"]
    assert [kind_for("mixed", i, True) for i in range(3)] == ["mc", "tf", "short"]
    assert kind_for("short", 0, False) == "short" and kind_for("mc", 5, True) == "mc"


def test_edges() -> None:
    assert after_pick({"current": {"q": 1}}) == "ask"
    assert after_pick({"current": None}) == "generate"
    assert after_pick({"summary": {"ended": "no material"}}) == "finish"
    assert after_verify({"current": None}) == "generate"
    assert after_verify({"current": {"q": 1}}) == "ask"
    assert after_remember({"n": 2, "results": [1]}) == "pick"
    assert after_remember({"n": 2, "results": [1, 2]}) == "finish"
    assert after_remember({"n": 5, "results": [1], "reply": {"stop": True}}) == "finish"


def test_a_dry_topic_sends_the_quiz_back_to_pick() -> None:
    assert after_pick({"repick": True, "current": None}) == "pick"
    assert after_verify({"repick": True, "current": None}) == "pick"
    assert after_verify({"repick": True, "summary": {"ended": "no material"}}) == "finish"
