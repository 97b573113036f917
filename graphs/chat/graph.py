"""The chat graph: route a learner's message, retrieve, answer with citations, remember.

    START → route ─┬─ question / follow_up → retrieve ─┬─ answer → offer_check ─┐
                   │                                   └─ not_covered ─────────┤
                   ├─ small_talk ──────────────────────────────────────────────┤
                   ├─ quiz (a check question on a weak or named topic) ────────┤
                   └─ check_answer → grade_check ──────────────────────────────┴→ remember → END

Every node is a plain function of (state, runtime); the services come from
`runtime.context` (a `TutorContext`). `remember` is the only node that writes the learner's
memory (the events `graphs/chat/memory.py` picks) and the only one that adds to the
conversation, so a turn that fails part-way leaves neither changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Literal

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from graphs.chat.memory import ANSWERED_ROUTES, turn_events
from graphs.chat.mentions import find_topic, tidy_citations, turn_topics
from graphs.chat.offline import offline_answer, offline_notice, socratic_offline_answer
from graphs.chat.queries import MAX_QUESTION_CHARS, follow_up_query, search_queries
from graphs.chat.routing import classify_turn, small_talk_kind
from graphs.chat.state import (
    GradeState,
    PassageRef,
    TutorInput,
    TutorState,
    check_state,
    passage_ref,
    source_ref,
)
from graphs.context import TutorContext, services
from graphs.prompts import plan_answer_prompt
from tutor.corpus.sentences import key_sentences, split_sentences
from tutor.corpus.topics import Topic
from tutor.errors import TurnCancelled
from tutor.llm import OllamaError, stream_text
from tutor.quiz.answers import judge
from tutor.quiz.cloze import CheckQuestion, build_check
from tutor.text import neutralise_model_text, strip_escapes

WEAK_TOPICS_SHOWN = 3
KEPT_QUERIES = 20


# --- routing (pure functions of the state) ---------------------------------------------


def after_route(
    state: TutorState,
) -> Literal["retrieve", "small_talk", "quiz", "grade_check"]:
    route = state["route"]
    if route in ANSWERED_ROUTES:
        return "retrieve"
    if route == "check_answer":
        return "grade_check"
    return route  # type: ignore[return-value]


def after_retrieve(state: TutorState) -> Literal["answer", "not_covered"]:
    """Nothing above the retriever's relevance floor means the material does not cover it."""
    return "answer" if state.get("passages") else "not_covered"


# --- nodes ----------------------------------------------------------------------------


