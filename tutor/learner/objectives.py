"""The learner's record seen by exam objective: pure functions, no I/O.

Topics stay the unit the learner studies by (chat, quiz, progress); the exam is written by
objective. An objective is tied to the record two ways:

- its passages, the chunks the index found supporting it (`tutor.corpus.objectives`): an
  answer to a question made from one of them counts fully;
- its topics, named in the blueprint: what the learner did on those topics' other passages
  (or asked in a chat) counts `TOPIC_WEIGHT`, since a topic is broader than an objective
  ("retrieval-augmented generation" covers chunking, re-ranking, Vector Search...).

Mastery per objective is `tutor.learner.mastery.estimate` over those events with those
weights, so it has the same prior, decay and caps as topic mastery; a section's is the same
over every event bearing on any of its objectives, each counted once at its largest weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tutor.corpus.blueprint import Blueprint, Section
from tutor.learner.mastery import Mastery, estimate
from tutor.learner.readiness import Answer, ObjectiveEvidence

TOPIC_WEIGHT = 0.5
"""The say of evidence on an objective's topic, but not on one of its own passages."""


@dataclass(frozen=True)
class PassageEvent:
    """A learner event with the passage it was about (None for a chat's): what objectives
    read."""

    kind: str
    at: float
    topic: str
    chunk: str | None = None
    key: str = ""
    """The event's identity (an answer's idempotency key)."""


@dataclass(frozen=True)
class ObjectiveLinks:
    """Each objective's passages (chunk ids) and topics."""

    passages: Mapping[str, frozenset[str]]
    topics: Mapping[str, frozenset[str]]

    @classmethod
    def build(
        cls, blueprint: Blueprint, objective_chunks: Mapping[str, Sequence[str]]
    ) -> ObjectiveLinks:
        return cls(
            passages={
                o.id: frozenset(objective_chunks.get(o.id, ())) for o in blueprint.objectives
            },
            topics={o.id: frozenset(o.topics) for o in blueprint.objectives},
        )

    def weight(self, objective: str, event: PassageEvent) -> float:
        """How much `event` says about `objective`: 1 on its passages, `TOPIC_WEIGHT` on
        its topics' other passages and chats, else 0."""
        if event.chunk is not None and event.chunk in self.passages.get(objective, ()):
            return 1.0
        return TOPIC_WEIGHT if event.topic in self.topics.get(objective, ()) else 0.0

    def section_weight(self, section: Section, event: PassageEvent) -> float:
        return max((self.weight(o.id, event) for o in section.objectives), default=0.0)


def objective_mastery(
    blueprint: Blueprint, links: ObjectiveLinks, events: Sequence[PassageEvent], now: float
) -> dict[str, Mastery]:
    """Per objective id, its mastery as of `now`."""
    return {
        o.id: estimate(events, now, lambda e, oid=o.id: links.weight(oid, e))
        for o in blueprint.objectives
    }


def section_mastery(
    blueprint: Blueprint, links: ObjectiveLinks, events: Sequence[PassageEvent], now: float
) -> dict[str, Mastery]:
    """Per section id, its mastery: every event bearing on one of its objectives, once."""
    return {
        s.id: estimate(events, now, lambda e, section=s: links.section_weight(section, e))
        for s in blueprint.sections
    }


def forecast_evidence(
    blueprint: Blueprint,
    links: ObjectiveLinks,
    events: Iterable[PassageEvent],
    cards: Iterable[tuple[str, str, str]],
) -> dict[str, ObjectiveEvidence]:
    """Per objective, its graded answers (weighted as above) and the review cards of
    questions on its passages (or, when it has none, on its topics) for the forecast.
    `cards` are (chunk id, topic, card JSON)."""
    answered = [e for e in events if e.kind in ("right", "wrong")]
    cards = list(cards)
    evidence: dict[str, ObjectiveEvidence] = {}
    for objective in blueprint.objectives:
        answers = tuple(
            Answer(e.kind == "right", e.at, weight, e.key)
            for e in answered
            if (weight := links.weight(objective.id, e)) > 0
        )
        own = links.passages[objective.id]
        on_passages = tuple(card for chunk, _topic, card in cards if chunk in own)
        on_topics = tuple(
            card for _chunk, topic, card in cards if topic in links.topics[objective.id]
        )
        evidence[objective.id] = ObjectiveEvidence(answers, on_passages or on_topics)
    return evidence
