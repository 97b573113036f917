"""The chat graph end to end with fake chat models and the real index."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import httpx
import pytest
from langchain_core.messages import SystemMessage
from langgraph.runtime import Runtime

from graphs.chat.graph import remember
from graphs.chat.memory import turn_events
from graphs.chat.state import CheckState, GradeState, PassageRef, TutorState
from graphs.prompts import PASSAGES_HEADER, SOCRATIC_PROMPT, system_prompt
from tests.fakes import CutAfter, ScriptedChatModel
from tutor.config import PROJECT_CORPUS
from tutor.corpus.exam import load_exam
from tutor.learner.records import LearnerEvent
from tutor.llm import OllamaError
from tutor.quiz.cloze import BLANK

EXAM = load_exam(PROJECT_CORPUS / "exam.toml").name
"""The exam the shipped corpus folder names (what the conversations' prompts say)."""

RAG = "What is retrieval-augmented generation?"


def passages_in(prompt: str) -> list[int]:
    return [int(n) for n in re.findall(r'<passage n="(\d+)"', prompt)]


def test_answer_cites_passages_and_lists_only_cited_sources(conversation) -> None:
    reply = "RAG grounds answers in retrieved text [2]. See [1, 2] and [9]."
    model = ScriptedChatModel(replies=[reply])
    chat = conversation(model)
    out = chat.ask(RAG)

    assert out["route"] == "question" and out["mode"] == "ollama"
    system, *_, human = model.calls[0]
    assert isinstance(system, SystemMessage) and system.content == system_prompt(EXAM)
    assert human.content.startswith(PASSAGES_HEADER)
    assert human.content.rstrip().endswith(f"Question: {RAG}")
    assert passages_in(human.content) == list(range(1, len(out["passages"]) + 1))
    # [9] has no passage behind it and is dropped; [1, 2] is normalised.
    assert out["answer"].startswith("RAG grounds answers in retrieved text [2]. See [1][2] and .")
    assert [s["n"] for s in out["sources"]] == [1, 2]
    first = out["passages"][0]
    assert out["sources"][0] == {
        "n": 1,
        "source": first["source"],
        "heading": first["heading"],
        "lines": first["span"],
    }
    assert "retrieval-augmented-generation" in out["topics"]
    assert [m.type for m in out["messages"]] == ["human", "ai"]


def test_an_answer_without_citations_lists_every_passage_given(conversation) -> None:
    chat = conversation(ScriptedChatModel(replies=["It retrieves then generates."]))
    out = chat.ask(RAG)
    assert [s["n"] for s in out["sources"]] == [p["n"] for p in out["passages"]]


def test_not_in_the_material_says_so_without_calling_the_model(conversation) -> None:
    model = ScriptedChatModel(replies=["invented answer"])
    chat = conversation(model)
    out = chat.ask("What is the best recipe for sourdough bread?")
    assert out["passages"] == []
    assert "does not cover" in out["answer"] and "invented" not in out["answer"]
    assert model.calls == []
    assert chat.events() == []


def test_follow_up_is_rewritten_by_the_model_into_a_standalone_query(conversation) -> None:
    model = ScriptedChatModel(
        replies=[
            "RAG retrieves passages, then generates [1].",
            "How does retrieval-augmented generation keep answers accurate?",
            "By grounding them [1].",
        ]
    )
    chat = conversation(model, offer_checks=False)
    chat.ask(RAG)
    out = chat.ask("And why does that matter?")
    assert out["route"] == "follow_up"
    rewrite_prompt = model.prompts()[1]
    assert RAG in rewrite_prompt and "Last message: And why does that matter?" in rewrite_prompt
    assert out["query"] == "How does retrieval-augmented generation keep answers accurate?"
    # The answer prompt carries the earlier turn as history.
    answer_call = model.calls[2]
    assert [m.type for m in answer_call] == ["system", "human", "ai", "human"]
    assert out["queries"] == [RAG, out["query"]]


def test_follow_up_offline_leans_on_the_previous_query(conversation) -> None:
    chat = conversation(offer_checks=False)
    chat.ask("What does reinforcement learning with human feedback do?")
    out = chat.ask("why?")
    assert out["route"] == "follow_up"
    assert out["query"] == "What does reinforcement learning with human feedback do? why?"
    assert "rlhf" in out["topics"]


def test_a_failed_rewrite_falls_back_to_the_rule(conversation) -> None:
    model = ScriptedChatModel(
        replies=["First answer [1].", httpx.ConnectError("refused"), "Second answer [1]."]
    )
    chat = conversation(model, offer_checks=False)
    chat.ask(RAG)
    out = chat.ask("what about its limits?")
    assert out["query"] == f"{RAG} what about its limits?"
    assert out["answer"].startswith("Second answer")


def test_socratic_mode_is_a_per_session_toggle(conversation) -> None:
    model = ScriptedChatModel(replies=["Think about what [1] says. What grounds the answer?"])
    chat = conversation(model, offer_checks=False)
    chat.ask(RAG, socratic=True)
    chat.ask("What is MLflow used for?")  # no flag: the session keeps Socratic mode
    chat.ask("What is Unity Catalog?", socratic=False)
    systems = [call[0].content for call in model.calls]
    assert [SOCRATIC_PROMPT in s for s in systems] == [True, True, False]
    other = conversation(model, socratic=True)  # the setting is the default
    other.ask(RAG)
    assert SOCRATIC_PROMPT in model.calls[-1][0].content


def test_socratic_offline_gives_a_hint_and_a_question_back(conversation) -> None:
    chat = conversation()
    out = chat.ask(RAG, socratic=True)
    assert out["mode"] == "offline"
    assert "Socratic mode" in out["answer"] and BLANK in out["answer"]
    assert out["pending_check"]["prompt"] in out["answer"]
    # The hint points at passages; the passages themselves are not quoted.
    assert not any(line.startswith(">") for line in out["answer"].splitlines())


def test_check_offered_then_graded_right_and_remembered(conversation) -> None:
    chat = conversation(ScriptedChatModel(replies=["RAG retrieves, then generates [1]."]))
    out = chat.ask(RAG)
    check = out["pending_check"]
    assert check and BLANK in check["prompt"] and "Quick check" in out["answer"]
    assert check["topic"] == "retrieval-augmented-generation"

    graded = chat.ask(check["answer"].upper())
    assert graded["route"] == "check_answer"
    assert graded["grade"]["result"] == "right"
    assert graded["pending_check"] is None
    kinds = [(e.topic, e.kind) for e in chat.events()]
    assert kinds[-1] == ("retrieval-augmented-generation", "right")
    assert chat.events()[-1].question == check["prompt"]


def test_wrong_and_skipped_check_replies(conversation) -> None:
    chat = conversation()
    check = chat.ask(RAG)["pending_check"]
    before = len(chat.events())
    out = chat.ask("banana")
    assert out["grade"]["result"] == "wrong" and check["answer"] in out["answer"]
    assert [e.kind for e in chat.events()[before:]] == ["wrong"]

    assert chat.ask("What is Unity Catalog used for?")["pending_check"] is not None
    before = len(chat.events())
    out = chat.ask("skip")
    assert out["grade"]["result"] == "skipped"
    assert len(chat.events()) == before  # a pass is no evidence


def test_a_list_of_terms_holding_the_key_is_wrong_and_says_why(conversation) -> None:
    chat = conversation()
    check = chat.ask(RAG)["pending_check"]

    out = chat.ask(f"PCA, {check['answer']}, MLflow, LoRA")

    assert out["route"] == "check_answer" and out["grade"]["result"] == "wrong"
    assert out["answer"].startswith(f"Not quite: the answer is **{check['answer']}**.")
    assert "A list of terms: give one answer." in out["answer"]
    assert chat.events()[-1].kind == "wrong"


def test_never_two_checks_in_a_row(conversation) -> None:
    chat = conversation()
    assert chat.ask(RAG)["pending_check"] is not None
    # The check is left unanswered: the next explanation offers none.
    assert chat.ask("What is Unity Catalog used for?")["pending_check"] is None
    assert chat.ask("What are generative adversarial networks?")["pending_check"] is not None


def test_a_new_question_while_a_check_is_pending_drops_the_check(conversation) -> None:
    chat = conversation()
    assert chat.ask(RAG)["pending_check"]
    out = chat.ask("What is MLflow used for?")
    assert out["route"] == "question" and out["grade"] is None
    assert all(e.kind == "asked" for e in chat.events())


def test_quiz_request_asks_on_the_named_or_weakest_topic(conversation) -> None:
    model = ScriptedChatModel(replies=["unused"])
    chat = conversation(model)
    out = chat.ask("quiz me on RLHF")
    assert out["route"] == "quiz" and out["topics"] == ["rlhf"]
    assert out["pending_check"]["topic"] == "rlhf" and BLANK in out["answer"]
    assert model.calls == []

    chat.ask(out["pending_check"]["answer"])
    # Make one topic clearly weakest, then an unnamed quiz picks it.
    store = chat.context.learner_store

    now = time.time()
    store.record(LearnerEvent("default", "generative-adversarial-networks", "wrong", now))
    store.record(LearnerEvent("default", "generative-adversarial-networks", "wrong", now))
    out = chat.ask("quiz me")
    assert out["pending_check"]["topic"] == "generative-adversarial-networks"


def test_a_named_topic_without_material_gets_no_check_off_it(conversation) -> None:
    chat = conversation(ScriptedChatModel(replies=["unused"]))
    # No passage of the guide carries the MLflow topic: nothing is asked rather than a
    # check on whatever the search found.
    out = chat.ask("quiz me on MLflow")
    assert out["route"] == "quiz" and out["pending_check"] is None
    assert "couldn't make a question on" in out["answer"]


def test_weak_topic_suggestions_need_evidence(conversation) -> None:
    chat = conversation(ScriptedChatModel(replies=["unused"]))
    assert "weakest topics" not in chat.ask("hello!")["answer"]  # nothing studied yet
    chat.context.learner_store.record(LearnerEvent("default", "rlhf", "wrong", time.time()))
    answer = chat.ask("hello again!")["answer"]
    rlhf = "Reinforcement Learning with Human Feedback (RLHF)"
    assert f"Your weakest topics right now: {rlhf}." in answer


def test_small_talk_needs_no_model_and_records_nothing(conversation) -> None:
    model = ScriptedChatModel(replies=["unused"])
    chat = conversation(model)
    out = chat.ask("hello!")
    assert out["route"] == "small_talk" and "quiz me" in out["answer"]
    assert model.calls == [] and chat.events() == []


def test_unreachable_model_falls_back_to_offline_with_a_notice(conversation) -> None:
    chat = conversation(ScriptedChatModel(replies=[httpx.ConnectError("refused")]))
    out = chat.ask(RAG)
    assert out["mode"] == "offline"
    assert "ollama serve" in out["notice"]
    assert out["answer"].startswith("*Offline mode")
    assert out["sources"]


def test_a_cut_stream_fails_the_turn_and_saves_nothing(conversation) -> None:
    model = ScriptedChatModel(
        replies=[
            CutAfter("RAG grounds", httpx.RemoteProtocolError("peer closed connection")),
            "MLflow tracks experiments [1].",
        ]
    )
    chat = conversation(model)
    with pytest.raises(OllamaError) as raised:
        chat.ask(RAG)
    assert raised.value.kind == "stream_cut" and raised.value.started
    assert raised.value.partial == "RAG grounds"
    assert chat.state.get("messages", []) == []
    assert chat.events() == []
    # The conversation carries on from where it was, without the cut answer.
    out = chat.ask("What is MLflow used for?")
    assert [m.content for m in out["messages"][:1]] == ["What is MLflow used for?"]
    assert len(out["messages"]) == 2
    assert "RAG grounds" not in out["messages"][1].content


def test_memory_node_rerun_never_counts_twice(conversation) -> None:
    chat = conversation()
    check = chat.ask(RAG)["pending_check"]
    chat.ask(check["answer"])
    before = chat.events()
    assert [e.kind for e in before].count("right") == 1
    config = {"configurable": {"thread_id": chat.thread}}
    # Every state the memory node has run on, re-run as if resumed after a crash.
    inputs = [s for s in chat.graph.get_state_history(config) if s.next == ("remember",)]
    assert len(inputs) == 2
    for snapshot in inputs:
        remember(snapshot.values, Runtime(context=chat.context), config)
    assert chat.events() == before


def test_asked_events_follow_the_question_topic(conversation) -> None:
    chat = conversation(offer_checks=False)
    chat.ask("How do GANs create synthetic data?")
    assert {e.topic for e in chat.events()} == {"generative-adversarial-networks"}
    assert chat.events()[0].kind == "asked"
    assert chat.events()[0].question == "How do GANs create synthetic data?"


# --- the memory's rules, without a graph or a store ------------------------------------

CHECK = CheckState(
    prompt="_____ grounds answers in retrieved passages.",
    answer="RAG",
    topic="rag",
    source="rag.md § RAG (lines 1-4)",
    chunk_id="c1",
    sentence="RAG grounds answers in retrieved passages.",
)


def turn(route: str, **fields) -> TutorState:
    passage = PassageRef(
        n=1,
        chunk_id="c1",
        text="RAG grounds answers.",
        source="rag.md",
        heading="RAG",
        span=[1, 4],
        span_unit="lines",
        topics=["rag"],
        similarity=0.8,
        citation="rag.md § RAG (lines 1-4)",
    )
    state = TutorState(route=route, question="What is RAG?", passages=[passage], topics=["rag"])
    state.update(fields)
    return state


def events_of(state: TutorState, turn_number: int = 3) -> list[tuple[str, str, str]]:
    events = turn_events(state, learner="ana", session="s1", turn=turn_number, at=100.0)
    assert all(e.learner == "ana" and e.session == "s1" and e.at == 100.0 for e in events)
    return [(e.topic, e.kind, e.key) for e in events]


@pytest.mark.parametrize("route", ["question", "follow_up"])
def test_an_answered_question_is_asked_about_each_of_its_topics(route: str) -> None:
    state = turn(route, topics=["rag", "vector-search"])
    assert events_of(state) == [
        ("rag", "asked", "s1:3:asked:rag"),
        ("vector-search", "asked", "s1:3:asked:vector-search"),
    ]
    [first, _] = turn_events(state, learner="ana", session="s1", turn=3, at=100.0)
    assert first.question == "What is RAG?" and first.source == "rag.md § RAG (lines 1-4)"


@pytest.mark.parametrize("result", ["right", "wrong"])
def test_a_graded_check_counts_for_its_topic(result: str) -> None:
    grade = GradeState(result=result, answer="RAG", topic="rag", source=CHECK["source"])
    state = turn("check_answer", question="RAG", passages=[], pending_check=CHECK, grade=grade)
    [(topic, kind, key)] = events_of(state)
    assert (topic, kind) == ("rag", result) and key.startswith("s1:3:check:")
    # The key names the check, not the reply: the same check answered again is one event.
    again = turn("check_answer", question="rag!", passages=[], pending_check=CHECK, grade=grade)
    assert events_of(again)[0][2] == key


def test_a_skipped_check_records_nothing() -> None:
    grade = GradeState(result="skipped", answer="RAG", topic="rag", source=CHECK["source"])
    state = turn("check_answer", question="skip", passages=[], pending_check=CHECK, grade=grade)
    assert events_of(state) == []


@pytest.mark.parametrize("route", ["small_talk", "quiz"])
def test_small_talk_and_a_check_asked_record_nothing(route: str) -> None:
    assert events_of(turn(route, check=CHECK)) == []


def test_a_question_the_material_does_not_cover_records_nothing() -> None:
    assert events_of(turn("question", passages=[], topics=[])) == []
    assert events_of(turn("question", passages=[])) == []  # even with a topic named


def test_turn_numbers_keep_reruns_and_later_turns_apart() -> None:
    state = turn("question")
    assert events_of(state, 3) == events_of(state, 3) != events_of(state, 4)


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("What is the vendor and code of this certification exam?", "Vendor: Databricks"),
        (
            "Why does the guide call the lakehouse the theater of AI?",
            "the very theater where AI, governance, and collaboration meet",
        ),
        (
            "What does unsupervised learning reveal in data?",
            "Clustering algorithms and dimensionality reduction techniques like principal "
            "component analysis help reveal patterns",
        ),
        (
            "What do separating hyperplanes do?",
            "Their ability to craft separating hyperplanes creates powerful classifiers",
        ),
        ("How many questions are on the exam?", "Exam Questions: 92"),
    ],
)
def test_offline_answers_quote_the_gold_passage(conversation, question: str, gold: str) -> None:
    out = conversation().ask(question)
    assert out["mode"] == "offline"
    assert gold in out["answer"]
    assert out["sources"] and all(f"[{s['n']}]" in out["answer"] for s in out["sources"])


