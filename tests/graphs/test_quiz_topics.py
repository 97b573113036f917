"""Topics that stay put, and "bad question": the quiz graph offline over the real guide.

A question is asked under one topic and its answer, event and card all go there; `--topic`
asks only about that topic and ends early, saying so, when it runs dry; a retired question
is never asked to that learner again and its grade stops counting."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graphs.context import TutorContext
from graphs.quiz.policy import on_topic_question
from tutor.config import Settings
from tutor.corpus.sentences import CachedEmbed
from tutor.corpus.topics import Topic
from tutor.learner.store import LearnerStore
from tutor.quiz.questions import Question
from tutor.runtime.quiz_session import QuizSession


@pytest.fixture
def quiz(retriever, embedder, tmp_path: Path):
    store = LearnerStore(tmp_path / "learner.sqlite")
    context = TutorContext(
        settings=Settings(data_dir=tmp_path / "data"),
        retriever=retriever,
        learner_store=store,
        chat_model=None,
        offline=True,
        embed=CachedEmbed(embedder.embed),
    )
    yield QuizSession(context, InMemorySaver())
    store.close()


def waiting_id(session: QuizSession, quiz: str) -> str:
    """The id of the question waiting for an answer (the learner never sees it)."""
    current = session.graph.get_state({"configurable": {"thread_id": quiz}}).values["current"]
    return Question.model_validate(current).id


def recorded(store: LearnerStore, sql: str) -> list[tuple]:
    return store._query(sql)


def test_every_answer_event_and_card_goes_to_the_named_topic(quiz) -> None:
    topic = "supervised-learning"
    step = quiz.start(n=4, kind="cloze", topic=topic)
    shown = []
    while step.question is not None:
        shown.append(step.question["topic"])
        step = quiz.answer(step.quiz, "x")
    assert shown and set(shown) == {topic}
    store = quiz.context.learner_store
    assert {e.topic for e in store.events("default")} == {topic}
    assert recorded(store, "SELECT DISTINCT topic FROM answers") == [(topic,)]
    assert recorded(store, "SELECT DISTINCT topic FROM questions") == [(topic,)]
    assert set(store.next_reviews("default")) == {topic}
    assert {row["topic"] for row in step.summary["per_topic"]} == {topic}


def test_a_named_topic_that_runs_dry_ends_early_and_says_so(quiz) -> None:
    topic = "prompt-engineering"  # two passages of the guide carry it
    step = quiz.start(n=40, kind="cloze", topic=topic)
    topics = []
    while step.question is not None:
        topics.append(step.question["topic"])
        step = quiz.answer(step.quiz, "x")
    assert set(topics) <= {topic} and len(topics) < 40
    summary = step.summary
    assert (summary["ended"], summary["topic"], summary["asked"]) == (
        "no material",
        topic,
        len(topics),
    )


def test_a_topic_no_passage_is_tagged_with_asks_only_its_own_terms(quiz) -> None:
    """No chunk of the guide is tagged with MLflow, but a few name it: those questions are
    asked, and nothing else (the audit saw 8 of 9 questions on other topics)."""
    topic = "mlflow-model-lifecycle"
    step = quiz.start(n=12, kind="cloze", topic=topic)
    keys = []
    while step.question is not None:
        assert step.question["topic"] == topic
        step = quiz.answer(step.quiz, "x")
        keys.append(step.graded["key"].lower())
    assert step.summary["ended"] == "no material" and len(keys) < 12
    assert all(key in ("mlflow", "lifecycle", "model registry") for key in keys), keys
    assert {e.topic for e in quiz.context.learner_store.events("default")} <= {topic}


def test_the_summary_names_only_topics_with_evidence(quiz) -> None:
    step = quiz.start(n=2, kind="cloze", topic="supervised-learning")
    while step.question is not None:
        step = quiz.answer(step.quiz, "x")
    assert step.summary["asked"] == 2, step.summary
    assert [t["topic"] for t in step.summary["weakest_topics"]] == ["supervised-learning"]


def test_a_bad_question_is_retired_and_the_quiz_goes_on(quiz) -> None:
    store = quiz.context.learner_store
    step = quiz.start(n=2, kind="cloze", topic="unsupervised-learning")
    bad = waiting_id(quiz, step.quiz)
    flagged = step.question["question"]
    step = quiz.retire(step.quiz, "two terms fit the blank")
    # Not graded: the next question waits in its place, still number 1 of 2.
    assert step.graded is None and step.question["number"] == 1
    assert step.question["question"] != flagged and waiting_id(quiz, step.quiz) != bad
    assert store.retired_ids("default") == {bad}
    assert recorded(store, "SELECT reason, quiz FROM retired") == [
        ("two terms fit the blank", step.quiz)
    ]
    while step.question is not None:
        step = quiz.answer(step.quiz, "x")
    assert step.summary["asked"] == 2 and step.summary["retired"] == 1
    assert len(store.events("default")) == 2

    # Never asked to this learner again, in any later quiz on the topic.
    for seed in range(3):
        later = quiz.start(n=6, kind="cloze", topic="unsupervised-learning", quiz=f"later-{seed}")
        while later.question is not None:
            assert waiting_id(quiz, later.quiz) != bad
            later = quiz.answer(later.quiz, "x")


def test_the_question_just_graded_can_be_retired(quiz) -> None:
    store = quiz.context.learner_store
    step = quiz.start(n=3, kind="cloze", topic="reinforcement-learning")
    first = waiting_id(quiz, step.quiz)
    step = quiz.answer(step.quiz, "wrong on purpose")
    assert step.graded is not None and store.card_state("default", first) is not None
    waiting = step.question["number"]
    step = quiz.retire(step.quiz, None, previous=True)
    # The waiting question is shown again; the graded one is retired.
    assert step.question["number"] == waiting and step.graded is None
    assert store.retired_ids("default") == {first}
    assert store.card_state("default", first) is None
    assert store.events("default") == []  # its wrong answer no longer counts
    assert recorded(store, "SELECT count(*) FROM answers") == [(1,)]  # but is kept
    topics = quiz.context.ready().topics.topics
    progress = {row.topic: row for row in store.progress("default", topics)}
    assert progress["reinforcement-learning"].mastery.attempts == 0


def test_a_checkpointed_quiz_with_a_retire_reads_back_strictly(quiz, tmp_path) -> None:
    """The retire reply and the state it leaves are plain data: the strict checkpoint
    reader takes them."""
    from tutor.runtime.checkpoints import open_checkpointer

    saver = open_checkpointer(Settings(data_dir=tmp_path / "data"))
    session = QuizSession(quiz.context, saver)
    step = session.start(n=2, kind="cloze", topic="supervised-learning")
    step = session.retire(step.quiz, "unclear")
    again = QuizSession(quiz.context, open_checkpointer(Settings(data_dir=tmp_path / "data")))
    assert again.current(step.quiz).question == step.question
    session.close()
    again.close()


def q(topic: str, n: int, sentence: str = "A sentence about the subject") -> Question:
    return Question(
        kind="cloze",
        prompt=f"{sentence} with a _____ ({n}).",
        answer="term",
        explanation="e",
        topic=topic,
        chunk_id=f"c{n}",
        source="s",
    )


MAP = (
    Topic("rag", "RAG", "d", ("retrieval-augmented", "rag")),
    Topic("prompts", "Prompts", "d", ("prompt", "few-shot")),
    Topic("exam", "Exam", "d", ("exam", "preparation")),
)


def test_only_a_question_about_the_topic_is_taken() -> None:
    other, own, again = q("rag", 1), q("prompts", 2), q("prompts", 3)
    assert on_topic_question([other, own], "prompts", ["prompts"], {}, MAP) == own
    assert on_topic_question([other], "prompts", ["prompts", "rag"], {}, MAP) is None
    # A question recorded under another topic before stays there.
    assert on_topic_question([own, again], "prompts", [], {own.id: "rag"}, MAP) == again
    assert on_topic_question([], "prompts", [], {}, MAP) is None


def test_a_default_topic_question_moves_only_when_its_sentence_is_about_the_topic() -> None:
    """The audit's case: a paragraph on prompts whose last sentences are about RAG, its
    questions defaulting to the section's first topic (exam)."""
    rag_sentence = q("exam", 1, "Similarly, retrieval-augmented generation unites data")
    prompt_sentence = q("exam", 2, "Few-shot prompting guides the model")
    passage = ["exam", "prompts"]
    assert on_topic_question([rag_sentence], "prompts", passage, {}, MAP) is None
    taken = on_topic_question([rag_sentence, prompt_sentence], "prompts", passage, {}, MAP)
    assert taken is not None and taken.id == prompt_sentence.id and taken.topic == "prompts"
    # Not on a passage that does not carry the topic.
    assert on_topic_question([prompt_sentence], "prompts", ["exam"], {}, MAP) is None
    # Not a key that is a term of the question's own topic.
    named = q("exam", 3, "Few-shot prompting is on the").model_copy(update={"answer": "exam"})
    assert on_topic_question([named], "prompts", passage, {}, MAP) is None
