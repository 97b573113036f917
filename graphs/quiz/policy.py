"""The quiz's decisions as pure functions: which topic and passage come next, how an exam
spreads its questions, which kind each question is, when the model is asked and when the
offline generator steps in, what counts as Ollama gone, where the graph goes after a
step, and the summary's arithmetic. The nodes in `graphs.quiz.graph` do the I/O and call
these; the tests call them directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal

from graphs.chat.state import PassageRef
from graphs.quiz.exam_plan import section_topics
from graphs.quiz.state import (
    Ended,
    GradedResult,
    OllamaGone,
    PickReason,
    QuizState,
    QuizSummary,
    TopicScore,
    WeakTopic,
)
from tutor.corpus.topics import Topic
from tutor.learner.records import TopicProgress
from tutor.llm import OllamaError
from tutor.quiz.cloze import reply_problem
from tutor.quiz.grading import MAX_GIVEN_CHARS
from tutor.quiz.questions import Question
from tutor.text import clean_typed

MODEL_ATTEMPTS = 3
"""Generation attempts per question by the model before the offline generator steps in."""
GIVE_UP_ATTEMPTS = 12
"""Attempts per slot after which the topic counts as dry: nothing usable is left in it."""
MIXED_KINDS = ("mc", "tf", "cloze")
"""What a mixed quiz rotates through offline; with a model, short answers replace cloze."""
DEFAULT_QUESTIONS = 5
OLLAMA_GONE = frozenset({"unreachable", "timeout", "model_missing"})
"""Failures every later call would meet too, so the rest of the quiz goes offline. A
malformed reply, a cut stream or a server error is one question's bad luck: the next
question asks the model again."""

Step = Literal["ask", "generate", "pick", "finish"]


# --- topics, passages and kinds ---------------------------------------------------------


def choose_topic(
    progress: list[TopicProgress], asked_in_quiz: Counter[str]
) -> tuple[str, Literal["weak", "new", "practice"]]:
    """The next topic: spread over topics first (fewest questions so far in this quiz),
    then weak topics (evidence, mastery under 0.5, weakest first), then topics never tried
    (in map order), then the rest by mastery."""

    def group(row: TopicProgress) -> int:
        if row.mastery.evidence > 0 and row.mastery.mastery < 0.5:
            return 0
        return 1 if row.mastery.evidence == 0 else 2

    order = {row.topic: i for i, row in enumerate(progress)}
    best = min(
        progress,
        key=lambda r: (
            asked_in_quiz[r.topic],
            group(r),
            r.mastery.mastery if group(r) != 1 else 0.0,
            order[r.topic],
        ),
    )
    return best.topic, ("weak", "new", "practice")[group(best)]


def next_topic(
    state: QuizState, progress: Callable[[], list[TopicProgress]]
) -> tuple[str, PickReason] | None:
    """The topic of the next question made fresh (a due review comes before it): the
    quiz's named topic, the exam's plan for this slot, else `choose_topic` over the
    learner's `progress` (read only when needed) less the topics that ran dry, kept to the
    quiz's `focus` topics while any of them is left. None when every topic has."""
    results = state.get("results", [])
    exhausted = set(state.get("exhausted", []))
    if state.get("topic"):
        return state["topic"], "named"
    plan = state.get("plan", []) if state.get("exam") else []
    planned = plan[len(results)] if len(results) < len(plan) else None
    if planned is not None and planned not in exhausted:
        return planned, "exam"
    sections = state.get("plan_sections", [])
    if planned is not None and len(results) < len(sections):
        # An exam by the blueprint stays on the exam: a dry topic's slot goes to another
        # topic of its section, else of another section; when all are dry, the exam ends.
        pools = state.get("pools", {})
        for section in dict.fromkeys([sections[len(results)], *pools]):
            others = section_topics(section, pools, exhausted)
            if others:
                return others[0], "exam"
        return None
    rows = [row for row in progress() if row.topic not in exhausted]
    # A mixed quiz runs a topic dry one kind at a time ("rlhf:mc"): skip the topics dry
    # for this slot's kind while others are not; when all are, any topic with questions
    # left will do (`generate` then asks another kind).
    rows = [row for row in rows if not dry_for_slot(state, row.topic, len(results))] or rows
    if not rows:
        return None
    asked = Counter(r["topic"] for r in results)
    # A quiz aimed at the exam keeps to its topics while they have questions.
    aimed = [row for row in rows if row.topic in state.get("focus", [])]
    if aimed and not state.get("exam"):
        return choose_topic(aimed, asked)[0], "forecast"
    topic, reason = choose_topic(rows, asked)
    return topic, "exam" if state.get("exam") else reason


def reviewable(question: Question, asked: set[str], topic: str | None) -> bool:
    """Whether a due question may be asked again now: not yet in this quiz, and on the
    quiz's topic if it has one."""
    return question.id not in asked and (not topic or question.topic == topic)