@pytest.mark.parametrize(
    "question",
    [
        "How do I train my dog to sit?",  # shares the word "train" with the material
        "What is the best way to learn to play the guitar?",  # shares "learn"
        "Which planets in the solar system have rings?",
    ],
)
def test_near_miss_questions_are_not_covered(conversation, question: str) -> None:
    model = ScriptedChatModel(replies=["improvised"])
    out = conversation(model).ask(question)
    assert out["passages"] == [] and "does not cover" in out["answer"]
    assert model.calls == []


def test_a_cancelled_answer_raises_and_saves_nothing(conversation) -> None:
    import threading

    from tutor.errors import TurnCancelled

    chat = conversation(ScriptedChatModel(replies=["RAG grounds answers " * 50]))
    context, stop = chat.context, threading.Event()
    stop.set()
    chat.context = replace(context, cancel=stop)  # the event goes in with the run
    with pytest.raises(TurnCancelled):
        chat.ask(RAG)
    assert chat.state.get("messages", []) == [] and chat.events() == []
    chat.context = context
    assert chat.ask(RAG)["mode"] == "ollama"


def test_a_negated_check_reply_is_wrong_and_says_why(conversation) -> None:
    chat = conversation()
    check = chat.ask(RAG)["pending_check"]

    out = chat.ask(f"not {check['answer']}")

    assert out["route"] == "check_answer" and out["grade"]["result"] == "wrong"
    assert out["answer"].startswith(f"Not quite: the answer is **{check['answer']}**.")
    assert "A negated answer: it says what the answer is not." in out["answer"]
    assert out["grade"]["reason"] == "A negated answer: it says what the answer is not."
    assert chat.events()[-1].kind == "wrong"
