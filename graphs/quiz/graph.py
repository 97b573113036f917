"""The quiz graph: pick a topic and passage, generate and verify a question, wait for the
learner's answer, grade it, remember it, and repeat until the quiz is done.

    START → pick ─┬─ a due review ──────────────────────────┐
                  └─ generate → verify ─┬─ ok ──────────────┴→ ask (interrupt) → grade
                        ↑               └─ rejected ─┐           → remember ─┬→ pick
                        └────────────────────────────┘                       └→ finish → END

`ask` waits with LangGraph's `interrupt()`; the caller resumes it with
`Command(resume={"answer": ..., "confidence": ...})` (or `{"stop": True}` to end early).
With a checkpointer, a quiz in progress survives a restart. `remember` writes the answer,
its right/wrong event and the question's FSRS card in one transaction keyed by quiz and
question, so a re-run never counts an answer twice.

When Ollama goes away mid-quiz (unreachable, timing out, or without the model), the
question at hand and every later one are made offline without asking it again: each
attempt would only repeat the wait. The summary says how many questions that made
offline and why (`made_offline`, `offline_reason`, `offline_notice`).

The nodes do the I/O (services from the runtime context, the model, the learner store);
every decision they take is a pure function in `graphs.quiz.policy`, and the model's
three questions are in `graphs.quiz.model`.
"""

from __future__ import annotations

import random
import time
import uuid

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graphs.context import TutorContext, services
from graphs.quiz.mock_exam import exam_fields, exam_report, passage_rule, result_section
from graphs.quiz.model import generate_question, model_grades_short, model_supports
from graphs.quiz.passages import due_review as _due_review
from graphs.quiz.passages import fresh_passage as _fresh_passage
from graphs.quiz.passages import offline_question as _offline_question
from graphs.quiz.passages import sweep_topic
from graphs.quiz.policy import (
    DEFAULT_QUESTIONS,
    after_ask,
    after_pick_or_verify,
    after_remember,
    asks_another_kind,
    dry_topic,
    gives_up,
    kind_for,
    made_offline,
    may_ask_model,
    model_may_grade,
    model_may_try,
    next_topic,
    picked,
    summarise,
    went_away,
)
from graphs.quiz.retire import retire
from graphs.quiz.state import (
    GradedResult,
    QuizInput,
    QuizState,
    Reply,
    ShownQuestion,
    WeakTopic,
)
from tutor.learner.records import GradedAnswer
from tutor.learner.scheduling import rating_for
from tutor.llm import MalformedReplyError, OllamaError
from tutor.quiz.flaws import FlawChecker
from tutor.quiz.grading import grade_answer
from tutor.quiz.questions import Question, grounding_problem

PROCESS = uuid.uuid4().hex
"""Marks an outage as met by this process (`policy.may_ask_model`). The mark is
checkpointed with the quiz, but a quiz resumed by another process asks Ollama again."""
MODEL_FAILED = (MalformedReplyError, OllamaError)
"""What a call in `graphs.quiz.model` raises when it gives no usable answer."""


# --- nodes ----------------------------------------------------------------------------


