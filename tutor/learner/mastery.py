"""How well a learner knows a topic, estimated from what they did: pure functions, no I/O.

The model
---------
Each topic starts from a Beta(1, 1) prior: nothing known, mastery 0.5. Evidence moves it:

- a check answered right adds its weight to alpha; one answered wrong adds it to beta;
- being asked about adds ``ASK_WEIGHT`` (0.2) of its weight to beta. A question signals the
  topic is not yet secure, but only a little: one right answer outweighs four questions.
  All questions together never count for more than ``ASK_CAP`` (1.0, one wrong answer),
  because curiosity is not failure: ten follow-ups in one chat must not make a topic look
  worse than a failed check. So one fresh right answer is never outweighed by questions.

Every piece of evidence fades with age, ``weight = 0.5 ** (age_days / HALF_LIFE_DAYS)``
with a half-life of 14 days, so a topic left alone drifts back toward the unknown 0.5 and
comes up for practice again. Evidence dated in the future (a clock moved back) counts as
fresh, never as more than 1.

    mastery  = alpha / (alpha + beta)   the expected chance of answering a check right
    evidence = alpha + beta - 2         how much (decayed) evidence stands behind it

Sums use ``math.fsum``, which is exactly rounded, so the order of events never matters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

Kind = Literal["asked", "right", "wrong"]
KINDS: tuple[Kind, ...] = ("asked", "right", "wrong")

PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0
ASK_WEIGHT = 0.2
"""beta added by one fresh question about the topic."""
ASK_CAP = 1.0
"""The most beta all questions together can add (one fresh wrong answer)."""
HALF_LIFE_DAYS = 14.0
"""Evidence this old counts half."""
DAY = 86_400.0


class EvidenceLike(Protocol):
    """Anything with a kind and a time: `Evidence`, or a stored learner event."""

    @property
    def kind(self) -> str: ...

    @property
    def at(self) -> float: ...


@dataclass(frozen=True)
class Evidence:
    """One thing the learner did on a topic, at a Unix time in seconds."""

    kind: Kind
    at: float


@dataclass(frozen=True)
class Mastery:
    """The estimate for one topic and the counts behind it."""

    mastery: float
    """alpha / (alpha + beta), in (0, 1); 0.5 means nothing is known."""
    evidence: float
    """alpha + beta - 2: the decayed weight of everything seen (0 for an untouched topic)."""
    attempts: int
    """Checks answered, right or wrong (not decayed)."""
    correct: int
    """Checks answered right."""
    asked: int
    """Times the learner asked about the topic."""
    last_seen: float | None
    """Unix time of the newest event, or None if there is none."""

    @property
    def wrong(self) -> int:
        return self.attempts - self.correct


def decay(at: float, now: float) -> float:
    """The weight of evidence recorded at `at`, seen from `now`: halves every half-life."""
    age_days = max(0.0, now - at) / DAY
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def estimate(
    events: Iterable[EvidenceLike],
    now: float,
    weight: Callable[[EvidenceLike], float] | None = None,
) -> Mastery:
    """The mastery of one topic from all of its events (any order), as of `now`. `weight`
    scales an event's say (default 1): an exam objective counts the evidence on its own
    passages fully and that on its topics' other passages less (`tutor.learner.objectives`)."""
    rights: list[float] = []
    wrongs: list[float] = []
    asks: list[float] = []
    last_seen: float | None = None
    for event in events:
        say = 1.0 if weight is None else weight(event)
        if say <= 0:
            continue
        counts = decay(event.at, now) * say
        if event.kind == "right":
            rights.append(counts)
        elif event.kind == "wrong":
            wrongs.append(counts)
        elif event.kind == "asked":
            asks.append(ASK_WEIGHT * counts)
        else:
            raise ValueError(f"unknown evidence kind {event.kind!r}")
        last_seen = event.at if last_seen is None else max(last_seen, event.at)
    alpha = PRIOR_ALPHA + math.fsum(rights)
    beta = PRIOR_BETA + math.fsum(wrongs) + min(ASK_CAP, math.fsum(asks))
    return Mastery(
        mastery=alpha / (alpha + beta),
        evidence=alpha + beta - PRIOR_ALPHA - PRIOR_BETA,
        attempts=len(rights) + len(wrongs),
        correct=len(rights),
        asked=len(asks),
        last_seen=last_seen,
    )


class TopicEstimate(Protocol):
    """A topic's estimate as the progress views list it (`TopicProgress` is one)."""

    @property
    def topic(self) -> str: ...

    @property
    def mastery(self) -> Mastery: ...


def started(m: Mastery) -> bool:
    """Whether anything was ever recorded on the topic (a question asked, a check answered)."""
    return m.last_seen is not None


def weakness_order(row: TopicEstimate) -> tuple[bool, float, float, str]:
    """Sort key, weakest first: topics with evidence before those not started (an untouched
    topic is not weak, only unknown); among them lowest mastery; then, at equal mastery, at
    or below 0.5 the topic with more evidence (known to be shaky first), above 0.5 the one
    with less (less surely learnt); then the topic id, so the order is deterministic."""
    m = row.mastery
    # Rounding keeps float noise from splitting ties that are equal on paper.
    mastery = round(m.mastery, 9)
    evidence = round(m.evidence, 9)
    return (not started(m), mastery, -evidence if mastery <= 0.5 else evidence, row.topic)


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _ago(at: float, now: float) -> str:
    """When `at` was, counted in whole elapsed days (not calendar days), so it is exact."""
    days = int(max(0.0, now - at) // DAY)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def weakness_reason(m: Mastery, now: float) -> str:
    """A short reason to show beside a topic's mastery, e.g. "2 of 3 checks wrong, last
    seen 4 days ago", "asked about twice, not yet checked" or "not started"."""
    if m.last_seen is None:
        return "not started"
    if m.attempts == 0:
        what = f"asked about {_times(m.asked)}, not yet checked"
    elif m.wrong >= m.correct:
        what = f"{m.wrong} of {m.attempts} checks wrong"
    else:
        what = f"{m.correct} of {m.attempts} checks right"
    return f"{what}, last seen {_ago(m.last_seen, now)}"
