"""The learner's predicted exam score on a given date: pure functions, no I/O.

A learner asks "would I pass if the exam were on that day, and what should I study next?".
The answer has to be honest about how little is known early on, so the forecast is a
distribution, not a number: a shared learner-level ability, objectives around it, forgetting
to the exam date, and the noise of a finite exam.

The model
---------
Each objective j has a knowledge share ``k_j`` in (0, 1): the part of its questions the
learner answers from knowledge rather than by guessing, so a question is right with chance
``guess + (1 - guess) * k_j``. On the logit scale ``u_j = logit(k_j)`` the objectives are
drawn around one learner-level ability ``mu``::

    mu  ~ Normal(MU_PRIOR_MEAN, MU_PRIOR_SD)     1.0 and 1.2: a wide prior (a fresh
                                                 learner's band is about 0.40-0.77)
    u_j ~ Normal(mu, OBJECTIVE_SD)               0.9: objectives differ, not wildly

Sharing ``mu`` is what keeps a fresh learner's band wide: 56 independent objectives would
average out into a falsely narrow band, while one shared unknown ability does not. Answers
on any objective move ``mu`` and so the prior of every objective without evidence.

Evidence. An answer of weight ``w`` (1 for a question on the objective's own passages, less
for one on a linked topic) given ``age`` days before now counts ``w * 0.5 ** (age /
HALF_LIFE_DAYS)`` (30 days): recent answers say more about the learner now. An answer dated
in the future counts as fresh. With ``s_j`` and ``f_j`` the counted right and wrong answers,
the likelihood is ``(guess + (1 - guess) k) ** s_j * ((1 - guess)(1 - k)) ** f_j``. A right
answer's likelihood rises with ``k`` and a wrong one's falls, so, the cards being the same,
one more right answer never lowers the forecast and one more wrong answer never raises it
(likelihood-ratio order, which holds exactly on the fixed grids below).

Forgetting. The answers measure knowledge while it is being studied; on the exam date an
objective keeps the share ``phi_j`` of it::

    phi_j = min(1, BACKGROUND + (1 - BACKGROUND) * R_j / R_REVIEW)

where ``R_j`` is the mean FSRS retrievability of its cards on the exam date and ``R_REVIEW``
(0.9) FSRS's desired retention, the recall at which cards are normally reviewed, so a card
as fresh as at a review keeps everything. Knowledge never decays below ``BACKGROUND`` (0.7)
of what was shown: understanding outlives a forgotten card. An objective without cards
(never studied here, or only answered in chat) keeps ``BACKGROUND``: material not studied
with cards is known about as well as studied material once it has faded. (Taking the
learner's other objectives' ``phi`` instead would let a first wrong answer raise the
forecast.) ``R_j`` only falls as the exam moves later, so a later exam never raises it.

The score. On the exam date objective j is answered right with chance ``p_j = guess + (1 -
guess) * k_j * phi_j``, and the expected score is ``S = sum_j c_j p_j`` with ``c_j`` the
section's share of the exam spread evenly over its objectives. ``predicted`` is the
posterior mean of ``S``. Everything is computed on fixed grids (``mu`` in steps of 0.2 over
[-5, 6], ``u`` in steps of 0.2 over [-8, 8]), exactly, with no sampling: the same input
always gives the same forecast, in a few milliseconds.

The band. Given ``mu`` the objectives are independent, so ``S`` has mean ``E[S | mu]`` and
variance ``sum_j c_j**2 Var(p_j | mu) + (BACKGROUND_SD * dS/dBACKGROUND)**2 + MODEL_SD**2``.
The middle term is the learner's own, unknown, ``BACKGROUND`` (learners differ by about
``BACKGROUND_SD`` = 0.08 in what they keep): it widens the band where knowledge has faded or
was never studied, and not where it is fresh. The last (0.02) stands for the rest the model
leaves out (the exam's questions are not the tutor's). ``low`` and ``high`` are the 5th and
95th percentiles of that normal mixture over ``mu``'s posterior. ``p_pass`` adds the
binomial noise of ``questions`` questions, each right with chance ``S``: the chance that the
count reaches ``ceil(pass_mark * questions)``, normal approximation with continuity
correction.

What to study. ``study_next`` ranks objectives by how much ``predicted`` would rise if one
were raised to ``STUDIED`` (0.9, a well-studied objective): ``c_j * (STUDIED - E[p_j])``,
then fewer answers first, then id.

The constants were tuned on a development population of simulated learners only
(``benchmarks/readiness_calibration.py``, which also reports held-out populations).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from fsrs import Card, Scheduler

MU_PRIOR_MEAN = 1.0
"""The prior learner-level ability, logit of the knowledge share (k = 0.73)."""
MU_PRIOR_SD = 1.2
"""How unsure the prior is of it: wide, so a fresh learner's band is wide."""
OBJECTIVE_SD = 0.9
"""How far one objective's ability (logit) strays from the learner's."""
HALF_LIFE_DAYS = 30.0
"""An answer this old counts half."""
BACKGROUND = 0.7
"""The share of shown knowledge kept when its cards are long forgotten, or never studied."""
R_REVIEW = 0.9
"""FSRS's desired retention: a card this fresh keeps all of the knowledge shown."""
BACKGROUND_SD = 0.08
"""How much learners differ in BACKGROUND: the band widens by it where knowledge fades."""
MODEL_SD = 0.02
"""Spread of the expected score that the model leaves out otherwise, added to the band."""
STUDIED = 0.9
"""The chance of a right answer on a well-studied objective (for `study_next`)."""
BAND = (0.05, 0.95)
DAY = 86_400.0

