"""The exam's I/O for the quiz graph: its plan, read from the blueprint and the catalog at
the start, and its report per section at the end. The decisions are
`graphs.quiz.exam_plan`'s."""

from __future__ import annotations

from graphs.context import TutorContext
from graphs.quiz.exam_plan import (
    allocate,
    plan_exam,
    section_pools,
    section_scores,
    slot_section,
    unexamined_sections,
)
from graphs.quiz.state import QuizState


def exam_fields(ctx: TutorContext, n: int) -> dict:
    """The exam's plan as state: by the blueprint's sections when there is a blueprint and
    the material has something on one of them, else by each topic's share of the material."""
    catalog = ctx.retriever.catalog
    counts = catalog.topic_counts()
    blueprint = ctx.blueprint()
    if blueprint is not None:
        chunks = catalog.objective_chunks()
        records = catalog.records({c for ids in chunks.values() for c in ids})
        pools = section_pools(blueprint, chunks, {c: r.topics for c, r in records.items()}, counts)
        if pools:
            plan = plan_exam(n, blueprint, pools)
            return {
                "plan": plan["topics"],
                "plan_sections": plan["sections"],
                "pools": plan["pools"],
                "unexamined": plan["unexamined"],
                "pass_mark": blueprint.exam.pass_mark,
            }
    weights = {t.id: float(counts[t.id]) for t in ctx.topics.topics if counts.get(t.id)}
    return {"plan": allocate(n, weights)}


def slot_passages(state: QuizState) -> list[str]:
    """The passages the next question asks from first, if any: in an exam, those
    supporting the objectives of the current slot's section; in a quiz aimed at the exam,
    those of the objectives it aims at."""
    if not state.get("exam"):
        return list(state.get("focus_passages", []))
    sections = state.get("plan_sections", [])
    number = len(state.get("results", []))
    if number >= len(sections):
        return []
    return list(state.get("pools", {}).get(sections[number], {}).get("passages", []))


def passage_rule(state: QuizState, topic: str) -> dict:
    """`fresh_passage`'s `prefer` and `only_preferred` for the current slot."""
    return {"prefer": slot_passages(state), "only_preferred": keeps_to_passages(state, topic)}


def keeps_to_passages(state: QuizState, topic: str) -> bool:
    """Whether the current exam slot may ask `topic` only from its section's passages: a
    passage supporting the section may carry a topic its objectives do not name (a note
    on masking PII tagged with another topic); beyond the passage that topic is off the
    blueprint."""
    sections = state.get("plan_sections", [])
    number = len(state.get("results", []))
    if not state.get("exam") or number >= len(sections):
        return False
    pool = state.get("pools", {}).get(sections[number])
    return pool is not None and "linked" in pool and topic not in pool["linked"]


def result_section(state: QuizState, topic: str) -> str | None:
    """The section a graded exam question counts for (None outside a blueprint exam)."""
    sections = state.get("plan_sections", [])
    if not state.get("exam") or not sections:
        return None
    number = len(state.get("results", []))
    planned = sections[number] if number < len(sections) else None
    return slot_section(planned, topic, state.get("pools", {}))


def exam_report(ctx: TutorContext, state: QuizState) -> dict:
    """What a blueprint exam's summary adds: the score per section, the sections it could
    not examine and the pass mark."""
    blueprint = ctx.blueprint()
    if not state.get("plan_sections") or blueprint is None:
        return {}
    return {
        "sections": section_scores(blueprint, state.get("pools", {}), state.get("results", [])),
        "unexamined": unexamined_sections(blueprint, state.get("unexamined", [])),
        "pass_mark": state.get("pass_mark", blueprint.exam.pass_mark),
    }
