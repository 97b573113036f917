"""The chat graph's routing decisions, as pure functions."""

from __future__ import annotations

import pytest

from graphs.chat.graph import after_retrieve, after_route
from graphs.chat.mentions import find_topic, tidy_citations
from graphs.chat.routing import (
    classify_turn,
    is_check_reply,
    is_follow_up,
    small_talk_kind,
    standalone_query,
)
from tutor.config import PROJECT_CORPUS
from tutor.corpus.topics import load_topics


@pytest.mark.parametrize(
    ("text", "history", "pending", "expected"),
    [
        ("What is retrieval-augmented generation?", False, False, "question"),
        ("What is retrieval-augmented generation?", True, False, "question"),
        (
            "How does MLflow track experiments and models across the lifecycle?",
            True,
            False,
            "question",
        ),
        ("hello", False, False, "small_talk"),
        ("Thanks!", True, False, "small_talk"),
        ("what can you do?", False, False, "small_talk"),
        ("quiz me", False, False, "quiz"),
        ("Can you quiz me on RAG?", True, False, "quiz"),
        ("ask me a question", True, False, "quiz"),
        ("why?", True, False, "follow_up"),
        ("What about its limitations?", True, False, "follow_up"),
        ("And how does it reduce hallucinations?", True, False, "follow_up"),
        ("give me an example", True, False, "follow_up"),
        ("why is that?", True, False, "follow_up"),
        # A question word opening a full question is not a pointer back.
        ("Why refresh a vector search index?", True, False, "question"),
        # Without history there is nothing to lean on: a pointer is just a question.
        ("why?", False, False, "question"),
        ("Unity Catalog", True, True, "check_answer"),
        ("skip", True, True, "check_answer"),
        ("I don't know", True, True, "check_answer"),
        # A real question while a check is pending starts a new turn, not an answer.
        ("What does Unity Catalog govern?", True, True, "question"),
        ("quiz me on agents", True, True, "quiz"),
        ("thanks", True, True, "small_talk"),
    ],
)
def test_classify_turn(text: str, history: bool, pending: bool, expected: str) -> None:
    assert classify_turn(text, has_history=history, check_pending=pending) == expected


def test_small_talk_kinds() -> None:
    assert small_talk_kind("Good morning!") == "greeting"
    assert small_talk_kind("thank you so much") == "thanks"
    assert small_talk_kind("bye") == "farewell"
    assert small_talk_kind("help") == "help"
    assert small_talk_kind("   ") == "empty"
    # A greeting followed by a real question is a question.
    assert small_talk_kind("hi, what is a GAN?") is None


def test_long_messages_with_pronouns_are_not_follow_ups() -> None:
    text = (
        "In the lakehouse architecture described for the exam, how does it combine the "
        "openness of data lakes with the rigor of warehouses for governance?"
    )
    assert not is_follow_up(text)
    assert is_follow_up("is it governed by Unity Catalog?")


def test_check_replies() -> None:
    assert is_check_reply("MLflow")
    assert is_check_reply("the lakehouse")
    assert not is_check_reply("What is MLflow?")
    assert not is_check_reply("")
    assert not is_check_reply(" ".join(["word"] * 20))


def test_standalone_query_leans_on_the_last_query() -> None:
    assert standalone_query("why?", ["What is RLHF?"]) == "What is RLHF? why?"
    assert standalone_query("why?", []) == "why?"


def test_after_route_and_after_retrieve() -> None:
    assert after_route({"route": "question"}) == "retrieve"
    assert after_route({"route": "follow_up"}) == "retrieve"
    assert after_route({"route": "check_answer"}) == "grade_check"
    assert after_route({"route": "quiz"}) == "quiz"
    assert after_route({"route": "small_talk"}) == "small_talk"
    assert after_retrieve({"passages": []}) == "not_covered"
    assert after_retrieve({"passages": [{"n": 1}]}) == "answer"


def test_tidy_citations() -> None:
    text, cited = tidy_citations("RAG grounds answers [2]. Also [1, 3] and [7].", 3)
    assert text == "RAG grounds answers [2]. Also [1][3] and ."
    assert cited == [2, 1, 3]
    assert tidy_citations("No citations here.", 2) == ("No citations here.", [])


def test_find_topic_by_keyword_and_id() -> None:
    topics = load_topics(PROJECT_CORPUS / "topics.toml")
    assert find_topic("quiz me on rlhf", topics).id == "rlhf"
    assert find_topic("quiz me on unity-catalog-governance", topics).id == (
        "unity-catalog-governance"
    )
    assert find_topic("quiz me", topics) is None