_MU = np.linspace(-5.0, 6.0, 56)
_U = np.linspace(-8.0, 8.0, 81)
_K = 1.0 / (1.0 + np.exp(-_U))
_SCHEDULER = Scheduler(enable_fuzzing=False)


@dataclass(frozen=True)
class Answer:
    correct: bool
    at: float
    """Unix seconds."""
    weight: float = 1.0
    """1.0 = an answer on the objective's own passages; less (e.g. 0.5) = on a linked topic."""
    key: str = ""
    """The answer's identity: one answer listed under several objectives is counted once
    where answers are counted. Answers without one are each counted."""


@dataclass(frozen=True)
class ObjectiveEvidence:
    answers: tuple[Answer, ...] = ()
    cards: tuple[str, ...] = ()
    """fsrs Card JSON (`Card.to_json()`) of the learner's cards for questions on it."""


@dataclass(frozen=True)
class SectionSpec:
    id: str
    weight: float
    """Percent of the exam (sections add up to 100)."""
    objectives: tuple[str, ...]
    """Objective ids."""


@dataclass(frozen=True)
class SectionForecast:
    id: str
    weight: float
    """Percent, as given."""
    predicted: float
    """The chance of answering one of its questions right on the exam date, in [0, 1]."""
    answers: int
    """The answers bearing on its objectives (each counted once, whatever its weight)."""


@dataclass(frozen=True)
class Forecast:
    exam_date: str
    """"YYYY-MM-DD" as given."""
    predicted: float
    """The expected exam score, in [0, 1]."""
    low: float
    """5th percentile of the expected score (a nominal 90% band with `high`)."""
    high: float
    """95th percentile."""
    pass_mark: float
    p_pass: float
    """The chance the score on the exam's questions reaches `pass_mark`."""
    sections: tuple[SectionForecast, ...]
    study_next: tuple[str, ...]
    """Up to 3 objective ids whose study would raise `predicted` most."""
    answers: int
    """All answers behind it."""

    def to_dict(self) -> dict:
        return {
            "exam_date": self.exam_date,
            "predicted": round(self.predicted, 3),
            "low": round(self.low, 3),
            "high": round(self.high, 3),
            "pass_mark": round(self.pass_mark, 3),
            "p_pass": round(self.p_pass, 3),
            "sections": [
                {
                    "id": s.id,
                    "weight": round(s.weight, 3),
                    "predicted": round(s.predicted, 3),
                    "answers": s.answers,
                }
                for s in self.sections
            ],
            "study_next": list(self.study_next),
        }