def start(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Settle the quiz's settings; an exam decides every question's topic up front."""
    ctx = services(runtime)
    n = max(1, int(state.get("n") or DEFAULT_QUESTIONS))
    return {
        "plan": [],
        **(exam_fields(ctx, n) if state.get("exam") else {}),
        "n": n,
        "kind": state.get("kind") or "mixed",
        "topic": state.get("topic"),
        "exam": bool(state.get("exam")),
        "focus": list(state.get("focus") or []),
        "focus_passages": list(state.get("focus_passages") or []),
        "seed": state.get("seed", int(time.time())),
        "asked": [],
        "used_chunks": [],
        "rejected": 0,
        "fallbacks": 0,
        "ended": None,
        "summary": None,
        # Questions the learner flagged as bad are never asked to them again.
        "retired": sorted(ctx.learner_store.retired_ids(ctx.learner_name)),
    }


def pick(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Due reviews first, then the weakest topics, then new ones; or the named topic, or
    the exam's plan. Sets either `current` (a due review) or `passage` (to generate from)."""
    ctx = services(runtime)
    if not state.get("exam"):
        skip = {*state.get("asked", []), *state.get("retired", [])}
        review = _due_review(ctx, skip, state.get("topic"))
        if review is not None:
            question, passage = review
            return picked(question.topic, "review", passage, question)
    chosen = next_topic(
        state, lambda: ctx.learner_store.progress(ctx.learner_name, ctx.topics.topics)
    )
    if chosen is None:
        return {"current": None, "ended": "no material"}
    topic, reason = chosen
    used = set(state.get("used_chunks", []))
    passage = _fresh_passage(ctx, topic, used, **passage_rule(state, topic))
    if passage is None:
        return dry_topic(state, topic)
    return {**picked(topic, reason, passage["text"], None), "pending_passage": passage}


def generate(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """A question from the picked passage: by the model (bounded retries), else offline."""
    ctx = services(runtime)
    passage, topic = state["pending_passage"], state["pending_topic"]
    number = len(state.get("results", []))
    model = _chat_model(state, ctx)
    kind = kind_for(state["kind"], number, model is not None)
    attempts = state.get("attempts", 0) + 1
    question = None
    failed = False
    gone: dict = {}
    if model is not None and model_may_try(attempts):
        try:
            question = generate_question(
                model,
                passage["text"],
                kind,
                exam=ctx.exam.name,
                topic=topic,
                chunk_id=passage["chunk_id"],
                source=passage["citation"],
            )
        except MODEL_FAILED as error:
            failed, gone = True, went_away(error, PROCESS)
    if question is None:
        rng = random.Random(f"{state['seed']}:{number}:{attempts}")
        # Sentences asked about in this quiz are excluded like asked questions: the bank
        # skips a question whose `sentence_id` is among the excluded.
        skipping = {**state, "asked": [*state.get("asked", []), *state.get("used_sentences", [])]}
        question = _offline_question(ctx, skipping, passage, kind, rng)
    used = [*state.get("used_chunks", []), passage["chunk_id"]]
    tried = {"used_chunks": used, "attempts": attempts, **gone}
    if question is None:  # this passage yields nothing usable: try another one, then
        # one used before (another of its sentences may still be unasked)
        rule = passage_rule(state, topic)
        next_passage = _fresh_passage(ctx, topic, set(used), reuse=False, **rule)
        if next_passage is None and not gives_up(attempts):
            tried_now = {u for u in used if used.count(u) > 1} | {passage["chunk_id"]}
            next_passage = _fresh_passage(ctx, topic, tried_now, reuse=False, **rule)
        if next_passage is None or gives_up(attempts):
            # No question of this kind left on the topic (`policy.asks_another_kind`).
            wider = model is None and asks_another_kind(state, topic, number, ctx.topics.ids())
            sweeps = model is None and not rule["only_preferred"]
            other = sweep_topic(ctx, state, topic, number, other_kinds=wider) if sweeps else None
            if other is None:  # dry for this kind (for every kind, if tried: `wider`)
                return {**tried, **dry_topic(state, topic, None if wider else kind)}
            question, swept = other
            tried |= {"pending_passage": swept, "passage": swept["text"]}
        else:
            return {
                **tried,
                "pending_passage": next_passage,
                "current": None,
                "passage": next_passage["text"],
            }
    offline = made_offline(question, ctx.chat_model is not None, model is None, bool(gone))
    return {
        **tried,
        "current": question.model_dump(),
        "fallbacks": state.get("fallbacks", 0) + int(failed),
        "made_offline": offline,
    }


def verify(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Keep a question only if its passage supports it and it has no item-writing flaw
    (`tutor.quiz.flaws`: a generic blank, options that all fit, a cue in the stem, a stem
    that repeats one asked in this quiz, ...), plus the model's judgement for a model-made
    question. Rejections are counted, never shown. A question kept, or an offline one
    rejected, uses up its sentence of the material for the rest of the quiz."""
    ctx = services(runtime)
    if state.get("current") is None:
        return {}
    question = _question(state)
    problem = grounding_problem(question, state["passage"])
    if problem is None:
        asked = [r["question"] for r in state.get("results", [])]
        flaws = _flaw_checker(ctx).flaws(question, asked)
        problem = f"item-writing flaw: {', '.join(flaws)}" if flaws else None
    sentences = state.get("used_sentences", [])
    if question.sentence_id and question.sentence_id not in sentences:
        sentences = [*sentences, question.sentence_id]
    model = _chat_model(state, ctx)
    gone: dict = {}
    if problem is None and question.origin == "ollama" and model is not None:
        try:
            if not model_supports(model, question, state["passage"]):
                problem = "the model found the answer unsupported"
        except MODEL_FAILED as error:
            problem = "the support check failed"
            gone = went_away(error, PROCESS)
    if problem is None:
        return {"used_sentences": sentences} if question.sentence_id else {}
    rejected = {
        "current": None,
        "rejected": state.get("rejected", 0) + 1,
        "used_sentences": sentences,
        **gone,
    }
    if gives_up(state.get("attempts", 0)):
        return {**rejected, **dry_topic(state, state["pending_topic"])}
    return rejected


def ask(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Show the question (never its answer) and wait for the learner. A reply of
    {"bad": True, "why": ...} retires it instead: not graded, never asked to this learner
    again, and the quiz goes on; with "previous": True it retires the question just
    graded, and this one is asked again (`graphs.quiz.retire`)."""
    question = _question(state)
    topic = services(runtime).topics.get(question.topic)
    reply = interrupt(
        ShownQuestion(
            number=len(state.get("results", [])) + 1,
            total=state["n"],
            kind=question.kind,
            question=question.prompt,
            options=question.options,
            topic=question.topic,
            topic_title=topic.title if topic is not None else question.topic,
            reason=state.get("reason"),
            exam=state.get("exam", False),
        )
    )
    if isinstance(reply, str):
        reply = {"answer": reply}
    reply = reply or {}
    if reply.get("bad"):
        quiz_id = str(get_config().get("configurable", {}).get("thread_id", "quiz"))
        return retire(state, services(runtime), question.id, reply, quiz_id)
    return {"reply": Reply(**reply)}


def grade(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Choices exactly; short answers by the model's rubric when there is one, else by
    rule and meaning. The grade, not the model's words, is what gets remembered."""
    ctx = services(runtime)
    reply = state.get("reply") or {}
    if reply.get("stop"):
        return {"graded": None}
    question = _question(state)
    answer = str(reply.get("answer", ""))
    glossary = ctx.glossary() if question.kind in ("cloze", "short") else None
    result = grade_answer(answer, question, ctx.embed, glossary)
    correct, reason = result.correct, result.reason
    model = _chat_model(state, ctx)
    gone: dict = {}
    # A negated or hedged answer, or another term, is wrong by rule: no model overturns it.
    if model is not None and not result.settled and model_may_grade(question, correct, answer):
        try:
            # `given` is the answer as recorded: clean, and never longer than
            # MAX_GIVEN_CHARS, so a pasted page does not go into the prompt.
            correct = model_grades_short(model, question, result.given, state["passage"]).correct
            if correct:
                reason = "Right: it means the same as the answer, as the passage puts it."
        except MODEL_FAILED as error:
            gone = went_away(error, PROCESS)  # the rule's verdict stands
    graded = GradedResult(
        topic=question.topic,
        kind=question.kind,
        question=question.prompt,
        options=question.options,
        answer_given=result.given,
        correct=correct,
        key=question.answer,
        explanation=question.explanation,
        source=question.source,
        confidence=reply.get("confidence"),
        made_offline=bool(state.get("made_offline")),
        reason=reason,
        section=result_section(state, question.topic),
    )
    return {**gone, "graded": graded}


def remember(state: QuizState, runtime: Runtime[TutorContext], config: RunnableConfig) -> dict:
    """Record the graded answer (event, answer, FSRS card) in one keyed transaction."""
    ctx = services(runtime)
    graded = state.get("graded")
    if graded is None:
        return {}
    question = _question(state)
    quiz_id = str(config.get("configurable", {}).get("thread_id", "quiz"))
    ctx.learner_store.record_answer(
        GradedAnswer(
            learner=ctx.learner_name,
            question=question,
            given=graded["answer_given"],
            correct=graded["correct"],
            rating=rating_for(graded["correct"], graded.get("confidence")),
            at=time.time(),
            key=f"{quiz_id}:{question.id}",
            session=quiz_id,
        )
    )
    return {
        "results": [graded],
        "asked": [*state.get("asked", []), question.id],
        "current": None,
        "attempts": 0,
    }


def finish(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """The summary, unless a quiz from before `ended` existed already has one."""
    if state.get("summary") is not None:
        return {}
    ctx = services(runtime)
    stopped = bool((state.get("reply") or {}).get("stop"))
    ended = state.get("ended") or ("stopped" if stopped else "done")
    titles = {topic.id: topic.title for topic in ctx.topics.topics}
    weakest = [
        WeakTopic(topic=w.topic, title=w.title)
        for w in ctx.learner_store.weak_topics(ctx.learner_name, ctx.topics.topics, 3)
    ]
    return {"summary": {**summarise(state, ended, titles, weakest), **exam_report(ctx, state)}}


# --- I/O helpers ----------------------------------------------------------------------


def _flaw_checker(ctx: TutorContext) -> FlawChecker:
    """The bank's flaw checker (it knows the material's claims and acronyms), or one that
    knows only the context's embedder when there is no material to build a bank from."""
    try:
        return ctx.question_bank().checker
    except (AttributeError, KeyError):  # a context without a catalog (some fakes)
        return FlawChecker(embed=ctx.embed)


def _chat_model(state: QuizState, ctx: TutorContext) -> BaseChatModel | None:
    """The model this quiz may ask now: none offline, nor once Ollama went away."""
    return ctx.chat_model if may_ask_model(state.get("ollama_gone"), PROCESS) else None


def _question(state: QuizState) -> Question:
    return Question.model_validate(state["current"])


def build() -> StateGraph:
    graph = StateGraph(QuizState, context_schema=TutorContext, input_schema=QuizInput)
    for node in (start, pick, generate, verify, ask, grade, remember, finish):
        graph.add_node(node)
    graph.add_edge(START, "start")
    graph.add_edge("start", "pick")
    graph.add_conditional_edges("pick", after_pick_or_verify)
    graph.add_edge("generate", "verify")
    graph.add_conditional_edges("verify", after_pick_or_verify)
    graph.add_conditional_edges("ask", after_ask)
    graph.add_edge("grade", "remember")
    graph.add_conditional_edges("remember", after_remember)
    graph.add_edge("finish", END)
    return graph


graph = build().compile()
