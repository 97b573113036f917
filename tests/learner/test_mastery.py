"""The mastery model on known sequences: exact values from its documented formula."""

from __future__ import annotations

import itertools

import pytest

from tutor.learner.mastery import (
    ASK_CAP,
    ASK_WEIGHT,
    DAY,
    HALF_LIFE_DAYS,
    Evidence,
    Mastery,
    decay,
    estimate,
    weakness_reason,
)

NOW = 1_750_000_000.0


def ev(kind: str, days_ago: float = 0.0) -> Evidence:
    return Evidence(kind, NOW - days_ago * DAY)  # type: ignore[arg-type]


def mastery_of(*kinds: str) -> float:
    return estimate([ev(kind) for kind in kinds], NOW).mastery


def test_nothing_known_is_the_uniform_prior():
    assert estimate([], NOW) == Mastery(0.5, 0.0, 0, 0, 0, None)


def test_right_answers_raise_mastery_wrong_ones_lower_it():
    assert mastery_of("right") == 2 / 3
    assert mastery_of("right", "right") == 3 / 4
    assert mastery_of("right", "right", "right") == 4 / 5
    assert mastery_of("wrong") == 1 / 3
    assert mastery_of("wrong", "wrong") == 1 / 4
    assert mastery_of("right", "wrong") == 1 / 2
    m = estimate([ev("right"), ev("wrong", 1), ev("right", 2)], NOW)
    assert (m.attempts, m.correct, m.wrong, m.asked) == (3, 2, 1, 0)
    assert m.last_seen == NOW


def test_asking_lowers_mastery_a_little():
    assert mastery_of("asked") == pytest.approx(1 / (2 + ASK_WEIGHT))
    assert mastery_of("asked", "asked", "asked") == pytest.approx(1 / (2 + 3 * ASK_WEIGHT))
    assert mastery_of("wrong") < mastery_of("asked", "asked") < mastery_of("asked") < 0.5
    m = estimate([ev("asked"), ev("asked")], NOW)
    assert (m.attempts, m.correct, m.asked) == (0, 0, 2)
    assert m.evidence == pytest.approx(2 * ASK_WEIGHT)


def test_one_right_answer_outweighs_several_questions():
    assert mastery_of("right", *["asked"] * 4) > 0.5
    # questions are capped at one wrong answer's worth, so they never outweigh it
    assert mastery_of("right", *["asked"] * 50) == 0.5


def test_questions_never_count_for_more_than_a_wrong_answer():
    assert ASK_CAP == 1.0
    assert mastery_of(*["asked"] * 5) == 1 / 3 == mastery_of("wrong")
    assert mastery_of(*["asked"] * 30) == 1 / 3


def test_evidence_weight_halves_every_half_life():
    assert HALF_LIFE_DAYS == 14
    assert decay(NOW, NOW) == 1.0
    assert decay(NOW - 14 * DAY, NOW) == 0.5
    assert decay(NOW - 28 * DAY, NOW) == 0.25
    fortnight = estimate([ev("right", 14)], NOW)
    assert fortnight.evidence == 0.5
    assert fortnight.mastery == 1.5 / 2.5
    assert estimate([ev("right", 28)], NOW).mastery == 1.25 / 2.25
    assert estimate([ev("wrong", 14)], NOW).mastery == 1 / 2.5
    assert estimate([ev("asked", 14)], NOW).mastery == pytest.approx(1 / (2 + ASK_WEIGHT / 2))


def test_a_topic_left_alone_drifts_back_toward_unknown():
    drift = [estimate([ev("wrong", days)], NOW).mastery for days in (0, 7, 30, 90, 365)]
    assert drift == sorted(drift)
    assert drift[0] == 1 / 3
    assert drift[-1] == pytest.approx(0.5, abs=1e-6)
    strong = [estimate([ev("right", days)] * 3, NOW).mastery for days in (0, 30, 365)]
    assert strong == sorted(strong, reverse=True)
    assert strong[-1] == pytest.approx(0.5, abs=1e-6)
    # the counts and the last sighting do not fade
    old = estimate([ev("wrong", 365)], NOW)
    assert (old.attempts, old.last_seen) == (1, NOW - 365 * DAY)


def test_evidence_from_the_future_counts_as_fresh():
    assert estimate([Evidence("right", NOW + 3 * DAY)], NOW).mastery == 2 / 3


def test_order_of_events_does_not_matter():
    same_time = [ev("right"), ev("wrong"), ev("asked"), ev("right"), ev("asked")]
    results = {estimate(list(order), NOW) for order in itertools.permutations(same_time)}
    assert len(results) == 1
    spread = [ev("right", 3), ev("wrong", 1), ev("asked", 0.5), ev("right", 20), ev("asked", 9)]
    results = {estimate(list(order), NOW) for order in itertools.permutations(spread)}
    assert len(results) == 1


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown evidence kind"):
        estimate([Evidence("skipped", NOW)], NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([], "not started"),
        ([ev("asked", 0.2)], "asked about once, not yet checked, last seen today"),
        (
            [ev("asked", 1), ev("asked", 1.5)],
            "asked about twice, not yet checked, last seen yesterday",
        ),
        ([ev("asked", 5)] * 3, "asked about 3 times, not yet checked, last seen 5 days ago"),
        ([ev("right")], "1 of 1 checks right, last seen today"),
        (
            [ev("wrong", 4), ev("wrong", 6), ev("right", 9)],
            "2 of 3 checks wrong, last seen 4 days ago",
        ),
        ([ev("right", 2), ev("wrong", 3)], "1 of 2 checks wrong, last seen 2 days ago"),
        (
            [ev("right", 1), ev("right", 2), ev("wrong", 3), ev("asked")],
            "2 of 3 checks right, last seen today",
        ),
    ],
)
def test_reasons_read_naturally(events, reason):
    assert weakness_reason(estimate(events, NOW), NOW) == reason


def test_reason_days_count_whole_elapsed_days():
    def seen(hours_ago: float) -> str:
        return weakness_reason(estimate([Evidence("right", NOW - hours_ago * 3600)], NOW), NOW)

    assert seen(23.9).endswith("last seen today")
    assert seen(24).endswith("last seen yesterday")
    assert seen(47.9).endswith("last seen yesterday")
    assert seen(48).endswith("last seen 2 days ago")
    assert seen(-5).endswith("last seen today")  # a clock moved back