def choose_passage(
    found: Sequence[PassageRef],
    topic: str,
    used: set[str],
    *,
    reuse: bool = True,
    about: Collection[str] = (),
) -> PassageRef | None:
    """The best passage of `found` (in rank order) carrying `topic` (or one of the chunk
    ids `about` it) and not used in this quiz yet; with `reuse`, a used one when all are
    (another question can come from it). None when no passage is on the topic: a
    question is never made off its topic."""
    on_topic = [p for p in found if topic in p["topics"] or p["chunk_id"] in about]
    fresh = [p for p in on_topic if p["chunk_id"] not in used]
    choices = fresh or (on_topic if reuse else [])
    return choices[0] if choices else None


def on_topic_question(
    candidates: Sequence[Question],
    topic: str,
    passage_topics: Sequence[str],
    recorded: Mapping[str, str],
    topic_map: Sequence[Topic] = (),
) -> Question | None:
    """The first of a passage's `candidates` (best first) that is about `topic`, asked
    under it: one the offline generator gave that topic; else, on a passage carrying the
    topic, one whose topic was only the passage's default (its key is not a term of that
    topic) and whose sentence speaks of `topic` more than of any other (`sentence_topic`).
    A sentence about something else ("Similarly, retrieval-augmented generation unites
    …" in a paragraph on prompts) is not asked under `topic`; nor is a question
    `recorded` under another topic before (its card and answers are there)."""
    by_id = {t.id: t for t in topic_map}
    allowed = [q for q in candidates if recorded.get(q.id, topic) == topic]
    own = [q for q in allowed if q.topic == topic]
    shared = [
        q
        for q in allowed
        if q.topic != topic
        and topic in passage_topics
        and not (q.topic in by_id and by_id[q.topic].matches_heading(q.answer))
        and sentence_topic(q.prompt, topic_map) == topic
    ]
    for question in own + shared:
        return question.model_copy(update={"topic": topic})
    return None


def sentence_topic(sentence: str, topic_map: Sequence[Topic]) -> str | None:
    """The topic whose keywords the sentence uses most (the first in map order on a tie),
    or None when it uses none."""
    counts = [(t.mentions(sentence), -i, t.id) for i, t in enumerate(topic_map)]
    best = max(counts, default=(0, 0, None))
    return best[2] if best[0] > 0 else None


def kind_for(kind: str, number: int, with_model: bool) -> str:
    """The kind of question `number` (0-based): the quiz's kind, or for a mixed quiz the
    next in a rotation, which has short answers instead of cloze when a model can grade
    them on meaning."""
    if kind != "mixed":
        return kind
    rotation = ("mc", "tf", "short") if with_model else MIXED_KINDS
    return rotation[number % len(rotation)]


def offline_kinds(kind: str, number: int) -> list[str]:
    """The kinds an offline question `number` may take, best first: a mixed quiz tries the
    rotation's kind, then the others, so a passage with no item of one kind (the material
    is thin) still gives a question rather than ending the quiz early."""
    if kind != "mixed":
        return [kind]
    first = kind_for(kind, number, with_model=False)
    return [first, *(k for k in (*MIXED_KINDS, "short") if k != first)]


def picked(topic: str, reason: PickReason, passage: str, question: Question | None) -> dict:
    """The state update for a new slot: its topic and passage, and the question when it
    is a due review (else the question is made next)."""
    return {
        "pending_topic": topic,
        "reason": reason,
        "passage": passage,
        "current": question.model_dump() if question is not None else None,
        "attempts": 0,
        "made_offline": False,
        "repick": False,
    }


def dry_for_slot(state: QuizState, topic: str, number: int) -> bool:
    """Whether a mixed quiz found the topic dry for the kind of question `number`."""
    exhausted = set(state.get("exhausted", []))
    if topic in exhausted:
        return True
    if state.get("kind") != "mixed":
        return False
    kinds = {kind_for("mixed", number, with_model) for with_model in (False, True)}
    return any(f"{topic}:{kind}" in exhausted for kind in kinds)


def asks_another_kind(state: QuizState, topic: str, number: int, topics: list[str]) -> bool:
    """Whether an offline mixed quiz whose topic has no question of this slot's kind left
    asks one of another kind on it: when the topic is fixed (named, or the exam's plan),
    or when every other topic is dry for this kind too; else another topic is picked."""
    if state.get("kind") != "mixed":
        return False
    if state.get("topic") or state.get("exam"):
        return True
    return all(dry_for_slot(state, t, number) for t in topics if t != topic)


def dry_topic(state: QuizState, topic: str, kind: str | None = None) -> dict:
    """The state update for a topic with nothing usable left: another topic is picked,
    unless the quiz is on this one topic, which then ends."""
    if state.get("topic"):
        return {"current": None, "ended": "no material"}
    # A free mixed quiz: the topic is dry for this kind only; other kinds may come later.
    per_kind = kind and state.get("kind") == "mixed" and not state.get("exam")
    dry = f"{topic}:{kind}" if per_kind else topic
    return {
        "current": None,
        "exhausted": [*state.get("exhausted", []), dry],
        "repick": True,
        "attempts": 0,
    }


