"""How well the readiness forecast (`tutor.learner.readiness`) predicts a known exam score.

Simulated learners with a KNOWN ability per objective and a KNOWN forgetting process take
quizzes of 8-12 questions on a quarter to nine tenths of days, on the shipped blueprint's 56
objectives (corpus/blueprint.toml), with objectives picked as the tutor picks them: due
reviews, the weakest topic, new material, and only on the objectives their material
covers. Every answer reschedules a real FSRS card (`tutor.learner.scheduling.review`). At
checkpoints (after 0, 20, 60, 120 and 200 answers) the forecast for the exam date is
compared with the learner's TRUE expected score on that date if they studied no more:

    truth = sum over sections of weight/100 * mean over its objectives of
            guess + (1 - guess) * ability_j * retention_j(exam date)

The learner's forgetting is not the forecaster's (FSRS's power curve): the above-guess part
decays toward a per-learner background level, exponentially (the development shape) or by
a hyperbola (held-out shape B), with a stability that grows with each spaced right answer.

Figures per checkpoint: MAE of `predicted` against the truth, its bias (mean of predicted -
truth), the share of truths inside [low, high] (nominal 90%), the band's mean width, the
Brier score of `p_pass` against "truth >= pass mark", and the share who would pass.

Honesty: the forecaster's constants were tuned on the DEVELOPMENT population only (shape A,
seeds 1..100, the default run's). Two held-out populations were not looked at while
tuning: shape A with other seeds, and shape B (hyperbolic forgetting, a bimodal population
of weak and strong learners, wider differences between objectives, other schedules).

Usage: python benchmarks/readiness_calibration.py [--learners N] [--seed S] [--only NAME]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from _common import CORPUS_DIR, format_table

from tutor.corpus.blueprint import load_blueprint
from tutor.learner.readiness import Answer, ObjectiveEvidence, SectionSpec, forecast
from tutor.learner.scheduling import rating_for, review

DAY = 86_400.0
START = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
CHECKPOINTS = (0, 20, 60, 120, 200)
GUESS = 0.25
QUESTIONS_PER_OBJECTIVE = 6
"""The tutor's pool of questions on one objective; a question comes back when due."""


@dataclass(frozen=True)
class Shape:
    """How a population of simulated learners is drawn."""

    name: str
    ability: Callable[[random.Random], float]
    """The learner-level ability (logit of the knowledge share)."""
    spread: float
    """SD of an objective's ability (logit) around the learner's."""
    background: Callable[[random.Random], float]
    """The share of knowledge kept once forgotten, and of never-studied objectives."""
    decay: Callable[[float, float], float]
    """(days since the last review, stability in days) -> share of the studied part kept."""
    growth: tuple[float, float]
    """Range of the per-learner factor a well-spaced right answer multiplies stability by."""
    coverage: tuple[float, float]
    """Range of the share of objectives the learner's material covers."""
    sessions: tuple[float, float]
    """Range of the per-learner chance of a quiz on a given day."""


def _bimodal(rng: random.Random) -> float:
    return rng.gauss(-0.2, 0.5) if rng.random() < 0.5 else rng.gauss(2.2, 0.5)


SHAPE_A = Shape(
    name="A: exponential forgetting, one normal population",
    ability=lambda rng: rng.gauss(1.0, 1.0),
    spread=0.9,
    background=lambda rng: rng.uniform(0.5, 0.85),
    decay=lambda days, stability: math.exp(-days / stability),
    growth=(1.8, 3.0),
    coverage=(0.5, 0.95),
    sessions=(0.35, 0.7),
)
SHAPE_B = Shape(
    name="B: hyperbolic forgetting, bimodal population",
    ability=_bimodal,
    spread=1.2,
    background=lambda rng: rng.betavariate(4, 2),
    decay=lambda days, stability: 1.0 / (1.0 + days / stability),
    growth=(1.4, 2.6),
    coverage=(0.4, 1.0),
    sessions=(0.25, 0.9),
)
SHAPES = {"A": SHAPE_A, "B": SHAPE_B}


@dataclass(frozen=True)
class Population:
    label: str
    shape: str
    """A key of SHAPES."""
    first_seed: int


