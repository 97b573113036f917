"""The learner says a question is bad: the quiz graph's `ask` hands the reply here. The
question is retired for that learner (`LearnerStore.retire`: never asked to them again,
its review card dropped, its answers kept but no longer counted, logged with the reason
and the quiz) and the quiz goes on."""

from __future__ import annotations

from graphs.context import TutorContext
from graphs.quiz.state import QuizState
from tutor.quiz.grading import MAX_GIVEN_CHARS


def retire(state: QuizState, ctx: TutorContext, current: str, reply: dict, quiz: str) -> dict:
    """The state update for a "bad question" reply to `ask`: it retires the waiting
    question (`current`), which makes way for the next one; or with "previous" the one
    just graded, and the waiting one is asked again. Nothing is retired when "previous"
    comes before any answer."""
    asked = state.get("asked", [])
    previous = bool(reply.get("previous"))
    target = (asked[-1] if asked and state.get("results") else None) if previous else current
    why = " ".join(str(reply.get("why") or "").split())[:MAX_GIVEN_CHARS] or None
    update: dict = {"reply": None, "retired_now": None}
    if target is None:
        return update
    ctx.learner_store.retire(ctx.learner_name, target, reason=why, quiz=quiz)
    retired = sorted({*state.get("retired", []), target})
    update.update(retired=retired, retired_now=target, flagged=state.get("flagged", 0) + 1)
    if not previous:
        update.update(current=None, attempts=0)
    return update