def gives_up(attempts: int) -> bool:
    """Whether the slot has been tried often enough to call its topic dry."""
    return attempts >= GIVE_UP_ATTEMPTS


# --- the model, and Ollama going away ---------------------------------------------------


def may_ask_model(gone: OllamaGone | None, process: str) -> bool:
    """Whether the quiz may ask the model now: not once Ollama has gone away during this
    quiz in this `process` (a quiz resumed by another process, often after `ollama
    serve`, asks again; one more failed call sends it offline again)."""
    return gone is None or gone.get("process") != process


def model_may_try(attempts: int) -> bool:
    """Whether this attempt at a question asks the model (else the offline generator)."""
    return attempts <= MODEL_ATTEMPTS


def went_away(error: Exception, process: str) -> dict:
    """The state update that takes the rest of the quiz offline, if `error` is one every
    later call would meet too (`OLLAMA_GONE`); else no update."""
    if isinstance(error, OllamaError) and error.kind in OLLAMA_GONE:
        return {"ollama_gone": OllamaGone(reason=str(error), process=process)}
    return {}


def made_offline(question: Question, configured: bool, withheld: bool, gone_now: bool) -> bool:
    """Whether a question counts as made offline because Ollama went away: an offline
    question in a quiz with a model `configured`, made while the model was `withheld`
    (gone earlier in this quiz) or because it went away just now."""
    return question.origin != "ollama" and configured and (withheld or gone_now)


def model_may_grade(question: Question, correct_by_rule: bool, answer: str) -> bool:
    """Whether a short answer the rules found wrong goes to the model: not one cut to
    MAX_GIVEN_CHARS, nor a paste or a list (the model would judge text the learner did not
    give, or find the key somewhere in it)."""
    if question.kind != "short" or correct_by_rule:
        return False
    text = clean_typed(answer)
    return len(text) <= MAX_GIVEN_CHARS and reply_problem(text, question.answer) is None


# --- where the graph goes ---------------------------------------------------------------


def has_ended(state: QuizState) -> bool:
    return state.get("ended") is not None or state.get("summary") is not None


def after_pick_or_verify(state: QuizState) -> Step:
    """After `pick` or `verify`: a question in hand (a due review, or one verified) goes
    to the learner; none means one is made (again); a topic with nothing usable left sends
    the quiz to another topic, or to its end when none has anything."""
    if has_ended(state):
        return "finish"
    if state.get("repick"):
        return "pick"
    return "ask" if state.get("current") else "generate"


def after_ask(state: QuizState) -> Literal["ask", "grade", "pick"]:
    """After `ask`: an answer (or a stop) is graded; a retired question makes way for the
    next one; retiring the question graded before asks the waiting one again."""
    if state.get("reply") is not None:
        return "grade"
    return "ask" if state.get("current") else "pick"


def after_remember(state: QuizState) -> Literal["pick", "finish"]:
    stopped = bool((state.get("reply") or {}).get("stop"))
    return "finish" if stopped or len(state.get("results", [])) >= state["n"] else "pick"


# --- the summary ------------------------------------------------------------------------


def offline_notice(made: int, asked: int, reason: str | None) -> str | None:
    """E.g. "3 of 5 questions were made offline: Ollama is not running at …"."""
    if reason is None or made == 0:
        return None
    noun = "question was" if asked == 1 else "questions were"
    return f"{made} of {asked} {noun} made offline: {reason}"


def summarise(
    state: QuizState, ended: Ended, titles: Mapping[str, str], weakest: list[WeakTopic]
) -> QuizSummary:
    """The quiz's report: scores per topic (weakest first), passages to review, and what
    the model's failures cost. `titles` names the topics; `weakest` is the learner's
    weakest topics overall."""
    results: list[GradedResult] = state.get("results", [])
    per_topic: dict[str, TopicScore] = {}
    for r in results:
        title = titles.get(r["topic"], r["topic"])
        row = per_topic.setdefault(
            r["topic"], TopicScore(topic=r["topic"], title=title, right=0, total=0)
        )
        row["total"] += 1
        row["right"] += int(r["correct"])
    made = sum(1 for r in results if r.get("made_offline"))
    reason = (state.get("ollama_gone") or {}).get("reason")
    return QuizSummary(
        ended=ended,
        asked=len(results),
        planned=state.get("n", len(results)),
        correct=sum(int(r["correct"]) for r in results),
        per_topic=sorted(per_topic.values(), key=lambda r: (r["right"] / r["total"], r["topic"])),
        weakest_topics=weakest,
        review=list(dict.fromkeys(r["source"] for r in results if not r["correct"])),
        retired=state.get("flagged", 0),
        topic=state.get("topic"),
        rejected=state.get("rejected", 0),
        fallbacks=state.get("fallbacks", 0),
        made_offline=made,
        offline_reason=reason,
        offline_notice=offline_notice(made, len(results), reason),
    )
