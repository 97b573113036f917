"""The quiz graph end to end: offline and with fake models, interrupts, restarts, crashes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import ollama
import pytest
from langgraph.checkpoint.memory import InMemorySaver

import graphs.quiz.graph
from graphs.context import TutorContext
from graphs.prompts import GENERATE_PROMPT, GRADE_PROMPT, VERIFY_PROMPT
from tests.fakes import ScriptedChatModel
from tutor.config import Settings
from tutor.corpus.sentences import CachedEmbed
from tutor.learner.records import GradedAnswer, LearnerEvent
from tutor.learner.scheduling import rating_for
from tutor.learner.store import LearnerStore
from tutor.quiz.generate import MAX_ATTEMPTS
from tutor.quiz.grading import MAX_GIVEN_CHARS
from tutor.quiz.questions import Question
from tutor.runtime.checkpoints import open_checkpointer
from tutor.runtime.quiz_session import QuizSession


@pytest.fixture
def make_quiz(retriever, embedder, tmp_path: Path):
    stores: list[LearnerStore] = []

    def make(model=None, checkpointer=None, store=None) -> QuizSession:
        store = store or LearnerStore(tmp_path / "learner.sqlite")
        stores.append(store)
        context = TutorContext(
            settings=Settings(data_dir=tmp_path / "data"),
            retriever=retriever,
            learner_store=store,
            chat_model=model,
            offline=model is None,
            embed=CachedEmbed(embedder.embed),
        )
        session = QuizSession(context, checkpointer or InMemorySaver())
        return session

    yield make
    for store in stores:
        store.close()


def run_through(session: QuizSession, step, answers):
    graded = []
    for answer in answers:
        assert step.question is not None
        step = session.answer(step.quiz, answer)
        graded.append(step.graded)
    return step, graded


def test_an_offline_quiz_asks_grades_and_remembers(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=3, kind="mixed")
    questions = []
    for _ in range(3):
        q = step.question
        assert q is not None and q["total"] == 3 and "answer" not in q and "key" not in q
        questions.append(q)
        step = session.answer(step.quiz, "A")
        assert step.graded is not None and step.graded["question"] == q["question"]
    assert step.question is None and step.summary["asked"] == 3
    assert [q["kind"] for q in questions] == ["mc", "tf", "cloze"]
    assert len({q["question"] for q in questions}) == 3  # nothing repeated
    store = session.context.learner_store
    kinds = [e.kind for e in store.events("default")]
    assert len(kinds) == 3 and set(kinds) <= {"right", "wrong"}
    assert step.summary["correct"] == kinds.count("right")


def test_due_reviews_come_first_then_weak_then_new(make_quiz, tmp_path) -> None:
    store = LearnerStore(tmp_path / "learner.sqlite")
    session = make_quiz(store=store)
    bank = session.context.question_bank()
    rng = __import__("random").Random(1)
    chunk = next(c for c in bank.slots if bank.slots[c])  # a passage with something to ask
    due = bank.make(chunk, "cloze", rng)
    hour_ago = time.time() - 3600
    store.record_answer(
        GradedAnswer("default", due, "nope", False, rating_for(False), hour_ago, "old:1")
    )
    weak = "rlhf" if due.topic == "prompt-engineering" else "prompt-engineering"
    now = time.time()
    for _ in range(3):
        store.record(LearnerEvent("default", weak, "wrong", now))
    step = session.start(n=3)
    assert step.question["reason"] == "review" and step.question["question"] == due.prompt
    step = session.answer(step.quiz, due.answer)
    assert step.graded["correct"]
    assert (step.question["reason"], step.question["topic"]) == ("weak", weak), due.topic
    step = session.answer(step.quiz, "x")
    assert step.question["reason"] in ("weak", "new")


def test_a_named_topic_quiz_stays_on_it(make_quiz) -> None:
    session = make_quiz()
    # Reinforcement learning has three sentences to blank, two of them in one passage: the
    # third question comes from a passage already asked about.
    step = session.start(n=3, kind="cloze", topic="reinforcement-learning")
    step, graded = run_through(session, step, ["x", "y", "z"])
    assert {g["topic"] for g in graded} == {"reinforcement-learning"}
    assert step.summary["asked"] == 3


# Quizzes that go offline ask short answers: RLHF's passages are mostly rhetoric, and
# state two checkable facts besides its acronym (three short answers, one multiple choice).
MODEL_QUESTIONS = (
    "Which technique aligns model outputs with human preferences?",
    "Which technique has evaluators rank the outputs of large language models?",
    "Which technique fine-tunes generative AI applications so outputs match stated values?",
    "Which technique turns rankings by evaluators into signals for training?",
    "Which technique steers chatbots toward empathy through ranked replies?",
)
"""What the fake model asks, one after another: a quiz never asks one stem twice (the
flaw checker rejects a duplicate stem), and none holds a word of the short answer's key
but the first (which the checker calls a cue for a short answer)."""


MANY_SHORT_TOPIC = "unity-catalog-governance"
"""A topic whose material gives three offline short answers (rlhf gives two): what a quiz
that goes offline asks."""


def question_json(kind: str = "mc", number: int = 0) -> str:
    if kind == "short":
        number = number % (len(MODEL_QUESTIONS) - 1) + 1
    return json.dumps(
        {
            "question": MODEL_QUESTIONS[number % len(MODEL_QUESTIONS)],
            "options": ["RLHF", "PCA", "k-means", "Q-learning"] if kind == "mc" else [],
            "answer": "RLHF" if kind == "mc" else "reinforcement learning with human feedback",
            "explanation": "The passage says RLHF aligns outputs with human values.",
        }
    )


def model_for(generate: list[str], supported: bool = True, correct: bool = True):
    """A fake model answering each structured prompt by its system message."""
    queue = list(generate)
    asked = [0]
    defaults = {question_json(k): k for k in ("mc", "tf", "short", "cloze")}

    def reply(messages) -> str:
        system = messages[0].content
        if system.startswith(VERIFY_PROMPT[:40]):
            return json.dumps({"supported": supported, "reason": "checked"})
        if system.startswith(GRADE_PROMPT[:40]):
            return json.dumps({"correct": correct, "feedback": "ok"})
        assert system.startswith(GENERATE_PROMPT[:40])
        text = queue.pop(0) if len(queue) > 1 else queue[0]
        if text in defaults:  # the standard question: another stem each time
            text = question_json(defaults[text], asked[0])
            asked[0] += 1
        return text

    return ScriptedChatModel(replies=[reply])


def test_model_questions_are_generated_verified_and_asked(make_quiz) -> None:
    model = model_for([question_json("mc")])
    session = make_quiz(model)
    step = session.start(n=1, kind="mc", topic="rlhf")
    assert step.question["options"] == ["RLHF", "PCA", "k-means", "Q-learning"]
    step = session.answer(step.quiz, "A")
    assert step.graded["correct"] and step.graded["key"] == "RLHF"
    assert step.summary["rejected"] == 0 and step.summary["fallbacks"] == 0
    generate_calls = [c for c in model.calls if c[0].content.startswith(GENERATE_PROMPT[:40])]
    assert "<passage>" in generate_calls[0][-1].content


def test_malformed_output_is_retried_then_accepted(make_quiz) -> None:
    model = model_for(["not json at all", '{"question": "too short"}', question_json("mc")])
    session = make_quiz(model)
    step = session.start(n=1, kind="mc", topic="rlhf")
    assert step.question["question"].startswith("Which technique")


def test_a_model_that_never_gives_valid_output_falls_back_offline(make_quiz) -> None:
    session = make_quiz(model_for(["{broken"]))
    # A topic with offline multiple choice to spare (the fallback stays on the topic).
    step = session.start(n=1, kind="mc", topic="reinforcement-learning")
    assert step.question is not None and len(step.question["options"]) == 4
    step = session.answer(step.quiz, "A")
    assert step.summary["fallbacks"] == 1


def test_unsupported_questions_are_rejected_and_never_shown(make_quiz) -> None:
    session = make_quiz(model_for([question_json("mc")], supported=False))
    step = session.start(n=1, kind="mc", topic="reinforcement-learning")
    # Every model question was rejected; the offline generator's question is asked.
    assert step.question is not None
    assert (
        step.question["question"] != "Which technique aligns model outputs with human preferences?"
    )
    step = session.answer(step.quiz, "A")
    assert step.summary["rejected"] >= 3


def test_short_answers_are_graded_by_the_model_in_ollama_mode(make_quiz) -> None:
    session = make_quiz(model_for([question_json("short")], correct=True))
    step = session.start(n=1, kind="short", topic="rlhf")
    assert step.question["kind"] == "short"
    step = session.answer(step.quiz, "people rating the answers")
    assert step.graded["correct"]


def test_a_quiz_survives_a_restart(make_quiz, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = make_quiz(checkpointer=open_checkpointer(settings))
    step = first.start(n=3, kind="cloze")
    step = first.answer(step.quiz, "x")
    waiting = step.question
    first.checkpointer.conn.close()

    second = make_quiz(checkpointer=open_checkpointer(settings))
    again = second.current(step.quiz)
    assert again.question == waiting
    step, _ = run_through(second, again, ["y", "z"])
    assert step.summary["asked"] == 3
    assert len(second.context.learner_store.answered_questions("default")) == 3


def test_a_crash_between_grade_and_remember_counts_once(make_quiz, tmp_path, monkeypatch) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    session = make_quiz(checkpointer=open_checkpointer(settings))
    store = session.context.learner_store
    step = session.start(n=2, kind="cloze")
    real = store.record_answer
    calls = {"n": 0}

    def crash_once(answer):
        calls["n"] += 1
        if calls["n"] == 1:
            real(answer)  # the write lands, then the process dies before the checkpoint
            raise KeyboardInterrupt("killed")
        return real(answer)

    monkeypatch.setattr(store, "record_answer", crash_once)
    with pytest.raises(KeyboardInterrupt):
        session.answer(step.quiz, "x")
    resumed = session.current(step.quiz)
    assert resumed.question is not None and resumed.question["number"] == 2
    assert len(store.answered_questions("default")) == 1
    assert len(store.events("default")) == 1
    session.answer(step.quiz, "y")
    assert len(store.events("default")) == 2


def test_an_exam_spreads_questions_by_topic_weight(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=6, exam=True)
    topics = []
    while step.question is not None:
        assert step.question["exam"] is True
        topics.append(step.question["topic"])
        step = session.answer(step.quiz, "A")
    assert len(topics) == 6 and len(set(topics)) >= 3
    assert step.summary["asked"] == 6 and step.summary["per_topic"]


def test_stopping_early_summarises_what_was_answered(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=5, kind="tf")
    step = session.answer(step.quiz, "True")
    step = session.stop(step.quiz)
    assert step.question is None
    assert step.summary["ended"] == "stopped" and step.summary["asked"] == 1


def test_question_model_round_trips() -> None:
    q = Question.model_validate_json(
        Question(
            kind="tf",
            prompt="RLHF uses human feedback.",
            options=["True", "False"],
            answer="True",
            explanation="It does.",
            topic="rlhf",
            chunk_id="c",
            source="s",
        ).model_dump_json()
    )
    assert q.kind == "tf" and q.id


def test_a_topic_that_runs_dry_hands_over_to_other_topics(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=15, kind="cloze")
    topics = []
    while step.question is not None:
        topics.append(step.question["topic"])
        step = session.answer(step.quiz, "x")
    assert step.summary["asked"] == 15 and step.summary["ended"] == "done"
    assert len(set(topics)) >= 8


def test_a_named_topic_that_runs_dry_ends_the_quiz(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=200, kind="cloze", topic="lakehouse-platform")
    asked = set()
    while step.question is not None:
        assert step.question["topic"] == "lakehouse-platform"
        asked.add(step.question["question"])
        step = session.answer(step.quiz, "x")
    assert 0 < len(asked) < 200  # every question about the topic, none twice
    assert step.summary["ended"] == "no material" and step.summary["asked"] == len(asked)


# --- Ollama going away mid-quiz -------------------------------------------------------


def failing_model(error: BaseException, prompt: str = GENERATE_PROMPT, kind: str = "mc"):
    """Answers like `model_for`, except that the first call with `prompt` raises `error`
    (as ChatOllama does when the server refuses, stalls or has lost the model)."""
    answer = model_for([question_json(kind)]).replies[0]
    failed = []

    def reply(messages) -> str:
        if messages[0].content.startswith(prompt[:40]) and not failed:
            failed.append(error)
            raise error
        return answer(messages)

    return ScriptedChatModel(replies=[reply])


def calls_with(model: ScriptedChatModel, prompt: str) -> int:
    return sum(1 for call in model.calls if call[0].content.startswith(prompt[:40]))


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (httpx.ConnectError("connection refused"), "Ollama is not running at http://"),
        (httpx.ReadTimeout("timed out"), "Ollama did not answer within"),
        (ollama.ResponseError("model 'llama3.2' not found", 404), "is not pulled"),
    ],
    ids=["refused", "timeout", "model-missing"],
)
def test_once_ollama_is_gone_the_rest_of_the_quiz_is_made_offline(
    make_quiz, error: BaseException, says: str
) -> None:
    model = failing_model(error)
    session = make_quiz(model)
    step = session.start(n=3, kind="short", topic=MANY_SHORT_TOPIC)
    step, _ = run_through(session, step, ["A", "A", "A"])
    # One call met the outage; no later question asked the model again.
    assert len(model.calls) == 1
    summary = step.summary
    assert (summary["asked"], summary["made_offline"], summary["fallbacks"]) == (3, 3, 1)
    assert says in summary["offline_reason"]
    assert (
        summary["offline_notice"]
        == f"3 of 3 questions were made offline: {summary['offline_reason']}"
    )
    answered = session.context.learner_store.answered_questions("default")
    origins = [question.origin for question, _right, _wrong in answered]
    assert origins == ["offline"] * 3


def test_ollama_gone_while_checking_a_question_sends_the_quiz_offline(make_quiz) -> None:
    model = failing_model(httpx.ConnectError("connection refused"), VERIFY_PROMPT)
    session = make_quiz(model)
    step = session.start(n=2, kind="short", topic="rlhf")
    # The model's question could not be checked, so it was never shown.
    assert step.question["question"] not in MODEL_QUESTIONS
    step, _ = run_through(session, step, ["A", "A"])
    assert len(model.calls) == 2  # one question made, its check failed; nothing after
    assert (step.summary["rejected"], step.summary["made_offline"]) == (1, 2)


def test_a_malformed_reply_costs_one_question_and_the_next_asks_the_model(make_quiz) -> None:
    model = model_for(["{broken"] * MAX_ATTEMPTS + [question_json("short")])
    session = make_quiz(model)
    step = session.start(n=2, kind="short", topic="rlhf")
    first = step.question
    step = session.answer(step.quiz, "A")
    assert first["question"] != step.question["question"]
    assert step.question["question"] in MODEL_QUESTIONS  # the model's
    step = session.answer(step.quiz, "A")
    assert calls_with(model, GENERATE_PROMPT) == MAX_ATTEMPTS + 1
    summary = step.summary
    assert (summary["fallbacks"], summary["made_offline"]) == (1, 0)
    assert summary["offline_reason"] is None and summary["offline_notice"] is None


def test_a_cut_reply_costs_one_question_only(make_quiz) -> None:
    model = failing_model(httpx.RemoteProtocolError("incomplete chunked read"))
    session = make_quiz(model)
    step = session.start(n=2, kind="short", topic="rlhf")
    step, _ = run_through(session, step, ["A", "A"])
    assert calls_with(model, GENERATE_PROMPT) == 2
    assert (step.summary["fallbacks"], step.summary["made_offline"]) == (1, 0)


def test_ollama_gone_while_grading_sends_the_next_questions_offline(make_quiz) -> None:
    model = failing_model(httpx.ConnectError("connection refused"), GRADE_PROMPT, "short")
    session = make_quiz(model)
    step = session.start(n=3, kind="short", topic="rlhf")
    assert step.question["kind"] == "short"
    step, graded = run_through(session, step, ["gradient descent", "x", "y"])
    assert graded[0]["correct"] is False  # the rule's verdict stands
    assert calls_with(model, GRADE_PROMPT) == 1
    assert calls_with(model, GENERATE_PROMPT) == 1  # only the first question's
    assert step.summary["made_offline"] == 2
    assert step.summary["offline_notice"].startswith("2 of 3 questions were made offline: ")


def test_a_quiz_resumed_by_a_new_process_asks_ollama_again(
    make_quiz, tmp_path, monkeypatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    model = failing_model(httpx.ConnectError("connection refused"))
    first = make_quiz(model, checkpointer=open_checkpointer(settings))
    step = first.start(n=3, kind="short", topic="rlhf")
    step = first.answer(step.quiz, "A")  # the second question is made offline as well
    assert len(model.calls) == 1
    first.checkpointer.conn.close()

    monkeypatch.setattr(graphs.quiz.graph, "PROCESS", "a restarted tutor")
    second = make_quiz(model, checkpointer=open_checkpointer(settings))
    step = second.current(step.quiz)
    step = second.answer(step.quiz, "A")
    # Ollama answers again: the third question is the model's.
    assert step.question["question"] in MODEL_QUESTIONS
    step = second.answer(step.quiz, "A")
    assert calls_with(model, GENERATE_PROMPT) == 2
    assert step.summary["made_offline"] == 2
    assert "Ollama is not running" in step.summary["offline_notice"]
    second.checkpointer.conn.close()


# --- what the model grader gets -------------------------------------------------------


def test_the_model_grades_the_answer_as_recorded_never_a_pasted_page(make_quiz) -> None:
    model = model_for([question_json("short")], correct=False)
    session = make_quiz(model)
    step = session.start(n=3, kind="short", topic="rlhf")
    spaced = "people\n\n" + " " * 5000 + "rating \x1b[Dthe answers"
    page = "The passage says " + "a" * 100_000
    step, graded = run_through(session, step, [spaced, page, "word " * 40])
    grading = [
        call[-1].content for call in model.calls if call[0].content.startswith(GRADE_PROMPT[:40])
    ]
    # Only the first answer went to the model, cleaned as it is recorded.
    assert len(grading) == 1
    assert "<learner_answer>\npeople rating the answers\n</learner_answer>" in grading[0]
    # A pasted page and a 40-word ramble are wrong by rule: the model never sees them.
    assert [g["correct"] for g in graded] == [False, False, False]
    assert all(len(g["answer_given"]) <= MAX_GIVEN_CHARS for g in graded)


def test_the_grade_says_why_and_a_settled_wrong_is_not_sent_to_the_model(make_quiz) -> None:
    session = make_quiz(model_for([question_json("short")], correct=True))
    step = session.start(n=1, kind="short", topic="rlhf")
    step = session.answer(step.quiz, "RLHF")
    assert step.graded["correct"]
    assert step.graded["reason"] == (
        "Right: RLHF is the acronym of reinforcement learning with human feedback."
    )

    model = model_for([question_json("short")], correct=True)  # would accept anything
    session = make_quiz(model)
    step = session.start(n=1, kind="short", topic="rlhf")
    step = session.answer(step.quiz, "not RLHF")
    assert not step.graded["correct"]
    assert step.graded["reason"] == "A negated answer: it says what the answer is not."
    assert calls_with(model, GRADE_PROMPT) == 0


# --- item-writing flaws and one question per sentence (issue 13) -----------------------


def test_a_quiz_asks_each_sentence_of_the_material_once(make_quiz) -> None:
    session = make_quiz()
    step = session.start(n=5, kind="mixed", topic="unsupervised-learning")
    step, _graded = run_through(session, step, ["x"] * 5)
    assert step.summary["asked"] == 5
    answered = session.context.learner_store.answered_questions("default")
    sentences = [question.sentence for question, _right, _wrong in answered]
    assert all(sentences) and len(set(sentences)) == len(sentences) == 5


def test_a_model_question_repeating_an_asked_stem_is_rejected(make_quiz) -> None:
    same = question_json("mc").replace("human preferences", "the preferences of people")
    session = make_quiz(model_for([same]))  # the model asks the same question every time
    step = session.start(n=2, kind="mc", topic="rlhf")
    first = step.question["question"]
    step = session.answer(step.quiz, "A")
    assert step.question["question"] != first  # the repeat was never shown
    step = session.answer(step.quiz, "A")
    assert step.summary["rejected"] >= 1
