"""The quiz graph's state: the quiz's settings, what has been asked, and the results.

Everything here is plain data (the TypedDicts below are dicts at run time), so a
checkpoint needs no custom types to be read back, and checkpoints written before these
types existed load unchanged.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, NotRequired, TypedDict

from graphs.chat.state import PassageRef
from tutor.learner.scheduling import Confidence
from tutor.quiz.questions import Origin, QuestionKind

Kind = Literal["mc", "tf", "short", "cloze", "mixed"]
PickReason = Literal["review", "weak", "new", "named", "exam", "practice", "forecast"]
REASON_WORDS: dict[str, str] = {
    "review": "due for review",
    "weak": "a weak topic",
    "new": "not tried yet",
    "forecast": "raises your exam forecast",
}
"""Why a question's topic came next, as the quiz shows it (other reasons go unsaid)."""
Ended = Literal["done", "stopped", "no material"]


class QuizInput(TypedDict):
    """How a quiz is started."""

    n: NotRequired[int]
    kind: NotRequired[Kind]
    topic: NotRequired[str | None]
    """A topic id to stay on; None picks by due reviews and weakness."""
    exam: NotRequired[bool]
    """Exam simulation: questions spread over topics by weight, feedback only at the end."""
    focus: NotRequired[list[str]]
    """A quiz aimed at the exam: the topics to ask about while they have questions (those
    of the objectives whose study raises the readiness forecast most)."""
    focus_passages: NotRequired[list[str]]
    """Those objectives' passages (chunk ids), asked from first."""
    seed: NotRequired[int]


class QuestionState(TypedDict):
    """A question as the state keeps it: `Question.model_dump()`, answer key included."""

    kind: QuestionKind
    prompt: str
    options: list[str]
    answer: str
    explanation: str
    topic: str
    chunk_id: str
    source: str
    """The citation of the question's passage."""
    origin: Origin
    sentence: NotRequired[str]
    """The sentence of the material it was made from ("" for a model's question; absent
    in questions checkpointed before it was recorded)."""


class ShownQuestion(TypedDict):
    """The question as `ask` shows it (the interrupt's value): never its answer."""

    number: int
    """1-based position in the quiz."""
    total: int
    kind: QuestionKind
    question: str
    options: list[str]
    topic: str
    topic_title: str
    reason: PickReason | None
    """Why this topic came next."""
    exam: bool


class Reply(TypedDict, total=False):
    """The learner's reply that resumes `ask`: an answer, a request to stop, or a flag
    that a question is bad."""

    answer: str
    confidence: Confidence | None
    stop: bool
    """End the quiz now; the summary covers what was answered."""
    bad: bool
    """The question is bad: retire it for this learner instead of grading an answer."""
    why: str | None
    """The learner's reason for `bad`, if given."""
    previous: bool
    """With `bad`: the question just graded is the bad one, not the waiting one."""


class GradedResult(TypedDict):
    """One graded answer (an entry of `results`, what `tutor quiz --json` prints)."""

    topic: str
    kind: QuestionKind
    question: str
    options: list[str]
    answer_given: str
    """The answer as recorded: cleaned and cut to `MAX_GIVEN_CHARS`."""
    correct: bool
    key: str
    explanation: str
    source: str
    """The citation of the question's passage."""
    confidence: Confidence | None
    made_offline: NotRequired[bool]
    """Made offline because Ollama went away (absent in results of older quizzes)."""
    reason: NotRequired[str]
    """One line for the learner: why the answer is right or wrong (absent in results of
    older quizzes)."""
    section: NotRequired[str | None]
    """An exam planned by the blueprint: the section the question counts for."""


Basis = Literal["passages", "topics"]


class SectionPool(TypedDict):
    """What a section's questions are drawn from."""

    basis: Basis
    """"passages": passages supporting its objectives; "topics": its objectives' topics."""
    topics: dict[str, int]
    """Topic id -> passages of the section's material carrying it."""
    passages: list[str]
    """Chunk ids of the passages supporting its objectives (empty for "topics")."""
    linked: NotRequired[list[str]]
    """The topics its objectives name: only these are asked beyond its own passages."""