@dataclass(frozen=True)
class Row:
    """One checkpoint of one learner."""

    checkpoint: int
    predicted: float
    low: float
    high: float
    p_pass: float
    truth: float


@dataclass
class Learner:
    """A simulated learner's true state and what the tutor has recorded of them."""

    ability: dict[str, float]
    background: float
    first_stability: float
    growth: float
    last: dict[str, float]
    stability: dict[str, float]
    answers: dict[str, list[Answer]]
    cards: dict[str, tuple[str, float]]
    """question id -> (card JSON, due)."""

    def retention(self, shape: Shape, oid: str, at: float) -> float:
        if oid not in self.last:
            return self.background
        days = max(0.0, at - self.last[oid]) / DAY
        kept = shape.decay(days, self.stability[oid])
        return self.background + (1.0 - self.background) * kept

    def chance(self, shape: Shape, oid: str, at: float) -> float:
        return GUESS + (1.0 - GUESS) * self.ability[oid] * self.retention(shape, oid, at)

    def study(self, oid: str, correct: bool, at: float) -> None:
        """After an answer and its feedback the objective is fresh again; a right answer
        grows its stability the more, the longer it was left (spacing); a wrong one cuts it."""
        if oid not in self.last:
            grown = self.first_stability * (1.0 if correct else 0.6)
        elif correct:
            stability = self.stability[oid]
            spacing = min(1.0, (at - self.last[oid]) / DAY / stability)
            grown = stability * (1.0 + (self.growth - 1.0) * spacing)
        else:
            grown = max(0.3, self.stability[oid] * 0.5)
        self.stability[oid] = grown
        self.last[oid] = at


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _pick(rng: random.Random, learner: Learner, covered: list[str], at: float) -> str:
    """The next question id, as the tutor would choose: a due review half the time, else
    the weakest answered objective or a covered one at random, a new question if any is left."""
    due = [(d, q) for q, (_, d) in learner.cards.items() if d <= at]
    if due and rng.random() < 0.5:
        return min(due)[1]
    answered = [o for o in covered if learner.answers.get(o)]
    if answered and rng.random() < 0.4:

        def mastery(oid: str) -> tuple[float, str]:
            got = learner.answers[oid][-5:]
            return ((1 + sum(a.correct for a in got)) / (2 + len(got)), oid)

        oid = min(answered, key=mastery)
    else:
        oid = rng.choice(covered)
    pool = [f"{oid}#{i}" for i in range(QUESTIONS_PER_OBJECTIVE)]
    new = [q for q in pool if q not in learner.cards]
    return new[0] if new else min(pool, key=lambda q: learner.cards[q][1])


