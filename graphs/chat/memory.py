"""The memory node's rules: which learner events a finished turn records. Pure: the node
(`remember` in `graphs/chat/graph.py`) writes what this decides.

A question answered from the material counts as "asked" for the topics it was about; a
graded check counts as right or wrong for its topic; nothing else is recorded. Only routes,
passage metadata and grades are read, never model text, so neither the corpus nor a model
can write to the memory. Keys are session + turn number (a check: + its question), so a
turn re-run after a crash records nothing twice.
"""

from __future__ import annotations

import hashlib

from graphs.chat.state import TutorState
from tutor.learner.records import LearnerEvent, turn_prefix

ANSWERED_ROUTES = ("question", "follow_up")
"""Routes whose turn retrieves and answers from the material."""
MAX_RECORDED_QUESTION = 500


def turn_events(
    state: TutorState, *, learner: str, session: str, turn: int, at: float
) -> list[LearnerEvent]:
    """The events turn number `turn` of `session` records for `learner`."""
    prefix = turn_prefix(session, turn)
    events: list[LearnerEvent] = []
    passages = state.get("passages", [])
    if state["route"] in ANSWERED_ROUTES and passages:
        events += [
            LearnerEvent(
                learner=learner,
                topic=topic,
                kind="asked",
                at=at,
                question=state["question"][:MAX_RECORDED_QUESTION],
                source=passages[0]["citation"],
                session=session,
                key=f"{prefix}asked:{topic}",
            )
            for topic in state.get("topics", [])
        ]
    grade = state.get("grade")
    if grade and grade["result"] in ("right", "wrong"):
        prompt = (state.get("pending_check") or {}).get("prompt", "")
        events.append(
            LearnerEvent(
                learner=learner,
                topic=grade["topic"],
                kind=grade["result"],
                at=at,
                question=prompt,
                source=grade["source"],
                session=session,
                key=f"{prefix}check:{_digest(prompt)}",
            )
        )
    return events


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
