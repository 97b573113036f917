"""A mock exam weighted like the real one: question slots spread over the blueprint's
sections by weight, then over each section's topics. Pure decisions; `graphs.quiz.graph`
reads the catalog and the blueprint for them.

A section's material is, first, the passages that support its objectives (the index maps
them, `tutor.corpus.objectives`); a section with none is examined from its objectives'
topics, and a section with neither cannot be examined. Slots go to the sections that can,
in proportion to their weights renormalised over them (largest remainder), and within a
section to its topics by how many of its passages each carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict

from graphs.quiz.state import GradedResult, SectionPool, SectionScore, WeakTopic
from tutor.corpus.blueprint import Blueprint


class ExamPlan(TypedDict):
    topics: list[str]
    """The topic of each question slot."""
    sections: list[str]
    """The section of each question slot."""
    pools: dict[str, SectionPool]
    """Per examined section, what its questions come from."""
    unexamined: list[str]
    """Sections with no material at all, in blueprint order."""


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


def section_pools(
    blueprint: Blueprint,
    objective_chunks: Mapping[str, Sequence[str]],
    chunk_topics: Mapping[str, Sequence[str]],
    topic_counts: Mapping[str, int],
) -> dict[str, SectionPool]:
    """Per section with any material, its pool. `chunk_topics` gives each passage's topics,
    `topic_counts` each topic's passages in the whole material."""
    pools: dict[str, SectionPool] = {}
    for section in blueprint.sections:
        passages = list(
            dict.fromkeys(c for o in section.objectives for c in objective_chunks.get(o.id, ()))
        )
        linked = list(dict.fromkeys(t for o in section.objectives for t in o.topics))
        topics: dict[str, int] = {}
        for chunk in passages:
            for topic in chunk_topics.get(chunk, ()):
                topics[topic] = topics.get(topic, 0) + 1
        if topics:
            pools[section.id] = SectionPool(
                basis="passages", topics=topics, passages=passages, linked=linked
            )
            continue
        topics = {t: topic_counts[t] for t in linked if topic_counts.get(t)}
        if topics:
            pools[section.id] = SectionPool(
                basis="topics", topics=topics, passages=[], linked=linked
            )
    return pools


def plan_exam(n: int, blueprint: Blueprint, pools: Mapping[str, SectionPool]) -> ExamPlan:
    """`n` slots over the sections that have material, by weight, then over their topics."""
    weights = {s.id: s.weight for s in blueprint.sections if s.id in pools and s.weight > 0}
    per_section = allocate(n, weights)
    slots: list[tuple[float, int, str, str]] = []
    for rank, section_id in enumerate(dict.fromkeys(per_section)):
        count = per_section.count(section_id)
        chosen = allocate(count, {t: float(c) for t, c in pools[section_id]["topics"].items()})
        # Spread evenly through the exam, as the real one mixes its sections: an exam that
        # ends early (its material ran dry) has still asked from every section.
        slots += [((j + 0.5) / count, rank, section_id, topic) for j, topic in enumerate(chosen)]
    slots.sort()
    topics = [topic for *_, topic in slots]
    sections = [section_id for _, _, section_id, _ in slots]
    unexamined = [s.id for s in blueprint.sections if s.id not in weights]
    return ExamPlan(
        topics=topics,
        sections=sections,
        pools={s: pools[s] for s in weights},
        unexamined=unexamined,
    )


def slot_section(planned: str | None, topic: str, pools: Mapping[str, SectionPool]) -> str | None:
    """The section a question on `topic` counts for: the slot's own if its pool has the
    topic or its objectives name it (the usual case), else the first section whose pool
    has it, else none."""
    if planned is not None and topic in _askable(pools.get(planned)):
        return planned
    return next((s for s, pool in pools.items() if topic in pool["topics"]), None)


def section_topics(
    planned: str, pools: Mapping[str, SectionPool], skip: Iterable[str]
) -> list[str]:
    """The slot's section's other topics, most material first, then the other topics its
    objectives name: where a dry planned topic's slot goes instead."""
    skipped = set(skip)
    pool = pools.get(planned)
    topics = pool["topics"] if pool else {}
    ranked = sorted((t for t in topics if t not in skipped), key=lambda t: (-topics[t], t))
    return ranked + [t for t in _askable(pool) if t not in topics and t not in skipped]


def _askable(pool: SectionPool | None) -> list[str]:
    """The topics a section may be asked on: its pool's, then those its objectives name."""
    if pool is None:
        return []
    return list(dict.fromkeys([*pool["topics"], *pool.get("linked", [])]))


def section_scores(
    blueprint: Blueprint, pools: Mapping[str, SectionPool], results: Sequence[GradedResult]
) -> list[SectionScore]:
    """Per examined section, in blueprint order: its questions and right answers."""
    scores = []
    for section in blueprint.sections:
        if section.id not in pools:
            continue
        mine = [r for r in results if r.get("section") == section.id]
        scores.append(
            SectionScore(
                id=section.id,
                title=section.title,
                weight=section.weight,
                questions=len(mine),
                correct=sum(1 for r in mine if r["correct"]),
                basis=pools[section.id]["basis"],
            )
        )
    return scores


def unexamined_sections(blueprint: Blueprint, unexamined: Sequence[str]) -> list[WeakTopic]:
    return [WeakTopic(topic=s.id, title=s.title) for s in blueprint.sections if s.id in unexamined]


def exam_result(summary: Mapping) -> tuple[str, list[str], str | None]:
    """A blueprint exam's summary in words: the overall result against the pass mark, one
    line per section ("asked from its topics" when it had no passage of its own), and the
    sections it could not examine (None when there are none)."""
    mark = summary.get("pass_mark", 0.7)

    def verdict(right: int, total: int) -> str:
        if not total:
            return "no questions"
        share = right / total
        side = "at or above" if share >= mark else "below"
        return f"{right} of {total}, {share:.0%}: {side} the {mark:.0%} pass mark"

    overall = f"Overall {verdict(summary.get('correct', 0), summary.get('asked', 0))}."
    sections = []
    for row in summary["sections"]:
        source = "" if row["basis"] == "passages" else " (asked from its topics)"
        score = verdict(row["correct"], row["questions"])
        sections.append(f"{row['title']} ({row['weight']:g}%){source}: {score}")
    unexamined = None
    if summary.get("unexamined"):
        names = ", ".join(s["title"] for s in summary["unexamined"])
        unexamined = f"Not examined, the material has nothing on it: {names}."
    return overall, sections, unexamined
