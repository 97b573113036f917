"""What the chat model must reply when it makes a quiz question, checks one or grades a
short answer (pydantic schemas for Ollama's JSON-schema structured output), and how a
question it made becomes a `Question`.

No model is called here (`graphs/quiz/model.py` does, through `tutor.llm.ask_structured`).
Nothing a model says is trusted without validation, and the learner's memory only ever
sees the resulting booleans (supported, correct), never the model's prose.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tutor.quiz.questions import TRUE_FALSE, Question, QuestionKind
from tutor.text import strip_control

MAX_ATTEMPTS = 3
"""A reply that does not validate, or a question that breaks its kind's rules, is asked
for again at most this many times."""


class GeneratedQuestion(BaseModel):
    """What the model must return for a new question."""

    question: str = Field(min_length=10, max_length=600)
    options: list[str] = Field(default_factory=list, max_length=4)
    answer: str = Field(min_length=1, max_length=300)
    explanation: str = Field(min_length=5, max_length=600)


class SupportVerdict(BaseModel):
    supported: bool
    reason: str = ""


class ShortAnswerVerdict(BaseModel):
    correct: bool
    feedback: str = ""


def as_question(
    made: GeneratedQuestion, kind: QuestionKind, *, topic: str, chunk_id: str, source: str
) -> Question | None:
    """The model's question in the tutor's shape, or None if it breaks the kind's rules."""
    clean = [_one_line(o) for o in made.options]
    answer = _one_line(made.answer)
    if kind == "tf":
        answer = answer.capitalize()
        clean = TRUE_FALSE
        if answer not in TRUE_FALSE:
            return None
    elif kind == "mc":
        if len(clean) != 4 or answer not in clean:
            return None
    else:
        clean = []
    return Question(
        kind=kind,
        prompt=_one_line(made.question),
        options=clean,
        answer=answer,
        explanation=_one_line(made.explanation),
        topic=topic,
        chunk_id=chunk_id,
        source=source,
        origin="ollama",
    )


def _one_line(text: str) -> str:
    return " ".join(strip_control(text).split())
