"""Quiz answers, review cards and retired questions in ``learner.sqlite``: the quiz half of
`LearnerStore`, over the SQL in `tutor.learner.reviews`."""

from __future__ import annotations

import time

from tutor.learner import reviews
from tutor.learner.database import LearnerDatabase
from tutor.learner.records import GradedAnswer
from tutor.quiz.questions import Question


class QuizRecords(LearnerDatabase):
    """What the quiz writes and reads: graded answers, FSRS cards, retired questions."""

    def record_answer(self, answer: GradedAnswer) -> bool:
        """Store a graded quiz answer, its right/wrong event and the question's next review,
        all in one transaction. False (and nothing changed) if its key was stored before:
        an answer is never counted twice, and a crash before the commit loses nothing that
        a re-run will not write."""
        with self._writing() as db:
            return reviews.write_answer(db, answer)

    def due_questions(
        self, learner: str, now: float | None = None, limit: int = 50
    ) -> list[tuple[Question, float]]:
        """Questions whose review is due, most overdue first, with their due time."""
        now = time.time() if now is None else now
        with self._lock:
            return reviews.due_questions(self._db, learner, now, limit)

    def due_counts(self, learner: str, now: float | None = None) -> dict[str, int]:
        """Per topic, how many question reviews are due by `now` (topics with none left out)."""
        now = time.time() if now is None else now
        with self._lock:
            return reviews.due_counts(self._db, learner, now)

    def next_reviews(self, learner: str) -> dict[str, float]:
        """Per topic, when its earliest question review is due."""
        with self._lock:
            return reviews.next_reviews(self._db, learner)

    def card_state(self, learner: str, question_id: str) -> tuple[float, int, int] | None:
        """(due, reviews, lapses) of a learner's card for a question, if any."""
        with self._lock:
            return reviews.card_state(self._db, learner, question_id)

    def answered_questions(self, learner: str) -> list[tuple[Question, int, int]]:
        """Every question the learner answered, with how often right and wrong."""
        with self._lock:
            return reviews.answered_questions(self._db, learner)

    def event_passages(self, learner: str) -> dict[str, str]:
        """Per event key, the passage of the quiz question that event graded."""
        with self._lock:
            return reviews.event_passages(self._db, learner)

    def passage_cards(self, learner: str) -> list[tuple[str, str, str]]:
        """(chunk id, topic, card JSON) of each of the learner's review cards."""
        with self._lock:
            return reviews.passage_cards(self._db, learner)

    def retire(
        self,
        learner: str,
        question_id: str,
        *,
        reason: str | None = None,
        quiz: str | None = None,
        at: float | None = None,
    ) -> bool:
        """The learner flagged a question as bad: it is never asked to them again, its
        review card goes, and its answers stay stored but no longer count towards mastery.
        Logged with the time, the learner's reason and the quiz. False if it was retired
        already (nothing changes)."""
        at = time.time() if at is None else at
        with self._writing() as db:
            return reviews.retire(db, learner, question_id, at, reason, quiz)

    def retired_ids(self, learner: str) -> set[str]:
        """The ids of the questions the learner retired."""
        with self._lock:
            return reviews.retired_ids(self._db, learner)

    def recorded_topics(self, question_ids: list[str]) -> dict[str, str]:
        """The topic each question was first recorded under (its answers and card stay
        there); ids never recorded are left out."""
        with self._lock:
            return reviews.recorded_topics(self._db, list(question_ids))