def route(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    """Classify the message and, for a follow-up, make it a standalone query."""
    ctx = services(runtime)
    # Escape sequences go whole (a clear-screen code must not leave "[2J" in the query);
    # line breaks stay, as a pasted snippet or list means them.
    question = strip_escapes(state.get("question", "")).strip()[:MAX_QUESTION_CHARS]
    history = state.get("messages", [])
    kind = classify_turn(
        question, has_history=bool(history), check_pending=bool(state.get("pending_check"))
    )
    query = question
    if kind == "follow_up":
        query = follow_up_query(
            ctx.chat_model, question, state.get("messages", []), state.get("queries", [])
        )
    return {
        "question": question,
        "route": kind,
        "query": query,
        "passages": [],
        "answer": "",
        "sources": [],
        "highlights": [],
        "mode": "offline" if ctx.chat_model is None else "ollama",
        "notice": None,
        "topics": [],
        "check": None,
        "grade": None,
    }


def retrieve(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    ctx = services(runtime)
    also = []
    if ctx.chat_model is not None and ctx.settings.query_rewrite:
        also = search_queries(ctx.chat_model, state["query"], ctx.exam.name)
    found = ctx.retriever.search(state["query"], k=ctx.k, also=also)
    passages = [passage_ref(p, n) for n, p in enumerate(found, start=1)]
    return {"passages": passages, "topics": turn_topics(state["query"], passages, ctx.topics)}


def answer(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    """Explain from the passages through the model, or quote them when there is none."""
    ctx = services(runtime)
    socratic = state.get("socratic", ctx.settings.socratic)
    if ctx.chat_model is None:
        return _offline(state, ctx, offline_notice(ctx.offline_reason), socratic)
    plan = plan_answer_prompt(
        state["question"],
        state["passages"],
        state.get("messages", []),
        exam=ctx.exam.name,
        socratic=socratic,
        budget_tokens=ctx.settings.num_ctx - ctx.settings.answer_tokens,
    )
    try:
        text = "".join(
            _until_cancelled(stream_text(ctx.chat_model, plan.messages, ctx.settings), ctx)
        )
    except OllamaError as error:
        if error.started:
            raise  # a cut answer must not be kept as if it were complete
        return _offline(state, ctx, offline_notice(str(error)), socratic)
    text, cited = tidy_citations(neutralise_model_text(text).strip(), len(plan.passages))
    shown = [p for p in plan.passages if p["n"] in cited] or plan.passages
    return {
        "answer": text,
        "passages": plan.passages,
        "sources": [source_ref(p) for p in shown],
        "mode": "ollama",
    }


def offer_check(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    """Close an explanation with a one-question check on its most relevant sentence."""
    ctx = services(runtime)
    # Never two checks in a row: one left unanswered last turn means not now.
    if state.get("check") or not ctx.settings.offer_checks or state.get("pending_check"):
        return {}
    check = _check_from(
        state["passages"][:2], state["question"], ctx, state, avoid=state["question"]
    )
    if check is None:
        return {}
    text = (
        f"{state['answer']}\n\n**Quick check:** {check.prompt}\n"
        "(Reply with the missing term, `skip` to pass, or ask something else.)"
    )
    return {"answer": text, "check": check_state(check)}


def not_covered(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    ctx = services(runtime)
    text = "The study material does not cover that, so I won't guess."
    weak = _weak_titles(ctx) or _weak_titles(ctx, not_started=True)
    if weak:
        text += f" It does cover, for example: {', '.join(weak)}. Ask about one of those."
    return {"answer": text, "mode": state.get("mode", "offline")}


def small_talk(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    ctx = services(runtime)
    kind = small_talk_kind(state["question"])
    weak = _weak_titles(ctx)
    suggestion = f" Your weakest topics right now: {', '.join(weak)}." if weak else ""
    replies = {
        "greeting": "Hello! Ask me anything about the exam material and I'll explain it "
        "with citations, or say `quiz me` for a question on a weak topic." + suggestion,
        "thanks": "Glad it helped. Ask another question, or say `quiz me` to test yourself.",
        "farewell": "Good luck with your preparation. Your progress is saved.",
        "help": f"I answer questions about the {ctx.exam.name} exam material, citing the "
        "passages I use as [1], [2]. Follow-up questions are fine. Say "
        "`quiz me` (or `quiz me on <topic>`) for a check question; I grade your reply and "
        "keep track of your weak topics." + suggestion,
        "empty": "Ask a question about the material, or say `quiz me`.",
    }
    return {"answer": replies[kind or "empty"]}


def quiz(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    """One check question on the topic the learner names, else their weakest topic."""
    ctx = services(runtime)
    topic = find_topic(state["question"], ctx.topics) or _weakest_topic(ctx)
    if topic is None:
        return {"answer": "There are no topics to quiz you on yet: run `tutor index` first."}
    found = ctx.retriever.search(f"{topic.title}. {topic.description}", k=8)
    candidates = [passage_ref(p, n) for n, p in enumerate(found, start=1)]
    # Only passages carrying the topic: a check is never asked off the topic it names.
    on_topic = [p for p in candidates if topic.id in p["topics"]]
    check = _check_from(on_topic, topic.description, ctx, state, topic=topic.id, avoid="")
    if check is None:
        return {"answer": f"I couldn't make a question on {topic.title} from the material."}
    text = (
        f"A question on **{topic.title}**:\n\n**{check.prompt}**\n\n"
        "(Reply with the missing term, or `skip` to pass.)"
    )
    return {"answer": text, "check": check_state(check), "topics": [topic.id]}


def grade_check(state: TutorState, runtime: Runtime[TutorContext]) -> dict:
    """Grade the reply to the pending check by rule; the verdict feeds the memory."""
    check = CheckQuestion.from_state(state["pending_check"])
    verdict = judge(state["question"], check.answer, services(runtime).glossary())
    result, reason = verdict.result, verdict.reason
    if result == "right":
        text = f'Right: **{check.answer}**. From the material: "{check.sentence}" ({check.source})'
    elif result == "wrong":
        why = reason[:1].upper() + reason[1:].rstrip(".") + "."
        text = (
            f"Not quite: the answer is **{check.answer}**. {why} "
            f'From the material: "{check.sentence}" ({check.source})'
        )
    else:
        text = f'Skipped. The answer was **{check.answer}**: "{check.sentence}" ({check.source})'
    grade = GradeState(
        result=result, answer=check.answer, topic=check.topic, source=check.source, reason=reason
    )
    return {"answer": text, "grade": grade, "topics": [check.topic]}


def remember(state: TutorState, runtime: Runtime[TutorContext], config: RunnableConfig) -> dict:
    """The memory node: record the events the turn's rules pick (`turn_events`) and commit
    the turn to the conversation.

    The turn's events and turn count are recorded in one transaction that replaces an
    earlier attempt at the same turn: a turn re-run after a crash (which hit after this
    write, before the checkpoint) counts once, as the conversation the learner sees has it.
    """
    ctx = services(runtime)
    session = str(config.get("configurable", {}).get("thread_id", "none"))
    turn, now = state.get("turns", 0) + 1, time.time()
    events = turn_events(state, learner=ctx.learner_name, session=session, turn=turn, at=now)
    ctx.learner_store.record_turn(
        session,
        turn,
        events,
        learner=ctx.learner_name,
        title=state["question"],
        mode=state.get("mode", "offline"),
        at=now,
    )
    update: dict = {
        "messages": [HumanMessage(state["question"]), AIMessage(state["answer"])],
        "turns": turn,
        "pending_check": state.get("check"),
    }
    if state["route"] in ANSWERED_ROUTES:
        update["queries"] = [*state.get("queries", []), state["query"]][-KEPT_QUERIES:]
    if state.get("check"):
        update["checks_asked"] = [*state.get("checks_asked", []), state["check"]["prompt"]]
    return update


# --- helpers --------------------------------------------------------------------------


def _until_cancelled(pieces: Iterator[str], ctx: TutorContext) -> Iterator[str]:
    """The streamed answer, stopped at the next token once `ctx.cancel` is set; closing the
    stream closes the connection, so the model stops writing too."""
    for piece in pieces:
        if ctx.cancel is not None and ctx.cancel.is_set():
            pieces.close()
            raise TurnCancelled("the answer was stopped")
        yield piece


def _offline(state: TutorState, ctx: TutorContext, notice: str, socratic: bool) -> dict:
    passages = state["passages"]
    if socratic:
        check = _check_from(passages[:2], state["question"], ctx, state, avoid=state["question"])
        if check is not None:
            return {
                "answer": socratic_offline_answer(passages, check, notice),
                "sources": [source_ref(p) for p in passages[:2]],
                "check": check_state(check),
                "mode": "offline",
                "notice": notice,
            }
    text, quoted, shown = offline_answer(
        state["question"], passages, notice, embed=ctx.embed, glossary=ctx.glossary()
    )
    return {
        "answer": text,
        "sources": [source_ref(p) for p in quoted],
        "highlights": shown,
        "mode": "offline",
        "notice": notice,
    }


def _check_from(
    passages: list[PassageRef],
    question: str,
    ctx: TutorContext,
    state: TutorState,
    *,
    avoid: str,
    topic: str | None = None,
) -> CheckQuestion | None:
    """A check on the sentence most relevant to `question` that makes a good cloze and was
    not asked before in this session. Its topic is the one given, else the one this turn
    is about (the check tests what was just explained), else the passage's first."""
    keywords = [k for t in ctx.topics.topics for k in t.keywords] if ctx.topics else []
    asked = set(state.get("checks_asked", []))
    # Ranked by shared words, not vectors: any relevant sentence makes a fair check, and
    # embedding a dozen sentences would be most of a turn's own cost.
    ranked = key_sentences(question, [(p["n"], p["text"]) for p in passages], limit=12)
    by_n = {p["n"]: p for p in passages}
    sentences = [(by_n[s.passage], s.text) for s in ranked] + [
        (p, s) for p in passages for s in split_sentences(p["text"])
    ]
    about = topic or next(iter(state.get("topics", [])), None)
    for passage, sentence in sentences:
        if about is None and not passage["topics"]:
            continue
        check = build_check(
            sentence,
            topic=about or passage["topics"][0],
            source=passage["citation"],
            chunk_id=passage["chunk_id"],
            keywords=keywords,
            avoid=avoid,
        )
        if check is not None and check.prompt not in asked:
            return check
    return None


def _weak_titles(ctx: TutorContext, *, not_started: bool = False) -> list[str]:
    """The weakest topics with evidence (none for a learner who has not started); with
    `not_started`, the first topics not started instead."""
    if ctx.topics is None:
        return []
    store, name, topics = ctx.learner_store, ctx.learner_name, ctx.topics.topics
    if not_started:
        return [row.title for row in store.not_started(name, topics)[:WEAK_TOPICS_SHOWN]]
    return [w.title for w in store.weak_topics(name, topics, WEAK_TOPICS_SHOWN)]


def _weakest_topic(ctx: TutorContext) -> Topic | None:
    """The weakest topic with evidence, else the first not started."""
    if ctx.topics is None:
        return None
    store, name, topics = ctx.learner_store, ctx.learner_name, ctx.topics.topics
    rows = store.weak_topics(name, topics, 1) or store.not_started(name, topics)[:1]
    return ctx.topics.get(rows[0].topic) if rows else None


# --- the graph ------------------------------------------------------------------------


def build() -> StateGraph:
    """The uncompiled graph; callers compile it with their own checkpointer."""
    graph = StateGraph(TutorState, context_schema=TutorContext, input_schema=TutorInput)
    for node in (
        route,
        retrieve,
        answer,
        offer_check,
        not_covered,
        small_talk,
        quiz,
        grade_check,
        remember,
    ):
        graph.add_node(node)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", after_route)
    graph.add_conditional_edges("retrieve", after_retrieve)
    graph.add_edge("answer", "offer_check")
    for node in ("offer_check", "not_covered", "small_talk", "quiz", "grade_check"):
        graph.add_edge(node, "remember")
    graph.add_edge("remember", END)
    return graph


graph = build().compile()
"""For `langgraph dev` / Studio, which supply their own checkpointer."""
