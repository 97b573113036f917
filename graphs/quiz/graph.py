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
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graphs.chat.state import passage_ref
from graphs.context import TutorContext, services
from graphs.quiz.state import QuizInput, QuizState
from tutor.learner.scheduling import rating_for
from tutor.learner.store import GradedAnswer, TopicProgress
from tutor.llm import OllamaError
from tutor.quiz.cloze import reply_problem
from tutor.quiz.generate import (
    GenerationFailed,
    generate_question,
    model_grades_short,
    model_supports,
)
from tutor.quiz.grading import MAX_GIVEN_CHARS, grade_answer
from tutor.quiz.questions import Question, grounding_problem
from tutor.text import clean_typed

MAX_ATTEMPTS = 3
"""Generation attempts per question before the offline generator steps in."""
GIVE_UP_ATTEMPTS = 12
"""Attempts per slot after which the quiz ends: the material has nothing usable left."""
MIXED_KINDS = ("mc", "tf", "cloze")
"""What a mixed quiz rotates through offline; with a model, short answers replace cloze."""
DEFAULT_QUESTIONS = 5
PASSAGES_PER_TOPIC = 12
OLLAMA_GONE = frozenset({"unreachable", "timeout", "model_missing"})
"""Failures every later call would meet too, so the rest of the quiz goes offline. A
malformed reply, a cut stream or a server error is one question's bad luck: the next
question asks the model again."""
PROCESS = uuid.uuid4().hex
"""Marks an outage as met by this process. The mark is checkpointed with the quiz, but a
quiz resumed by another process (a restart, often after `ollama serve`) asks Ollama again;
one more failed call sends it offline again."""


# --- pure decisions -------------------------------------------------------------------


def choose_topic(
    progress: list[TopicProgress], asked_in_quiz: Counter[str]
) -> tuple[str, Literal["weak", "new", "practice"]]:
    """The next topic: spread over topics first (fewest questions so far in this quiz),
    then weak topics (evidence, mastery under 0.5, weakest first), then topics never tried
    (in map order), then the rest by mastery."""

    def group(row: TopicProgress) -> int:
        if row.mastery.evidence > 0 and row.mastery.mastery < 0.5:
            return 0
        return 1 if row.mastery.evidence == 0 else 2

    order = {row.topic: i for i, row in enumerate(progress)}
    best = min(
        progress,
        key=lambda r: (
            asked_in_quiz[r.topic],
            group(r),
            r.mastery.mastery if group(r) != 1 else 0.0,
            order[r.topic],
        ),
    )
    return best.topic, ("weak", "new", "practice")[group(best)]


def allocate(n: int, weights: dict[str, float]) -> list[str]:
    """`n` question slots spread over topics in proportion to their weights (largest
    remainder), topics with the larger share first."""
    total = sum(weights.values())
    if n <= 0 or total <= 0:
        return []
    quotas = {t: n * w / total for t, w in weights.items()}
    counts = {t: int(q) for t, q in quotas.items()}
    by_remainder = sorted(quotas, key=lambda t: (-(quotas[t] - counts[t]), -weights[t], t))
    for topic in by_remainder[: n - sum(counts.values())]:
        counts[topic] += 1
    ordered = sorted(counts, key=lambda t: (-counts[t], t))
    return [t for t in ordered for _ in range(counts[t])]


def kind_for(kind: str, number: int, with_model: bool) -> str:
    if kind != "mixed":
        return "short" if kind == "short" and with_model else kind
    rotation = ("mc", "tf", "short") if with_model else MIXED_KINDS
    return rotation[number % len(rotation)]


def after_pick(state: QuizState) -> Literal["ask", "generate", "pick", "finish"]:
    """A due review goes straight to the learner; otherwise a question is made first."""
    if state.get("summary") is not None:
        return "finish"
    if state.get("repick"):
        return "pick"
    return "ask" if state.get("current") else "generate"


def after_verify(state: QuizState) -> Literal["ask", "generate", "pick", "finish"]:
    """A verified question is asked; a rejected one is made again; a topic with nothing
    usable left sends the quiz to another topic (or ends it when none has anything)."""
    if state.get("summary") is not None:
        return "finish"
    if state.get("repick"):
        return "pick"
    return "ask" if state.get("current") else "generate"


def after_remember(state: QuizState) -> Literal["pick", "finish"]:
    stopped = bool((state.get("reply") or {}).get("stop"))
    return "finish" if stopped or len(state.get("results", [])) >= state["n"] else "pick"


# --- nodes ----------------------------------------------------------------------------