class SectionScore(TypedDict):
    """A blueprint section's line in an exam's summary."""

    id: str
    title: str
    weight: float
    """Percent of the real exam."""
    questions: int
    correct: int
    basis: Basis


class TopicScore(TypedDict):
    """A topic's line in the summary."""

    topic: str
    title: str
    right: int
    total: int


class WeakTopic(TypedDict):
    topic: str
    title: str


class QuizSummary(TypedDict):
    """The quiz's report once it has ended."""

    ended: Ended
    asked: int
    """Questions answered."""
    planned: int
    correct: int
    per_topic: list[TopicScore]
    """Weakest score first."""
    weakest_topics: list[WeakTopic]
    """The learner's weakest topics overall, after this quiz."""
    review: list[str]
    """Citations of the passages behind wrong answers, each once."""
    retired: NotRequired[int]
    """Questions the learner flagged as bad in this quiz (absent in older summaries)."""
    topic: NotRequired[str | None]
    """The topic the quiz stayed on, if it was given one (absent in older summaries)."""
    rejected: int
    fallbacks: int
    made_offline: int
    """Answered questions made offline because Ollama went away during the quiz."""
    offline_reason: str | None
    offline_notice: str | None
    """One line saying how many questions were made offline and why, or None."""
    sections: NotRequired[list[SectionScore]]
    """An exam planned by the blueprint: its score per section, in blueprint order."""
    unexamined: NotRequired[list[WeakTopic]]
    """Sections the material has nothing on (`topic` holds the section id)."""
    pass_mark: NotRequired[float]
    """The share of questions the real exam asks for (from the blueprint)."""


class OllamaGone(TypedDict):
    """Ollama went away during the quiz: why, and in which process."""

    reason: str
    process: str
    """`graphs.quiz.graph.PROCESS` of the process that met the outage."""


class QuizState(TypedDict, total=False):
    n: int
    kind: Kind
    topic: str | None
    exam: bool
    focus: list[str]
    focus_passages: list[str]
    seed: int
    plan: list[str]
    """Exam mode: the topic of each question slot, decided up front."""
    plan_sections: list[str]
    """Exam mode with a blueprint: the section of each slot."""
    pools: dict[str, SectionPool]
    """Exam mode with a blueprint: what each examined section's questions come from."""
    unexamined: list[str]
    """Exam mode with a blueprint: the sections the material has nothing on."""
    pass_mark: float
    asked: list[str]
    """Ids of the questions asked so far (none is asked twice in a quiz)."""
    used_chunks: list[str]
    used_sentences: list[str]
    """`sentence_id`s of the sentences of the material asked about (or rejected) in this
    quiz: one sentence yields at most one question per quiz."""
    current: QuestionState | None
    """The question being asked, or being checked before it is."""
    passage: str
    """The text of the current question's passage (what verification and grading use)."""
    pending_topic: str
    pending_passage: PassageRef
    """The passage picked to make the next question from."""
    exhausted: list[str]
    """Topics with no usable question left in this quiz; picks skip them."""
    repick: bool
    """Set when the current topic ran dry: the next step picks again."""
    reason: PickReason
    attempts: int
    """Generation attempts for the current slot."""
    rejected: int
    """Questions that failed verification and were never shown."""
    fallbacks: int
    """Slots where the model failed and the offline generator stepped in."""
    reply: Reply | None
    graded: GradedResult | None
    """The answer just graded (None when the learner stopped instead)."""
    results: Annotated[list[GradedResult], operator.add]
    """One entry per graded question, in order."""
    ended: Ended | None
    """Set when the quiz must end early (no material left); `finish` then sums it up."""
    summary: QuizSummary | None
    ollama_gone: OllamaGone | None
    """Set once Ollama went away during the quiz."""
    made_offline: bool
    """Whether the current question was made offline because Ollama went away."""
    retired: list[str]
    """Ids of the questions this learner retired (flagged as bad): never asked again."""
    retired_now: str | None
    """The question `ask` just retired, if its last reply was a "bad question"."""
    flagged: int
    """Questions retired during this quiz."""
