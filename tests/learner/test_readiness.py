"""The readiness forecast: direction of every kind of evidence, the band, p_pass, what to
study next, and the shape of its output."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.learner.readiness import (
    DAY,
    Answer,
    Forecast,
    ObjectiveEvidence,
    SectionSpec,
    forecast,
)
from tutor.learner.scheduling import rating_for, review

NOW = 1_780_000_000.0
EXAM = NOW + 30 * DAY

# The shipped blueprint's shape: six sections, 56 objectives.
SHAPE = [("design", 14, 6), ("data", 14, 8), ("dev", 30, 13), ("deploy", 22, 15)]
SHAPE += [("gov", 8, 5), ("eval", 12, 9)]
SECTIONS = [
    SectionSpec(name, weight, tuple(f"{name}.{i}" for i in range(1, count + 1)))
    for name, weight, count in SHAPE
]
ALL = [oid for s in SECTIONS for oid in s.objectives]


def run(
    evidence: dict[str, ObjectiveEvidence] | None = None,
    sections: list[SectionSpec] | None = None,
    **kw,
) -> Forecast:
    args = {
        "now": NOW,
        "exam_at": EXAM,
        "exam_date": "2026-05-28",
        "pass_mark": 0.7,
        "questions": 45,
    }
    args.update(kw)
    return forecast(sections or SECTIONS, evidence or {}, **args)  # type: ignore[arg-type]


def answers(right: int, wrong: int, days_ago: float = 1.0, weight: float = 1.0):
    at = NOW - days_ago * DAY
    return tuple(Answer(True, at, weight) for _ in range(right)) + tuple(
        Answer(False, at, weight) for _ in range(wrong)
    )


def card(*results: bool, start_days_ago: float = 20.0, every_days: float = 4.0) -> str:
    """A real FSRS card reviewed once per result, `every_days` apart."""
    card_json: str | None = None
    at = NOW - start_days_ago * DAY
    for correct in results:
        card_json, _due = review(card_json, rating_for(correct), at)
        at += every_days * DAY
    assert card_json is not None
    return card_json


def studied(share_right: float, per_objective: int = 4, objectives=ALL) -> dict:
    """Evidence on every objective: `per_objective` answers, about `share_right` of them
    right, spread over the last weeks."""
    evidence = {}
    for n, oid in enumerate(objectives):
        got = []
        for i in range(per_objective):
            correct = (n * per_objective + i) % 100 < share_right * 100
            got.append(Answer(correct, NOW - (i + 1) * 3 * DAY))
        evidence[oid] = ObjectiveEvidence(tuple(got))
    return evidence


def with_answer(evidence: dict, oid: str, answer: Answer) -> dict:
    old = evidence.get(oid, ObjectiveEvidence())
    return {**evidence, oid: ObjectiveEvidence((*old.answers, answer), old.cards)}


# --- direction of the evidence ----------------------------------------------------------


@pytest.mark.parametrize(
    "base",
    [{}, studied(0.5, 2), studied(0.9, 3), {"dev.1": ObjectiveEvidence(answers(3, 5))}],
    ids=["fresh", "half right", "mostly right", "one weak objective"],
)
@pytest.mark.parametrize("oid", ["dev.1", "gov.5"])
def test_a_right_answer_raises_the_forecast_and_a_wrong_one_lowers_it(base, oid):
    before = run(base).predicted
    assert run(with_answer(base, oid, Answer(True, NOW))).predicted > before
    assert run(with_answer(base, oid, Answer(False, NOW))).predicted < before


def test_linked_and_old_answers_count_for_less():
    base = run().predicted
    own = run({"dev.1": ObjectiveEvidence(answers(5, 0))}).predicted
    linked = run({"dev.1": ObjectiveEvidence(answers(5, 0, weight=0.5))}).predicted
    old = run({"dev.1": ObjectiveEvidence(answers(5, 0, days_ago=90))}).predicted
    # half the weight, or 90 days (three half-lives) old: clearly less than a fresh answer
    assert base < linked and linked - base < 0.8 * (own - base)
    assert base < old and old - base < 0.5 * (own - base)


def test_answers_on_some_objectives_move_the_prior_of_the_others():
    """The learner-level ability is shared: right answers in one section raise the
    forecast for a section with no answers at all, wrong ones lower it."""
    good = {oid: ObjectiveEvidence(answers(5, 0)) for oid in SECTIONS[2].objectives}
    poor = {oid: ObjectiveEvidence(answers(0, 5)) for oid in SECTIONS[2].objectives}
    fresh_gov = run().sections[4].predicted
    assert run(good).sections[4].predicted > fresh_gov + 0.05
    assert run(poor).sections[4].predicted < fresh_gov - 0.05
    assert run(good).sections[4].answers == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ALL[:8]), st.booleans(), st.floats(0, 60), st.sampled_from([0.5, 1])
        ),
        max_size=30,
    ),
    st.sampled_from(ALL[:8]),
    st.floats(0, 60),
)
def test_monotone_in_every_answer(history, oid, days_ago):
    base: dict[str, ObjectiveEvidence] = {}
    for where, correct, ago, weight in history:
        base = with_answer(base, where, Answer(correct, NOW - ago * DAY, weight))
    before = run(base).predicted
    at = NOW - days_ago * DAY
    assert run(with_answer(base, oid, Answer(True, at))).predicted >= before
    assert run(with_answer(base, oid, Answer(False, at))).predicted <= before


# --- forgetting to the exam date --------------------------------------------------------


def test_a_later_exam_without_more_study_never_raises_the_forecast():
    evidence = studied(0.8)
    near = run(evidence, exam_at=NOW + 7 * DAY).predicted
    far = run(evidence, exam_at=NOW + 90 * DAY).predicted
    assert far == pytest.approx(near)  # no cards: nothing known about forgetting


def test_with_cards_a_later_exam_lowers_the_forecast():
    evidence = {
        oid: ObjectiveEvidence(answers(3, 1), (card(True, True, False, True),)) for oid in ALL
    }
    days = [0, 7, 30, 90, 365]
    got = [run(evidence, exam_at=NOW + d * DAY).predicted for d in days]
    assert got == sorted(got, reverse=True)
    assert got[0] > got[2] > got[4]


def test_well_reviewed_cards_forecast_more_than_lapsed_ones():
    """Same answers; cards whose reviews went well keep more knowledge to the exam."""
    strong = {oid: ObjectiveEvidence(answers(3, 1), (card(True, True, True),)) for oid in ALL}
    weak = {oid: ObjectiveEvidence(answers(3, 1), (card(False, False),)) for oid in ALL}
    assert run(strong).predicted > run(weak).predicted


def test_an_exam_before_now_is_taken_as_now():
    evidence = {
        oid: ObjectiveEvidence(answers(2, 1), (card(True, False, start_days_ago=40),))
        for oid in ALL[:20]
    }
    past = run(evidence, exam_at=NOW - 10 * DAY)
    today = run(evidence, exam_at=NOW)
    assert past.to_dict() == today.to_dict()
    assert past.predicted > run(evidence, exam_at=NOW + 60 * DAY).predicted


def test_unreadable_and_unreviewed_cards_are_ignored():
    from fsrs import Card

    answered = {"dev.1": ObjectiveEvidence(answers(2, 1))}
    odd = {"dev.1": ObjectiveEvidence(answers(2, 1), ("not json", Card().to_json()))}
    assert run(odd).to_dict() == run(answered).to_dict()


# --- the band and p_pass ----------------------------------------------------------------


def test_a_fresh_learner_gets_a_wide_band():
    fresh = run()
    assert fresh.answers == 0
    assert fresh.high - fresh.low >= 0.35
    assert fresh.low <= 0.42 and fresh.high >= 0.75
    assert fresh.low < fresh.predicted < fresh.high


def test_the_band_narrows_as_evidence_accumulates():
    widths = [
        run(e).high - run(e).low
        for e in ({}, studied(0.75, 1, ALL[::4]), studied(0.75, 2), studied(0.75, 8))
    ]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] < 0.6 * widths[0]
    assert len(set(widths)) == 4


def test_low_predicted_high_and_p_pass_stay_in_order_and_in_range():
    for evidence in ({}, studied(0.0, 6), studied(1.0, 6), studied(0.6, 3)):
        got = run(evidence)
        assert 0.0 <= got.low <= got.predicted <= got.high <= 1.0
        assert 0.0 <= got.p_pass <= 1.0


def test_p_pass_rises_with_right_answers_and_falls_with_wrong_ones():
    fresh = run().p_pass
    right = studied(0.95, 5)
    no_cards = run(right).p_pass
    reviewed = card(True, True, True, True, start_days_ago=30, every_days=7)
    strong = run({k: ObjectiveEvidence(e.answers, (reviewed,)) for k, e in right.items()}).p_pass
    weak = run(studied(0.4, 5)).p_pass
    assert weak < fresh < no_cards < strong
    assert strong > 0.9 and weak < 0.05


def test_p_pass_counts_the_noise_of_a_short_exam():
    """A learner forecast just above the pass mark passes a long exam more surely than a
    short one, and a learner just below it passes a short one more often."""
    above = studied(0.97, 6)
    assert run(above).predicted > 0.7
    assert run(above, questions=200).p_pass > run(above, questions=10).p_pass
    below = studied(0.7, 6)
    assert run(below).predicted < 0.7
    assert run(below, questions=10).p_pass > run(below, questions=200).p_pass


def test_the_same_input_gives_the_same_forecast():
    assert run(studied(0.7, 3)) == run(studied(0.7, 3))


def test_fast_enough_for_the_blueprint_and_500_answers():
    evidence = {
        oid: ObjectiveEvidence(answers(6, 3), tuple(card(True, False) for _ in range(4)))
        for oid in ALL
    }
    assert sum(len(e.answers) for e in evidence.values()) >= 500
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        run(evidence)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.05


# --- sections, study_next, output -------------------------------------------------------


def test_predicted_is_the_weighted_sum_of_the_sections():
    evidence = {**studied(0.9, 4, SECTIONS[0].objectives), **studied(0.3, 4, ALL[20:30])}
    got = run(evidence)
    assert got.predicted == pytest.approx(
        sum(s.weight / 100 * s.predicted for s in got.sections), abs=1e-9
    )
    assert got.sections[0].predicted > got.sections[1].predicted
    assert [s.answers for s in got.sections] == [24, 0, 28, 12, 0, 0]
    assert got.answers == 64


def test_a_section_without_objectives_still_counts():
    sections = [SectionSpec("a", 60, ("a.1",)), SectionSpec("b", 40, ())]
    got = run({"a.1": ObjectiveEvidence(answers(8, 0))}, sections=sections)
    assert got.sections[1].predicted > 0
    assert got.predicted == pytest.approx(
        0.6 * got.sections[0].predicted + 0.4 * got.sections[1].predicted
    )
    assert got.study_next == ("a.1",)


def test_study_next_prefers_a_heavy_sections_weak_objective():
    sections = [SectionSpec("heavy", 70, ("h.1", "h.2")), SectionSpec("light", 30, ("l.1", "l.2"))]
    evidence = {
        "h.1": ObjectiveEvidence(answers(9, 1)),
        "h.2": ObjectiveEvidence(answers(2, 6)),
        "l.1": ObjectiveEvidence(answers(9, 1)),
        "l.2": ObjectiveEvidence(answers(1, 7)),
    }
    got = run(evidence, sections=sections)
    assert got.study_next[0] == "h.2"
    assert "l.1" not in got.study_next
    pair = run(evidence, sections=sections, studyable={"l.1", "h.2"})
    assert pair.study_next == ("h.2", "l.1")
    assert run(evidence, sections=sections, studyable={"l.1", "l.2"}).study_next == ("l.2", "l.1")
    assert run(evidence, sections=sections, studyable=set()).study_next[0] == "h.2"


def test_study_next_picks_up_to_three_from_studyable_ties_by_evidence_then_id():
    fresh = run()
    # all equally unknown: the heaviest per objective is design (14% / 6), then dev (30% / 13)
    assert fresh.study_next == ("design.1", "design.2", "design.3")
    assert run(studyable={"dev.2", "data.1", "dev.1"}).study_next == ("dev.1", "dev.2", "data.1")
    some = run(studyable={"gov.2", "gov.1", "eval.3", "nothing"})
    assert some.study_next == ("gov.1", "gov.2", "eval.3")
    assert run(studyable={"nothing"}).study_next == ()
    # equal standing, fewer answers first: an answer of weight 0 moves nothing but counts
    tied = run({"dev.1": ObjectiveEvidence(answers(1, 0, weight=0.0))}, studyable=ALL[14:27])
    assert tied.study_next == ("dev.10", "dev.11", "dev.12")
    assert tied.sections[2].answers == 1


def test_to_dict_has_exactly_the_documented_keys_rounded():
    got = run(studied(0.7, 3), studyable={"dev.3"}).to_dict()
    assert list(got) == [
        "exam_date",
        "predicted",
        "low",
        "high",
        "pass_mark",
        "p_pass",
        "sections",
        "study_next",
    ]
    assert got["exam_date"] == "2026-05-28"
    assert got["study_next"] == ["dev.3"]
    assert [s["id"] for s in got["sections"]] == [s.id for s in SECTIONS]
    for section in got["sections"]:
        assert list(section) == ["id", "weight", "predicted", "answers"]
        assert 0.0 <= section["predicted"] <= 1.0
        assert section["predicted"] == round(section["predicted"], 3)
    for key in ("predicted", "low", "high", "pass_mark", "p_pass"):
        assert 0.0 <= got[key] <= 1.0
        assert got[key] == round(got[key], 3)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        run(questions=0)
    with pytest.raises(ValueError):
        run(sections=[SectionSpec("a", 0, ("a.1",))])
