"""Quiz questions and graded answers for the learner tests."""

from __future__ import annotations

from tutor.learner.records import GradedAnswer
from tutor.learner.scheduling import rating_for
from tutor.quiz.questions import Question

T0 = 1_800_000_000.0


def question(n: int = 1, topic: str = "rlhf") -> Question:
    return Question(
        kind="cloze",
        prompt=f"Reinforcement learning with human _____ aligns outputs ({n}).",
        answer="feedback",
        explanation='The material says: "RLHF aligns outputs with human feedback."',
        topic=topic,
        chunk_id=f"chunk{n}",
        source="guide.md § RLHF (line 159)",
    )


def graded(q: Question, correct: bool, at: float, key: str | None = None) -> GradedAnswer:
    return GradedAnswer(
        learner="ann",
        question=q,
        given="feedback" if correct else "reward",
        correct=correct,
        rating=rating_for(correct),
        at=at,
        key=key or f"quiz:{q.id}:{at}",
        session="quiz-1",
    )