def simulate(shape: Shape, seed: int) -> list[Row]:
    """One learner from first quiz to 200 answers, with a forecast at each checkpoint."""
    blueprint = load_blueprint(CORPUS_DIR / "blueprint.toml")
    assert blueprint is not None
    specs = [
        SectionSpec(s.id, s.weight, tuple(o.id for o in s.objectives)) for s in blueprint.sections
    ]
    objectives = [o for s in specs for o in s.objectives]
    rng = random.Random(seed)
    theta = shape.ability(rng)
    learner = Learner(
        ability={o: _sigmoid(theta + rng.gauss(0.0, shape.spread)) for o in objectives},
        background=shape.background(rng),
        first_stability=math.exp(rng.gauss(math.log(3.0), 0.4)),
        growth=rng.uniform(*shape.growth),
        last={},
        stability={},
        answers={},
        cards={},
    )
    covered = sorted(rng.sample(objectives, round(rng.uniform(*shape.coverage) * 56)))
    exam_at = START + rng.uniform(60.0, 90.0) * DAY
    session_chance = rng.uniform(*shape.sessions)
    pass_mark, questions = blueprint.exam.pass_mark, blueprint.exam.questions

    def checkpoint(count: int, now: float) -> Row:
        cards: dict[str, list[str]] = {}
        for qid, (card, _) in learner.cards.items():
            cards.setdefault(qid.split("#")[0], []).append(card)
        evidence = {
            o: ObjectiveEvidence(tuple(learner.answers.get(o, ())), tuple(cards.get(o, ())))
            for o in objectives
        }
        got = forecast(
            specs,
            evidence,
            now=now,
            exam_at=exam_at,
            exam_date=datetime.fromtimestamp(exam_at, tz=UTC).date().isoformat(),
            pass_mark=pass_mark,
            questions=questions,
            studyable=covered,
            guess=GUESS,
        )
        on_exam = max(exam_at, now)
        truth = math.fsum(
            s.weight
            / 100
            * math.fsum(learner.chance(shape, o, on_exam) for o in s.objectives)
            / len(s.objectives)
            for s in specs
        )
        return Row(count, got.predicted, got.low, got.high, got.p_pass, truth)

    rows = [checkpoint(0, START)]
    count, day = 0, 0
    while count < CHECKPOINTS[-1]:
        day += 1
        if rng.random() >= session_chance:
            continue
        at = START + day * DAY + rng.uniform(17.0, 22.0) * 3600
        for _ in range(rng.randint(8, 12)):
            qid = _pick(rng, learner, covered, at)
            oid = qid.split("#")[0]
            correct = rng.random() < learner.chance(shape, oid, at)
            learner.answers.setdefault(oid, []).append(Answer(correct, at))
            old = learner.cards.get(qid, (None, 0.0))[0]
            learner.cards[qid] = review(old, rating_for(correct), at)
            learner.study(oid, correct, at)
            count += 1
            if count in CHECKPOINTS:
                rows.append(checkpoint(count, at))
            if count == CHECKPOINTS[-1]:
                break
            at += 90.0
    return rows


def _run(job: tuple[str, int]) -> list[Row]:
    """A pool job: shapes go by name, as their functions do not pickle."""
    name, seed = job
    return simulate(SHAPES[name], seed)


def figures(rows: list[Row], pass_mark: float) -> list[list[object]]:
    table: list[list[object]] = []
    for checkpoint in CHECKPOINTS:
        at = [r for r in rows if r.checkpoint == checkpoint]
        n = len(at)
        passes = [1.0 if r.truth >= pass_mark else 0.0 for r in at]
        table.append(
            [
                checkpoint,
                n,
                math.fsum(abs(r.predicted - r.truth) for r in at) / n,
                math.fsum(r.predicted - r.truth for r in at) / n,
                math.fsum(r.low <= r.truth <= r.high for r in at) / n,
                math.fsum(r.high - r.low for r in at) / n,
                math.fsum((r.p_pass - y) ** 2 for r, y in zip(at, passes, strict=True)) / n,
                math.fsum(passes) / n,
            ]
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100, help="learners per population")
    parser.add_argument("--seed", type=int, default=0, help="offset added to every seed")
    parser.add_argument(
        "--only",
        choices=["dev", "held-out"],
        help="run only the development or only the held-out populations",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    args = parser.parse_args()
    blueprint = load_blueprint(CORPUS_DIR / "blueprint.toml")
    assert blueprint is not None
    populations = [
        Population("DEVELOPMENT (tuned on)", "A", args.seed + 1),
        Population("HELD-OUT, same shape, other seeds", "A", args.seed + 100_001),
        Population("HELD-OUT, other shape", "B", args.seed + 200_001),
    ]
    if args.only == "dev":
        populations = populations[:1]
    elif args.only == "held-out":
        populations = populations[1:]
    headers = ["answers", "n", "MAE", "bias", "in band", "width", "Brier", "pass rate"]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for population in populations:
            seeds = range(population.first_seed, population.first_seed + args.learners)
            jobs = [(population.shape, seed) for seed in seeds]
            rows = [row for rows in pool.map(_run, jobs, chunksize=4) for row in rows]
            print(f"\n{population.label}: {SHAPES[population.shape].name}")
            print(f"  seeds {seeds.start}..{seeds.stop - 1}")
            print(format_table(headers, figures(rows, blueprint.exam.pass_mark)))
    print(f"\n{time.perf_counter() - started:.1f} s")
    print("targets: MAE <= 0.08 from 60 answers on; 'in band' within 0.80-0.95 (nominal 0.90)")


if __name__ == "__main__":
    main()