def forecast(
    sections: Sequence[SectionSpec],
    evidence: Mapping[str, ObjectiveEvidence],
    *,
    now: float,
    exam_at: float,
    exam_date: str,
    pass_mark: float,
    questions: int,
    studyable: Collection[str] | None = None,
    guess: float = 0.25,
) -> Forecast:
    """The forecast of the exam score on `exam_at` (Unix seconds; one before `now` is taken
    as now) from the evidence per objective id, if the learner studied no more."""
    if not 0.0 <= guess < 1.0:
        raise ValueError(f"guess must be in [0, 1), not {guess}")
    if questions < 1:
        raise ValueError(f"questions must be at least 1, not {questions}")
    total = math.fsum(max(0.0, s.weight) for s in sections)
    if total <= 0:
        raise ValueError("the sections' weights must add up to more than 0")
    exam_at = max(exam_at, now)

    # One slot per distinct objective; a section without objectives gets one of its own,
    # with no evidence, so its weight still counts.
    slots: list[str] = []
    share: dict[str, float] = {}
    for section in sections:
        ids = section.objectives or (f"\0{section.id}",)
        for oid in ids:
            if oid not in share:
                slots.append(oid)
                share[oid] = 0.0
            share[oid] += max(0.0, section.weight) / total / len(ids)
    empty = ObjectiveEvidence()
    found = [evidence.get(oid, empty) for oid in slots]
    counts = np.array([_counts(e.answers, now) for e in found]).reshape(len(slots), 2)
    phi = _retention(found, exam_at)
    c = np.array([share[oid] for oid in slots])

    # log-likelihood of each slot's answers on the knowledge grid, scaled to a max of 1
    right = np.log(guess + (1.0 - guess) * _K)
    wrong = np.log((1.0 - guess) * (1.0 - _K))
    log_like = counts[:, :1] * right + counts[:, 1:] * wrong
    like = np.exp(log_like - log_like.max(axis=1, keepdims=True))  # (J, U)
    prior_u = np.exp(-0.5 * ((_U[None, :] - _MU[:, None]) / OBJECTIVE_SD) ** 2)
    prior_u /= prior_u.sum(axis=1, keepdims=True)  # (M, U): u given mu
    p = guess + (1.0 - guess) * _K[None, :] * phi[:, None]  # (J, U): right on the exam date
    marginal = np.maximum(prior_u @ like.T, 1e-300)  # (M, J)
    mean_j = (prior_u @ (like * p).T) / marginal
    var_j = np.maximum((prior_u @ (like * p * p).T) / marginal - mean_j**2, 0.0)

    log_post = -0.5 * ((_MU - MU_PRIOR_MEAN) / MU_PRIOR_SD) ** 2 + np.log(marginal).sum(axis=1)
    post = np.exp(log_post - log_post.max())
    post /= post.sum()  # (M,)

    mean_s = mean_j @ c  # (M,)
    # how far S moves with the learner's unknown BACKGROUND: d phi_j / d BACKGROUND
    faded = ((mean_j - guess) / np.maximum(phi, 1e-9)) @ (c * (1.0 - phi) / (1.0 - BACKGROUND))
    var_s = var_j @ (c * c) + (BACKGROUND_SD * faded) ** 2 + MODEL_SD**2
    per_objective = post @ mean_j  # (J,)
    predicted = _unit(float(post @ mean_s))
    low = min(predicted, _unit(_quantile(post, mean_s, var_s, BAND[0])))
    high = max(predicted, _unit(_quantile(post, mean_s, var_s, BAND[1])))

    # p_pass: the count of right answers is Binomial(questions, S), S from the mixture.
    need = math.ceil(pass_mark * questions - 1e-9)
    count_var = questions**2 * var_s + questions * np.maximum(mean_s - mean_s**2 - var_s, 0.0)
    z = (need - 0.5 - questions * mean_s) / np.sqrt(count_var)
    p_pass = _unit(float(post @ (1.0 - _phi_norm(z)))) if need > 0 else 1.0

    index = {oid: i for i, oid in enumerate(slots)}
    answered = {oid: len(evidence.get(oid, empty).answers) for oid in slots}
    section_rows = []
    for section in sections:
        ids = section.objectives or (f"\0{section.id}",)
        chance = math.fsum(per_objective[index[oid]] for oid in ids) / len(ids)
        section_rows.append(
            SectionForecast(
                id=section.id,
                weight=section.weight,
                predicted=_unit(chance),
                answers=_distinct(evidence.get(oid, empty).answers for oid in ids),
            )
        )
    real = [oid for oid in slots if not oid.startswith("\0")]
    allowed = set(studyable) if studyable else set(real)
    pool = [oid for oid in real if oid in allowed]
    gains = {oid: c[index[oid]] * (STUDIED - per_objective[index[oid]]) for oid in pool}
    ranked = sorted(
        (oid for oid in pool if round(gains[oid], 9) > 0),
        key=lambda oid: (-round(gains[oid], 9), answered[oid], oid),
    )
    return Forecast(
        exam_date=exam_date,
        predicted=predicted,
        low=low,
        high=high,
        pass_mark=pass_mark,
        p_pass=p_pass,
        sections=tuple(section_rows),
        study_next=tuple(ranked[:3]),
        answers=_distinct(evidence.get(oid, empty).answers for oid in slots),
    )


