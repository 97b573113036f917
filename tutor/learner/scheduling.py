"""When each quiz question comes back: FSRS review scheduling, wrapped for the tutor.

The `fsrs` package does the scheduling; this module only maps a graded answer (and the
learner's optional confidence) to an FSRS rating, and a card to and from the JSON the
learner store keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fsrs import Card, Rating, Scheduler

Confidence = Literal["sure", "unsure"]

# Fuzzing spreads due dates randomly; one learner's reviews don't bunch up enough to need
# it, and without it a schedule can be checked exactly.
_SCHEDULER = Scheduler(enable_fuzzing=False)


def rating_for(correct: bool, confidence: Confidence | None = None) -> Rating:
    """Wrong is Again whatever the confidence; right is Good, Easy when sure, Hard when
    unsure (a lucky guess should come back sooner)."""
    if not correct:
        return Rating.Again
    if confidence == "sure":
        return Rating.Easy
    if confidence == "unsure":
        return Rating.Hard
    return Rating.Good


def review(card_json: str | None, rating: Rating, at: float) -> tuple[str, float]:
    """The card after this review, as JSON, and its next due time (Unix seconds)."""
    card = Card.from_json(card_json) if card_json else Card()
    when = datetime.fromtimestamp(at, tz=UTC)
    card, _log = _SCHEDULER.review_card(card, rating, review_datetime=when)
    return card.to_json(), card.due.timestamp()


def when_due(due: float | None, now: float) -> str:
    """A review time as the learner reads it: "due now", "in 20 min", "in 5 h", "in 3 days"."""
    if due is None:
        return ""
    if due <= now:
        return "due now"
    hours = (due - now) / 3600
    if hours < 1:
        return f"in {max(1, round(hours * 60))} min"
    return f"in {round(hours)} h" if hours < 36 else f"in {round(hours / 24)} days"
