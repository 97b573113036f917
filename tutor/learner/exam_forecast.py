"""The readiness forecast for the learner's exam date, and what a quiz aimed at the exam
asks about: the bridge between the learner's record (`coverage.read_exam_record`) and the
model (`readiness.forecast`).

`tutor readiness`, `tutor quiz --for-exam` and the app's Readiness view all use this.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner.coverage import ExamRecord, read_exam_record
from tutor.learner.objectives import forecast_evidence
from tutor.learner.readiness import Forecast, SectionSpec, forecast

NO_EXAM_DATE = (
    "no exam date: give one with --exam-date YYYY-MM-DD, or save it in the app's Settings"
)
EXAM_HOUR = clock(12)
"""The forecast is for midday of the exam date (the learner's local time)."""
PLANNING_HORIZON = timedelta(weeks=4)
"""How far ahead a quiz aimed at the exam plans when the learner has saved no exam date."""


@dataclass(frozen=True)
class ExamFocus:
    """What a quiz aimed at the exam asks about: the objectives whose study would raise the
    forecast most, their topics (in that order) and the passages supporting them."""

    objectives: tuple[str, ...]
    topics: tuple[str, ...]
    passages: tuple[str, ...]


def parse_exam_date(text: str) -> date:
    """A date as the learner types it (YYYY-MM-DD); a one-line error otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise TutorError(f"the exam date must be a date like 2027-01-31, not {text!r}") from None


def chosen_exam_date(settings: Settings, given: date | None, today: date | None = None) -> date:
    """The exam date given, else the one saved in settings; one line when there is none or
    it has passed."""
    chosen = given or settings.exam_date
    if chosen is None:
        raise TutorError(NO_EXAM_DATE)
    today = today or date.today()
    if chosen < today:
        where = "" if given else " (saved in settings)"
        raise TutorError(
            f"the exam date {chosen.isoformat()}{where} has passed: give the next one with"
            " --exam-date YYYY-MM-DD"
        )
    return chosen


def planning_date(saved: date | None, *, required: bool, today: date | None = None) -> date | None:
    """The exam date a quiz aims at: the saved one while it is ahead; otherwise None when
    `required`, else four weeks from today."""
    today = today or date.today()
    if saved is not None and saved >= today:
        return saved
    return None if required else today + PLANNING_HORIZON


def exam_moment(day: date) -> float:
    """Unix seconds of midday on `day`, local time."""
    return datetime.combine(day, EXAM_HOUR).timestamp()


def build_forecast(record: ExamRecord, exam_date: date, now: float) -> Forecast:
    """The forecast of the learner's score on `exam_date` if they studied no more."""
    blueprint, links = record.blueprint, record.links
    evidence = forecast_evidence(blueprint, links, record.events, record.cards)
    sections = [
        SectionSpec(s.id, s.weight, tuple(o.id for o in s.objectives)) for s in blueprint.sections
    ]
    # What to study next is limited to objectives the material supports, while there are any:
    # advice to study what the learner has no passage on belongs to `tutor coverage`.
    with_material = [o.id for o in blueprint.objectives if links.passages[o.id]]
    return forecast(
        sections,
        evidence,
        now=now,
        exam_at=exam_moment(exam_date),
        exam_date=exam_date.isoformat(),
        pass_mark=blueprint.exam.pass_mark,
        questions=blueprint.exam.questions,
        studyable=with_material or None,
    )


def read_readiness(
    settings: Settings, learner: str, exam_date: date, now: float | None = None
) -> tuple[ExamRecord, Forecast] | None:
    """The learner's record and forecast for `exam_date`; None when there is no blueprint."""
    record = read_exam_record(settings, learner)
    if record is None:
        return None
    return record, build_forecast(record, exam_date, time.time() if now is None else now)


def focus_of(record: ExamRecord, outlook: Forecast) -> ExamFocus:
    """The topics and passages of the objectives `outlook` says to study next."""
    named = {o.id: o for o in record.blueprint.objectives}
    topics: dict[str, None] = {}
    passages: dict[str, None] = {}
    for oid in outlook.study_next:
        topics.update(dict.fromkeys(named[oid].topics))
        passages.update(dict.fromkeys(sorted(record.links.passages[oid])))
    return ExamFocus(outlook.study_next, tuple(topics), tuple(passages))


def exam_focus(
    settings: Settings, learner: str, exam_date: date, now: float | None = None
) -> ExamFocus | None:
    """What a quiz aimed at the exam on `exam_date` asks about; None when there is no
    blueprint or nothing to aim at."""
    found = read_readiness(settings, learner, exam_date, now)
    if found is None:
        return None
    focus = focus_of(*found)
    return focus if focus.topics or focus.passages else None