def start(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Settle the quiz's settings; an exam decides every question's topic up front."""
    ctx = services(runtime)
    n = max(1, int(state.get("n") or DEFAULT_QUESTIONS))
    plan = allocate(n, topic_weights(ctx)) if state.get("exam") else []
    return {
        "n": n,
        "kind": state.get("kind") or "mixed",
        "topic": state.get("topic"),
        "exam": bool(state.get("exam")),
        "seed": state.get("seed", int(time.time())),
        "plan": plan,
        "asked": [],
        "used_chunks": [],
        "rejected": 0,
        "fallbacks": 0,
        "summary": None,
    }


def pick(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Due reviews first, then the weakest topics, then new ones; or the named topic, or
    the exam's plan. Sets either `current` (a due review) or `passage` (to generate from)."""
    ctx = services(runtime)
    asked = set(state.get("asked", []))
    slot = len(state.get("results", []))
    if not state.get("exam"):
        review = _due_review(ctx, asked, state.get("topic"))
        if review is not None:
            question, passage = review
            return {**_picked(question.topic, "review", passage, question), "repick": False}
    exhausted = set(state.get("exhausted", []))
    if state.get("topic"):
        topic, reason = state["topic"], "named"
    elif state.get("exam") and state["plan"][slot] not in exhausted:
        topic, reason = state["plan"][slot], "exam"
    else:
        counts = Counter(_asked_topics(state))
        rows = ctx.learner_store.progress(ctx.learner_name, ctx.topics.topics)
        rows = [row for row in rows if row.topic not in exhausted]
        if not rows:
            return {"current": None, "summary": _summary(state, ctx, "no material")}
        topic, reason = choose_topic(rows, counts)
        reason = "exam" if state.get("exam") else reason
    passage = _fresh_passage(ctx, topic, set(state.get("used_chunks", [])))
    if passage is None:
        return _exhausted(state, ctx, topic)
    return {
        **_picked(topic, reason, passage["text"], None),
        "pending_passage": passage,
        "repick": False,
    }


def generate(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """A question from the picked passage: by the model (bounded retries), else offline."""
    ctx = services(runtime)
    passage = state["pending_passage"]
    number = len(state.get("results", []))
    model = _chat_model(state, ctx)
    kind = kind_for(state["kind"], number, model is not None)
    attempts = state.get("attempts", 0) + 1
    rng = random.Random(f"{state['seed']}:{number}:{attempts}")
    exclude = set(state.get("asked", []))
    question = None
    fallback = 0
    gone: dict = {}
    if model is not None and attempts <= MAX_ATTEMPTS:
        try:
            question = generate_question(
                model,
                passage["text"],
                kind,
                topic=state["pending_topic"],
                chunk_id=passage["chunk_id"],
                source=passage["citation"],
            )
        except (GenerationFailed, OllamaError) as error:
            fallback = 1
            gone = _went_away(error)
    if question is None:
        question = ctx.question_bank().make(passage["chunk_id"], kind, rng, exclude=exclude)
        if question is not None and state["pending_topic"] in passage["topics"]:
            # The quiz picked this topic and the passage carries it: the answer counts there.
            question = question.model_copy(update={"topic": state["pending_topic"]})
    used = [*state.get("used_chunks", []), passage["chunk_id"]]
    if question is None:  # this passage yields nothing usable: try another one
        next_passage = _fresh_passage(ctx, state["pending_topic"], set(used), reuse=False)
        if next_passage is None or attempts >= GIVE_UP_ATTEMPTS:
            return {
                "used_chunks": used,
                "attempts": attempts,
                **gone,
                **_exhausted(state, ctx, state["pending_topic"]),
            }
        return {
            "used_chunks": used,
            "attempts": attempts,
            "pending_passage": next_passage,
            "current": None,
            "passage": next_passage["text"],
            **gone,
        }
    return {
        "current": question.model_dump(),
        "attempts": attempts,
        "used_chunks": used,
        "fallbacks": state.get("fallbacks", 0) + fallback,
        # Made offline because Ollama went away, now or earlier in this quiz.
        "made_offline": question.origin != "ollama"
        and ctx.chat_model is not None
        and (bool(gone) or model is None),
        **gone,
    }


def verify(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Keep a question only if its passage supports it: deterministic checks, plus the
    model's judgement for a model-made question. Rejections are counted, never shown."""
    ctx = services(runtime)
    if state.get("current") is None:
        return {}
    question = Question.model_validate(state["current"])
    problem = grounding_problem(question, state["passage"])
    model = _chat_model(state, ctx)
    gone: dict = {}
    if problem is None and question.origin == "ollama" and model is not None:
        try:
            if not model_supports(model, question, state["passage"]):
                problem = "the model found the answer unsupported"
        except (GenerationFailed, OllamaError) as error:
            problem = "the support check failed"
            gone = _went_away(error)
    if problem is None:
        return {}
    rejected = {"current": None, "rejected": state.get("rejected", 0) + 1, **gone}
    if state.get("attempts", 0) >= GIVE_UP_ATTEMPTS:
        return {**rejected, **_exhausted(state, ctx, state["pending_topic"])}
    return rejected


def ask(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Show the question (never its answer) and wait for the learner."""
    question = Question.model_validate(state["current"])
    reply = interrupt(
        {
            "number": len(state.get("results", [])) + 1,
            "total": state["n"],
            "kind": question.kind,
            "question": question.prompt,
            "options": question.options,
            "topic": question.topic,
            "topic_title": _title(runtime, question.topic),
            "reason": state.get("reason"),
            "exam": state.get("exam", False),
        }
    )
    if isinstance(reply, str):
        reply = {"answer": reply}
    return {"reply": dict(reply or {})}


def grade(state: QuizState, runtime: Runtime[TutorContext]) -> dict:
    """Choices exactly; short answers by the model's rubric when there is one, else by
    rule and meaning. The grade, not the model's words, is what gets remembered."""
    ctx = services(runtime)
    reply = state.get("reply") or {}
    if reply.get("stop"):
        return {"graded": None}
    question = Question.model_validate(state["current"])
    answer = str(reply.get("answer", ""))
    result = grade_answer(answer, question, ctx.embed)
    correct = result.correct
    model = _chat_model(state, ctx)
    gone: dict = {}
    if (
        question.kind == "short"
        and not correct
        and model is not None
        and _for_model(answer, question.answer)
    ):
        try:
            # `given` is the answer as recorded: clean, and never longer than
            # MAX_GIVEN_CHARS, so a pasted page does not go into the prompt.
            verdict = model_grades_short(model, question, result.given, state["passage"])
            correct = verdict.correct
        except (GenerationFailed, OllamaError) as error:
            gone = _went_away(error)  # the rule's verdict stands
    return {
        **gone,
        "graded": {
            "topic": question.topic,
            "kind": question.kind,
            "question": question.prompt,
            "options": question.options,
            "answer_given": result.given,
            "correct": correct,
            "key": question.answer,
            "explanation": question.explanation,
            "source": question.source,
            "confidence": reply.get("confidence"),
            "made_offline": bool(state.get("made_offline")),
        },
    }


def remember(state: QuizState, runtime: Runtime[TutorContext], config: RunnableConfig) -> dict:
    """Record the graded answer (event, answer, FSRS card) in one keyed transaction."""
    ctx = services(runtime)
    graded = state.get("graded")
    if graded is None:
        return {}
    question = Question.model_validate(state["current"])
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
    ctx = services(runtime)
    if state.get("summary") is not None:
        return {}
    stopped = bool((state.get("reply") or {}).get("stop"))
    return {"summary": _summary(state, ctx, "stopped" if stopped else "done")}


# --- helpers --------------------------------------------------------------------------


def topic_weights(ctx: TutorContext) -> dict[str, float]:
    """How much of the material each topic has (its share of chunks): the exam's weights."""
    counts = ctx.retriever.catalog.topic_counts()
    return {t.id: float(counts.get(t.id, 0)) for t in ctx.topics.topics if counts.get(t.id)}


def _chat_model(state: QuizState, ctx: TutorContext) -> BaseChatModel | None:
    """The model this quiz may ask now: none offline, nor once Ollama has gone away
    during this quiz in this process (see `PROCESS`)."""
    gone = state.get("ollama_gone")
    if gone is not None and gone.get("process") == PROCESS:
        return None
    return ctx.chat_model


def _went_away(error: Exception) -> dict:
    """The state update that takes the rest of the quiz offline, if `error` calls for it."""
    if isinstance(error, OllamaError) and error.kind in OLLAMA_GONE:
        return {"ollama_gone": {"reason": str(error), "process": PROCESS}}
    return {}


def _for_model(answer: str, key: str) -> bool:
    """Whether a short answer the rules found wrong may go to the model: not one cut to
    MAX_GIVEN_CHARS, nor a paste or a list (the model would judge text the learner did not
    give, or find the key somewhere in it)."""
    text = clean_typed(answer)
    return len(text) <= MAX_GIVEN_CHARS and reply_problem(text, key) is None


def offline_notice(made: int, asked: int, reason: str | None) -> str | None:
    """E.g. "3 of 5 questions were made offline: Ollama is not running at …"."""
    if reason is None or made == 0:
        return None
    noun = "question was" if asked == 1 else "questions were"
    return f"{made} of {asked} {noun} made offline: {reason}"


def _exhausted(state: QuizState, ctx: TutorContext, topic: str) -> dict:
    """A topic with nothing usable left: another topic is picked, unless the quiz is on
    this one topic, which then ends."""
    if state.get("topic"):
        return {"current": None, "summary": _summary(state, ctx, "no material")}
    return {
        "current": None,
        "exhausted": [*state.get("exhausted", []), topic],
        "repick": True,
        "attempts": 0,
    }


def _picked(topic: str, reason: str, passage: str, question: Question | None) -> dict:
    return {
        "pending_topic": topic,
        "reason": reason,
        "passage": passage,
        "current": question.model_dump() if question is not None else None,
        "attempts": 0,
        "made_offline": False,
    }


def _due_review(
    ctx: TutorContext, asked: set[str], topic: str | None
) -> tuple[Question, str] | None:
    for question, _due in ctx.learner_store.due_questions(ctx.learner_name):
        if question.id in asked or (topic and question.topic != topic):
            continue
        record = ctx.retriever.catalog.records([question.chunk_id]).get(question.chunk_id)
        if record is not None:  # a question whose passage left the corpus is not reviewed
            return question, record.text
    return None


def _fresh_passage(
    ctx: TutorContext, topic_id: str, used: set[str], *, reuse: bool = True
) -> dict | None:
    """The topic's best passage not used in this quiz yet; with `reuse`, a used one when
    all are (another question can come from it)."""
    topic = ctx.topics.get(topic_id)
    if topic is None:
        return None
    found = ctx.retriever.search(f"{topic.title}. {topic.description}", k=PASSAGES_PER_TOPIC)
    refs = [passage_ref(p, n) for n, p in enumerate(found, start=1)]
    on_topic = [p for p in refs if topic_id in p["topics"]] or refs
    fresh = [p for p in on_topic if p["chunk_id"] not in used]
    choices = fresh or (on_topic if reuse else [])
    return choices[0] if choices else None


def _title(runtime: Runtime[TutorContext], topic_id: str) -> str:
    topic = services(runtime).topics.get(topic_id)
    return topic.title if topic is not None else topic_id


def _asked_topics(state: QuizState) -> list[str]:
    return [r["topic"] for r in state.get("results", [])]


def _summary(state: QuizState, ctx: TutorContext, ended: str) -> dict:
    results = state.get("results", [])
    per_topic: dict[str, dict] = {}
    for r in results:
        topic = ctx.topics.get(r["topic"])
        row = per_topic.setdefault(
            r["topic"],
            {
                "topic": r["topic"],
                "title": topic.title if topic else r["topic"],
                "right": 0,
                "total": 0,
            },
        )
        row["total"] += 1
        row["right"] += int(r["correct"])
    weakest = ctx.learner_store.weak_topics(ctx.learner_name, ctx.topics.topics, 3)
    made_offline = sum(1 for r in results if r.get("made_offline"))
    reason = (state.get("ollama_gone") or {}).get("reason")
    review = list(dict.fromkeys(r["source"] for r in results if not r["correct"]))
    return {
        "ended": ended,
        "asked": len(results),
        "planned": state.get("n", len(results)),
        "correct": sum(int(r["correct"]) for r in results),
        "per_topic": sorted(
            per_topic.values(), key=lambda r: (r["right"] / r["total"], r["topic"])
        ),
        "weakest_topics": [{"topic": w.topic, "title": w.title} for w in weakest],
        "review": review,
        "rejected": state.get("rejected", 0),
        "fallbacks": state.get("fallbacks", 0),
        "made_offline": made_offline,
        "offline_reason": reason,
        "offline_notice": offline_notice(made_offline, len(results), reason),
    }


def build() -> StateGraph:
    graph = StateGraph(QuizState, context_schema=TutorContext, input_schema=QuizInput)
    for node in (start, pick, generate, verify, ask, grade, remember, finish):
        graph.add_node(node)
    graph.add_edge(START, "start")
    graph.add_edge("start", "pick")
    graph.add_conditional_edges("pick", after_pick)
    graph.add_edge("generate", "verify")
    graph.add_conditional_edges("verify", after_verify)
    graph.add_edge("ask", "grade")
    graph.add_edge("grade", "remember")
    graph.add_conditional_edges("remember", after_remember)
    graph.add_edge("finish", END)
    return graph


graph = build().compile()
