"""The exam's blueprint against the learner's material and record: per section and objective,
how many passages support it and the learner's mastery; the share of the exam's weight the
material covers; and, first, the objectives it does not cover at all.

`tutor coverage` (text and ``--json``) and the app's Coverage view both render this. Only
`read_exam_record` does I/O (the catalog and the learner store, read only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tutor.config import Settings
from tutor.corpus.blueprint import Blueprint, ExamFacts, load_blueprint
from tutor.corpus.catalog import Catalog
from tutor.corpus.objectives import mapping_digest
from tutor.corpus.topics import load_topics
from tutor.learner.mastery import Mastery, started
from tutor.learner.objectives import (
    ObjectiveLinks,
    PassageEvent,
    objective_mastery,
    section_mastery,
)


@dataclass(frozen=True)
class ExamRecord:
    """What coverage and the readiness forecast are computed from, read in one go."""

    blueprint: Blueprint
    links: ObjectiveLinks
    events: tuple[PassageEvent, ...]
    cards: tuple[tuple[str, str, str], ...]
    """(chunk id, topic, fsrs Card JSON) of the learner's review cards."""
    stale: bool
    """The passages were mapped to other objectives (or never): `tutor index` maps them."""
    indexed: bool
    """Whether any material was indexed at all."""


@dataclass(frozen=True)
class ObjectiveRow:
    id: str
    text: str
    passages: int
    mastery: Mastery


@dataclass(frozen=True)
class SectionRow:
    id: str
    title: str
    weight: float
    passages: int
    """Distinct passages supporting any of its objectives."""
    mastery: Mastery
    objectives: tuple[ObjectiveRow, ...]

    @property
    def covered(self) -> int:
        return sum(1 for o in self.objectives if o.passages)


@dataclass(frozen=True)
class Coverage:
    exam: ExamFacts
    sections: tuple[SectionRow, ...]
    stale: bool
    indexed: bool

    @property
    def covered_weight(self) -> float:
        """The share of the exam (0-1) whose objectives the material supports: each section's
        weight times the share of its objectives with at least one passage."""
        return sum(s.weight / 100 * s.covered / len(s.objectives) for s in self.sections)

    @property
    def uncovered(self) -> list[ObjectiveRow]:
        """Objectives no passage supports, heaviest section first, in blueprint order."""
        ordered = sorted(self.sections, key=lambda s: -s.weight)
        return [o for s in ordered for o in s.objectives if not o.passages]

    def to_dict(self) -> dict[str, Any]:
        """What `tutor coverage --json` prints."""
        return {
            "exam": {
                "name": self.exam.name,
                "questions": self.exam.questions,
                "minutes": self.exam.minutes,
                "pass_mark": self.exam.pass_mark,
            },
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "weight": s.weight,
                    "passages": s.passages,
                    "mastery": shown_mastery(s.mastery),
                    "objectives": [
                        {
                            "id": o.id,
                            "text": o.text,
                            "passages": o.passages,
                            "mastery": shown_mastery(o.mastery),
                        }
                        for o in s.objectives
                    ],
                }
                for s in self.sections
            ],
            "covered_weight": round(self.covered_weight, 3),
            "uncovered": [o.id for o in self.uncovered],
        }


def shown_mastery(m: Mastery) -> float | None:
    """The mastery as scripts and screens show it: None until there is evidence."""
    return round(m.mastery, 3) if started(m) else None


def build_coverage(record: ExamRecord, now: float) -> Coverage:
    blueprint, links = record.blueprint, record.links
    by_objective = objective_mastery(blueprint, links, record.events, now)
    by_section = section_mastery(blueprint, links, record.events, now)
    sections = []
    for section in blueprint.sections:
        rows = tuple(
            ObjectiveRow(o.id, o.text, len(links.passages[o.id]), by_objective[o.id])
            for o in section.objectives
        )
        passages = set().union(*(links.passages[o.id] for o in section.objectives))
        sections.append(
            SectionRow(
                section.id,
                section.title,
                section.weight,
                len(passages),
                by_section[section.id],
                rows,
            )
        )
    return Coverage(blueprint.exam, tuple(sections), record.stale, record.indexed)


def read_exam_record(settings: Settings, learner: str) -> ExamRecord | None:
    """The blueprint, the passages of each objective and the learner's events and cards;
    None when there is no blueprint."""
    from tutor.learner.store import LearnerStore

    topics = load_topics(settings.topics_path)
    blueprint = load_blueprint(settings.blueprint_path, topics.ids())
    if blueprint is None:
        return None
    catalog = Catalog.open_for_reading(settings.catalog_path)
    chunks: dict[str, list[str]] = {}
    stale, indexed = False, False
    if catalog is not None:
        try:
            indexed = catalog.count_chunks() > 0
            chunks = catalog.objective_chunks()
            digest = catalog.get_meta("topics_digest") or ""
            stale = indexed and not digest.endswith(mapping_digest(blueprint))
        finally:
            catalog.close()
    with LearnerStore.open(settings, readonly=True) as store:
        passages = store.event_passages(learner)
        events = tuple(
            PassageEvent(e.kind, e.at, e.topic, passages.get(e.key or ""), e.key or "")
            for e in store.events(learner)
        )
        cards = tuple(store.passage_cards(learner))
    links = ObjectiveLinks.build(blueprint, chunks)
    return ExamRecord(blueprint, links, events, cards, stale, indexed)


def read_coverage(settings: Settings, learner: str, now: float | None = None) -> Coverage | None:
    """The coverage report of `learner` as of `now`; None when there is no blueprint."""
    record = read_exam_record(settings, learner)
    return None if record is None else build_coverage(record, time.time() if now is None else now)
