"""The exam's blueprint (`blueprint.toml` in the corpus folder): the exam's facts, its
sections with their weights, and the objectives under each, as the official guide lists them.

A learner prepares for an exam, not for "the material": the blueprint is what their study is
measured against. It is read and checked here, once; a bad file is one clear line naming the
file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

from tutor.corpus.exam import read_toml
from tutor.errors import TutorError

BLUEPRINT_FILE = "blueprint.toml"


@dataclass(frozen=True)
class Objective:
    id: str
    text: str
    section: str
    """The id of the section it belongs to."""
    topics: tuple[str, ...] = ()
    """Topic ids (of topics.toml) it belongs to: the quiz and the chat work by topic."""
    keywords: tuple[str, ...] = ()
    """Lower-case words or phrases; a passage that uses one backs its match to it."""

    def mentions(self, text: str) -> bool:
        """Whether `text` uses one of its keywords (whole words, any case)."""
        lowered = text.lower()
        return any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", lowered) for k in self.keywords)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    weight: float
    """Percent of the exam; the sections' weights add up to 100."""
    objectives: tuple[Objective, ...]


@dataclass(frozen=True)
class ExamFacts:
    name: str
    questions: int
    """Scored questions."""
    minutes: int
    pass_mark: float
    """The share of questions to get right to pass (0-1)."""
    pass_mark_source: str
    """Where the pass mark comes from: the vendor's figure, or that none is published."""
    guide_version: str = ""
    source: str = ""


@dataclass(frozen=True)
class Blueprint:
    exam: ExamFacts
    sections: tuple[Section, ...]

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return tuple(o for s in self.sections for o in s.objectives)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    @property
    def digest(self) -> str:
        """Changes whenever the objectives do, so the index knows to map passages again."""
        data = json.dumps([asdict(o) for o in self.objectives], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def load_blueprint(path: Path, topic_ids: Collection[str] | None = None) -> Blueprint | None:
    """The blueprint in `path`; None if there is no such file (the tutor then knows no
    exam's outline, and says so where it would use one). With `topic_ids` (the topic
    map's), an objective naming another topic is an error."""
    data = read_toml(path, "blueprint")
    if data is None:
        return None
    try:
        return _parse(data, None if topic_ids is None else set(topic_ids))
    except _Invalid as error:
        raise TutorError(f"{path}: {error}") from None


class _Invalid(ValueError):
    pass


def _parse(data: dict, topic_ids: set[str] | None) -> Blueprint:
    exam = data.get("exam")
    if not isinstance(exam, dict):
        raise _Invalid("needs an [exam] table")
    facts = ExamFacts(
        name=_text(exam, "name", "[exam]"),
        questions=_number(exam, "questions", "[exam]", int, 1, 1000),
        minutes=_number(exam, "minutes", "[exam]", int, 1, 1000),
        pass_mark=_number(exam, "pass_mark", "[exam]", float, 0.01, 1.0),
        pass_mark_source=_text(exam, "pass_mark_source", "[exam]"),
        guide_version=str(exam.get("guide_version", "")).strip(),
        source=str(exam.get("source", "")).strip(),
    )
    raw_sections = data.get("section")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise _Invalid("needs at least one [[section]]")
    sections: list[Section] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_sections, start=1):
        where = f"section {n}"
        if not isinstance(raw, dict):
            raise _Invalid(f"{where} is not a table")
        section_id = _text(raw, "id", where)
        where = f"section {section_id!r}"
        objectives = []
        for m, item in enumerate(raw.get("objective") or [], start=1):
            if not isinstance(item, dict):
                raise _Invalid(f"objective {m} of {where} is not a table")
            objective_id = _text(item, "id", f"objective {m} of {where}")
            if objective_id in seen:
                raise _Invalid(f"objective id {objective_id!r} is used twice")
            seen.add(objective_id)
            where_objective = f"objective {objective_id!r}"
            text = _text(item, "text", where_objective)
            topics = _words(item, "topics", where_objective)
            unknown = [t for t in topics if topic_ids is not None and t not in topic_ids]
            if unknown:
                raise _Invalid(f"{where_objective} names unknown topic {unknown[0]!r}")
            keywords = tuple(k.lower() for k in _words(item, "keywords", where_objective))
            objectives.append(Objective(objective_id, text, section_id, topics, keywords))
        if not objectives:
            raise _Invalid(f"{where} lists no objective")
        if section_id in {s.id for s in sections}:
            raise _Invalid(f"section id {section_id!r} is used twice")
        sections.append(
            Section(
                id=section_id,
                title=_text(raw, "title", where),
                weight=_number(raw, "weight", where, float, 0.0, 100.0),
                objectives=tuple(objectives),
            )
        )
    total = sum(s.weight for s in sections)
    if abs(total - 100) > 0.5:
        raise _Invalid(f"the sections' weights add up to {total:g}, not 100")
    return Blueprint(facts, tuple(sections))


def _text(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{where} needs a {key}")
    return value.strip()


def _words(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f"{where}: {key} must be a list of words")
    return tuple(v.strip() for v in value)


def _number(table: dict, key: str, where: str, kind: type, low: float, high: float):
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"{where} needs a number {key}")
    if kind is int and value != int(value):
        raise _Invalid(f"{where}: {key} must be a whole number, not {value}")
    if not low <= value <= high:
        raise _Invalid(f"{where}: {key} must be between {low:g} and {high:g}, not {value}")
    return kind(value)