def _distinct(answer_lists: Iterable[Sequence[Answer]]) -> int:
    """How many answers these are, one answer bearing on several objectives counted once
    (it is listed under each, with its own weight)."""
    seen: set[str] = set()
    count = 0
    for answers in answer_lists:
        for a in answers:
            count += not a.key or a.key not in seen
            seen.add(a.key)
    return count


def _counts(answers: Sequence[Answer], now: float) -> tuple[float, float]:
    """The recency-weighted right and wrong answers."""
    right: list[float] = []
    wrong: list[float] = []
    for answer in answers:
        age_days = max(0.0, now - answer.at) / DAY
        counted = max(0.0, answer.weight) * 0.5 ** (age_days / HALF_LIFE_DAYS)
        (right if answer.correct else wrong).append(counted)
    return math.fsum(right), math.fsum(wrong)


def _retention(found: Sequence[ObjectiveEvidence], exam_at: float) -> np.ndarray:
    """phi per slot: the share of shown knowledge kept on the exam date (see the model)."""
    when = datetime.fromtimestamp(exam_at, tz=UTC)
    phi: list[float | None] = []
    for item in found:
        recalls = [_recall(card, when) for card in item.cards]
        known = [r for r in recalls if r is not None]
        if known:
            mean = math.fsum(known) / len(known)
            phi.append(min(1.0, BACKGROUND + (1.0 - BACKGROUND) * mean / R_REVIEW))
        else:
            phi.append(None)
    return np.array([BACKGROUND if x is None else x for x in phi])


def _recall(card_json: str, when: datetime) -> float | None:
    """A card's FSRS retrievability at `when`; None for a card never reviewed or unreadable."""
    try:
        card = Card.from_json(card_json)
    except (ValueError, KeyError, TypeError):
        return None
    if card.last_review is None or card.stability is None:
        return None
    return float(_SCHEDULER.get_card_retrievability(card, current_datetime=when))


def _phi_norm(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, elementwise."""
    return np.array([0.5 * math.erfc(-float(x) / math.sqrt(2.0)) for x in np.ravel(z)])


def _quantile(post: np.ndarray, mean: np.ndarray, var: np.ndarray, q: float) -> float:
    """The q-quantile of the normal mixture sum_m post[m] N(mean[m], var[m]), by bisection."""
    keep = post > 1e-12
    w, m, sd = post[keep], mean[keep], np.sqrt(var[keep])
    lo, hi = float((m - 8 * sd).min()), float((m + 8 * sd).max())
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if float(w @ _phi_norm((mid - m) / sd)) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _unit(x: float) -> float:
    return min(1.0, max(0.0, float(x)))
