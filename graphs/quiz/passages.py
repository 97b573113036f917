"""Where the quiz's questions come from: a due review with its passage, a passage of the
picked topic to make a question from, and the offline question on it. I/O for the quiz
graph's `pick` and `generate`; the choices themselves are `graphs.quiz.policy`'s."""

from __future__ import annotations

import random

from graphs.chat.state import PassageRef, passage_ref
from graphs.context import TutorContext
from graphs.quiz.policy import choose_passage, offline_kinds, on_topic_question, reviewable
from graphs.quiz.state import QuizState
from tutor.quiz.questions import Question
from tutor.text import citation

PASSAGES_PER_TOPIC = 24
"""Passages searched per topic to find one carrying it, not used in the quiz yet."""


def due_review(ctx: TutorContext, skip: set[str], topic: str | None) -> tuple[Question, str] | None:
    """The most overdue review not in `skip` (asked in this quiz, or retired), on the
    quiz's topic if it has one, with its passage's text."""
    for question, _due in ctx.learner_store.due_questions(ctx.learner_name):
        if not reviewable(question, skip, topic):
            continue
        record = ctx.retriever.catalog.records([question.chunk_id]).get(question.chunk_id)
        if record is not None:  # a question whose passage left the corpus is not reviewed
            return question, record.text
    return None


def fresh_passage(
    ctx: TutorContext,
    topic_id: str,
    used: set[str],
    *,
    reuse: bool = True,
    prefer: list[str] | None = None,
    only_preferred: bool = False,
) -> PassageRef | None:
    """The topic's best passage not used in this quiz yet (`policy.choose_passage`): from
    the search for the topic, those carrying it; once they are used up, the other
    passages the question bank finds about it (tagged with it, or naming one of its
    terms, e.g. "MLflow" in a passage on deep learning). With `reuse`, a used one when
    all are. None when no passage is about the topic: nothing is asked off it. Passages
    in `prefer` (an exam slot's section's) that carry the topic come first; with
    `only_preferred`, only they are taken."""
    topic = ctx.topics.get(topic_id)
    if topic is None:
        return None
    preferred = [c for c in prefer or () if c not in used]
    first = choose_passage(_refs(ctx, preferred, start=1), topic_id, used, reuse=False)
    if first is not None or only_preferred:
        return first
    found = ctx.retriever.search(f"{topic.title}. {topic.description}", k=PASSAGES_PER_TOPIC)
    refs = [passage_ref(p, n) for n, p in enumerate(found, start=1)]
    fresh = choose_passage(refs, topic_id, used, reuse=False)
    if fresh is not None:
        return fresh
    about = _about(ctx, topic_id)
    more = [r for r in _refs(ctx, about, start=len(refs) + 1) if r["chunk_id"] not in used]
    if more:
        return more[0]
    return choose_passage(refs, topic_id, used, reuse=reuse, about=set(about)) if reuse else None


def _about(ctx: TutorContext, topic_id: str) -> list[str]:
    """The chunks the offline question bank may ask about the topic from."""
    return list(ctx.question_bank().slots.chunks_about(topic_id))


def _refs(ctx: TutorContext, chunk_ids: list[str], start: int) -> list[PassageRef]:
    """Catalog chunks as passages, in the order given."""
    records = ctx.retriever.catalog.records(chunk_ids)
    refs = []
    for n, chunk_id in enumerate((c for c in chunk_ids if c in records), start=start):
        record = records[chunk_id]
        span = [record.span_start, record.span_end]
        refs.append(
            PassageRef(
                n=n,
                chunk_id=chunk_id,
                text=record.text,
                source=record.source,
                heading=record.heading,
                span=span,
                span_unit=record.span_unit,
                topics=list(record.topics),
                similarity=0.0,
                citation=citation(record.source, record.heading, tuple(span), record.span_unit),
            )
        )
    return refs


def offline_question(
    ctx: TutorContext, state: QuizState, passage: PassageRef, kind: str, rng: random.Random
) -> Question | None:
    """A question from the offline generator about the picked topic, or None if the
    passage yields none (`policy.on_topic_question`): its answer, event and card all go to
    that topic. Questions asked before or retired by the learner are skipped."""
    exclude = {*state.get("asked", []), *state.get("retired", [])}
    bank = ctx.question_bank()
    candidates = bank.questions_for(passage["chunk_id"], kind, rng, exclude=exclude)
    recorded = ctx.learner_store.recorded_topics([q.id for q in candidates])
    topic_map = ctx.topics.topics if ctx.topics is not None else ()
    return on_topic_question(
        candidates, state["pending_topic"], passage["topics"], recorded, topic_map
    )


def sweep_topic(
    ctx: TutorContext, state: QuizState, topic_id: str, number: int, *, other_kinds: bool
) -> tuple[Question, PassageRef] | None:
    """For an offline quiz whose passage-by-passage search found nothing on the topic: a
    question of this slot's kind from any of the topic's passages (a passage asked about
    before may hold another sentence), then, with `other_kinds` (a mixed quiz), one of
    another kind; with its passage (else None)."""
    topic = ctx.topics.get(topic_id)
    if topic is None:
        return None
    found = ctx.retriever.search(f"{topic.title}. {topic.description}", k=PASSAGES_PER_TOPIC)
    refs = [passage_ref(p, n) for n, p in enumerate(found, start=1) if topic_id in p.topics]
    seen = {r["chunk_id"] for r in refs}
    refs += [
        r for r in _refs(ctx, _about(ctx, topic_id), len(refs) + 1) if r["chunk_id"] not in seen
    ]
    skipping = {**state, "asked": [*state.get("asked", []), *state.get("used_sentences", [])]}
    rng = random.Random(f"{state['seed']}:{number}:other")
    kinds = offline_kinds(state["kind"], number)
    for kind in kinds if other_kinds else kinds[:1]:
        for passage in refs:
            question = offline_question(ctx, skipping, passage, kind, rng)
            if question is not None:
                return question, passage
    return None
