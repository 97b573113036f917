"""The quiz's three questions to the chat model: make a question from a passage, check
that the passage supports it, and grade a short answer on meaning.

Each is a prompt from `graphs.prompts`, a reply schema from `tutor.quiz.generate` and
one `tutor.llm.ask_structured` call. They raise `MalformedReplyError` (no usable reply)
or `OllamaError` (the call itself failed); `graphs.quiz.policy.outage` says which of
those take the rest of the quiz offline.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from graphs.prompts import grading_request, question_request, support_request
from tutor.llm import MalformedReplyError, ask_structured
from tutor.quiz.generate import (
    MAX_ATTEMPTS,
    GeneratedQuestion,
    ShortAnswerVerdict,
    SupportVerdict,
    as_question,
)
from tutor.quiz.questions import Question, QuestionKind


def generate_question(
    model: BaseChatModel,
    passage: str,
    kind: QuestionKind,
    *,
    exam: str,
    topic: str,
    chunk_id: str,
    source: str,
) -> Question:
    """A new question of `kind` on the passage (a cloze is asked as a short answer)."""
    kind = "short" if kind == "cloze" else kind
    for _ in range(MAX_ATTEMPTS):
        made = ask_structured(
            model, GeneratedQuestion, *question_request(kind, passage, exam), attempts=MAX_ATTEMPTS
        )
        question = as_question(made, kind, topic=topic, chunk_id=chunk_id, source=source)
        if question is not None:
            return question
    raise MalformedReplyError(f"no well-formed {kind} question after {MAX_ATTEMPTS} tries")


def model_supports(model: BaseChatModel, question: Question, passage: str) -> bool:
    """Whether the model finds the question's key supported by the passage alone."""
    request = support_request(passage, question.prompt, question.options, question.answer)
    verdict = ask_structured(model, SupportVerdict, *request, attempts=MAX_ATTEMPTS)
    return verdict.supported


def model_grades_short(
    model: BaseChatModel, question: Question, reply: str, passage: str
) -> ShortAnswerVerdict:
    """The model's verdict on a short answer, judged against the key and the passage."""
    request = grading_request(passage, question.prompt, question.answer, reply)
    return ask_structured(model, ShortAnswerVerdict, *request, attempts=MAX_ATTEMPTS)
