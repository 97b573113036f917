"""The quiz's decisions as pure functions (`graphs.quiz.policy`), without I/O: topic and
passage order, exam allocation, kinds, when the model is asked, what counts as Ollama
gone, where the graph goes next, and the summary's arithmetic."""

from __future__ import annotations

from collections import Counter

import pytest

from graphs.quiz import exam_plan, policy
from tutor.learner.mastery import Mastery
from tutor.learner.records import TopicProgress
from tutor.llm import MalformedReplyError, OllamaError
from tutor.quiz.questions import Question


def row(topic: str, mastery: float, evidence: float) -> TopicProgress:
    return TopicProgress(topic, topic.title(), Mastery(mastery, evidence, 0, 0, 0, None), "")


PROGRESS = [
    row("strong", 0.8, 3.0),
    row("new-a", 0.5, 0.0),
    row("weak", 0.3, 2.0),
    row("weaker", 0.2, 2.0),
    row("new-b", 0.5, 0.0),
    row("shaky", 0.45, 1.0),
]


def test_weakest_first_then_new_then_the_rest() -> None:
    order = []
    asked: Counter[str] = Counter()
    for _ in range(len(PROGRESS)):
        topic, reason = policy.choose_topic(PROGRESS, asked)
        order.append((topic, reason))
        asked[topic] += 1
    assert order == [
        ("weaker", "weak"),
        ("weak", "weak"),
        ("shaky", "weak"),
        ("new-a", "new"),
        ("new-b", "new"),
        ("strong", "practice"),
    ]
    # Once every topic had a turn, the weakest comes round again.
    assert policy.choose_topic(PROGRESS, asked)[0] == "weaker"


def test_allocate_is_proportional_and_sums_to_n() -> None:
    plan = exam_plan.allocate(20, {"a": 10, "b": 5, "c": 3, "d": 2})
    assert len(plan) == 20
    assert Counter(plan) == {"a": 10, "b": 5, "c": 3, "d": 2}
    plan = exam_plan.allocate(7, {"a": 1, "b": 1, "c": 1})
    assert sorted(Counter(plan).values()) == [2, 2, 3]
    assert exam_plan.allocate(0, {"a": 1}) == [] and exam_plan.allocate(3, {}) == []


def test_kinds_rotate_in_mixed_quizzes() -> None:
    assert [policy.kind_for("mixed", i, False) for i in range(4)] == ["mc", "tf", "cloze", "mc"]
    assert [policy.kind_for("mixed", i, True) for i in range(3)] == ["mc", "tf", "short"]
    assert policy.kind_for("short", 0, False) == "short" and policy.kind_for("mc", 5, True) == "mc"


def test_edges() -> None:
    assert policy.after_pick_or_verify({"current": {"q": 1}}) == "ask"
    assert policy.after_pick_or_verify({"current": None}) == "generate"
    assert policy.after_pick_or_verify({"summary": {"ended": "no material"}}) == "finish"
    assert policy.after_pick_or_verify({"ended": "no material", "current": None}) == "finish"
    assert policy.after_remember({"n": 2, "results": [1]}) == "pick"
    assert policy.after_remember({"n": 2, "results": [1, 2]}) == "finish"
    assert policy.after_remember({"n": 5, "results": [1], "reply": {"stop": True}}) == "finish"


def test_a_dry_topic_sends_the_quiz_back_to_pick() -> None:
    assert policy.after_pick_or_verify({"repick": True, "current": None}) == "pick"
    assert (
        policy.after_pick_or_verify({"repick": True, "summary": {"ended": "no material"}})
        == "finish"
    )
    update = policy.dry_topic({"exhausted": ["a"]}, "b")
    assert update == {"current": None, "exhausted": ["a", "b"], "repick": True, "attempts": 0}
    # A quiz on one named topic ends when that topic runs dry.
    assert policy.dry_topic({"topic": "b"}, "b") == {"current": None, "ended": "no material"}


def graded(topic: str, correct: bool, source: str = "s", **extra) -> dict:
    return {"topic": topic, "correct": correct, "source": source, **extra}


def test_next_topic_named_then_exam_plan_then_progress() -> None:
    def no_progress() -> list[TopicProgress]:
        raise AssertionError("progress is read only when needed")

    assert policy.next_topic({"topic": "rlhf"}, no_progress) == ("rlhf", "named")
    exam = {"exam": True, "plan": ["a", "b"], "results": [graded("a", True)]}
    assert policy.next_topic(exam, no_progress) == ("b", "exam")
    # The planned topic ran dry: another is chosen, still for the exam.
    dry = {**exam, "exhausted": ["b"]}
    assert policy.next_topic(dry, lambda: PROGRESS) == ("weaker", "exam")
    asked = {"results": [graded("weaker", False)]}
    assert policy.next_topic(asked, lambda: PROGRESS) == ("weak", "weak")
    everything = {"exhausted": [r.topic for r in PROGRESS]}
    assert policy.next_topic(everything, lambda: PROGRESS) is None


def test_a_quiz_aimed_at_the_exam_keeps_to_its_focus_topics_while_they_last() -> None:
    aimed = {"focus": ["strong", "new-b"], "results": []}
    # Within the focus, the usual order (a new topic before a strong one), said as "forecast".
    assert policy.next_topic(aimed, lambda: PROGRESS) == ("new-b", "forecast")
    spread = {**aimed, "results": [graded("new-b", True)]}
    assert policy.next_topic(spread, lambda: PROGRESS) == ("strong", "forecast")
    # Focus topics dry: the weakest anywhere, as any quiz.
    dry = {**aimed, "exhausted": ["strong", "new-b"]}
    assert policy.next_topic(dry, lambda: PROGRESS) == ("weaker", "weak")
    # A named topic wins over the focus.
    assert policy.next_topic({**aimed, "topic": "rlhf"}, list) == ("rlhf", "named")


def ref(chunk_id: str, topics: list[str]) -> dict:
    return {"chunk_id": chunk_id, "topics": topics, "text": chunk_id}


def test_the_passage_is_on_topic_and_fresh_or_reused_when_allowed() -> None:
    found = [ref("1", ["x"]), ref("2", ["t"]), ref("3", ["t"])]
    assert policy.choose_passage(found, "t", set())["chunk_id"] == "2"
    assert policy.choose_passage(found, "t", {"2"})["chunk_id"] == "3"
    assert policy.choose_passage(found, "t", {"2", "3"})["chunk_id"] == "2"  # reused
    assert policy.choose_passage(found, "t", {"2", "3"}, reuse=False) is None
    # No passage carries the topic: none, never one off the topic.
    assert policy.choose_passage(found, "none", set()) is None
    assert policy.choose_passage([], "t", set()) is None


def question(kind: str = "short", origin: str = "offline", topic: str = "t") -> Question:
    return Question(
        kind=kind,
        prompt="Which technique aligns a model with people?",
        options=["RLHF", "PCA", "LDA", "SVM"] if kind == "mc" else [],
        answer="RLHF" if kind == "mc" else "human feedback",
        explanation="It does.",
        topic=topic,
        chunk_id="c",
        source="s",
        origin=origin,
    )


def test_reviews_skip_what_was_asked_and_other_topics() -> None:
    q = question()
    assert policy.reviewable(q, set(), None) and policy.reviewable(q, set(), "t")
    assert not policy.reviewable(q, {q.id}, None) and not policy.reviewable(q, set(), "other")
    update = policy.picked("t", "review", "passage", q)
    assert update["current"] == q.model_dump() and update["repick"] is False
    assert policy.picked("t", "weak", "passage", None)["current"] is None


def test_the_model_gets_bounded_attempts_before_the_offline_generator() -> None:
    tries = [policy.model_may_try(n) for n in range(1, policy.MODEL_ATTEMPTS + 2)]
    assert tries == [True] * policy.MODEL_ATTEMPTS + [False]
    last = policy.GIVE_UP_ATTEMPTS
    assert not policy.gives_up(last - 1) and policy.gives_up(last)


@pytest.mark.parametrize("kind", ["unreachable", "timeout", "model_missing"])
def test_an_outage_takes_the_rest_of_the_quiz_offline(kind: str) -> None:
    update = policy.went_away(OllamaError(kind, "Ollama is not running"), "p1")
    assert update == {"ollama_gone": {"reason": "Ollama is not running", "process": "p1"}}
    gone = update["ollama_gone"]
    assert not policy.may_ask_model(gone, "p1")
    assert policy.may_ask_model(gone, "a restarted tutor") and policy.may_ask_model(None, "p1")


@pytest.mark.parametrize(
    "error",
    [OllamaError("stream_cut", "cut"), OllamaError("server_error", "500"), MalformedReplyError()],
)
def test_one_bad_reply_is_one_questions_bad_luck(error: Exception) -> None:
    assert policy.went_away(error, "p1") == {}


def test_made_offline_counts_only_questions_the_outage_cost() -> None:
    offline, model = question(), question(origin="ollama")
    assert policy.made_offline(offline, configured=True, withheld=True, gone_now=False)
    assert policy.made_offline(offline, configured=True, withheld=False, gone_now=True)
    # A malformed reply's fallback, an offline quiz, or the model's own question: no.
    assert not policy.made_offline(offline, configured=True, withheld=False, gone_now=False)
    assert not policy.made_offline(offline, configured=False, withheld=True, gone_now=False)
    assert not policy.made_offline(model, configured=True, withheld=True, gone_now=True)


def test_only_plain_wrong_short_answers_go_to_the_model() -> None:
    short = question()
    assert policy.model_may_grade(short, False, "people rating answers")
    assert not policy.model_may_grade(short, True, "human feedback")  # right by rule already
    assert not policy.model_may_grade(question("mc"), False, "PCA")
    assert not policy.model_may_grade(short, False, "a" * 10_000)  # cut: not what was typed
    assert not policy.model_may_grade(short, False, "The passage says " + "human feedback " * 30)


def test_the_offline_notice() -> None:
    assert policy.offline_notice(2, 3, "why") == "2 of 3 questions were made offline: why"
    assert policy.offline_notice(1, 1, "why") == "1 of 1 question was made offline: why"
    assert policy.offline_notice(0, 3, "why") is None and policy.offline_notice(2, 3, None) is None


def test_the_summary_adds_up() -> None:
    state = {
        "n": 5,
        "rejected": 2,
        "fallbacks": 1,
        "ollama_gone": {"reason": "Ollama is not running", "process": "p"},
        "results": [
            graded("a", True, "s1"),
            graded("a", False, "s2", made_offline=True),
            graded("b", False, "s2", made_offline=True),
            graded("c", True, "s3"),  # from before `made_offline` was recorded
        ],
    }
    weakest = [{"topic": "b", "title": "B"}]
    summary = policy.summarise(state, "stopped", {"a": "Topic A"}, weakest)
    assert summary == {
        "ended": "stopped",
        "asked": 4,
        "planned": 5,
        "correct": 2,
        "per_topic": [
            {"topic": "b", "title": "b", "right": 0, "total": 1},
            {"topic": "a", "title": "Topic A", "right": 1, "total": 2},
            {"topic": "c", "title": "c", "right": 1, "total": 1},
        ],
        "weakest_topics": weakest,
        "review": ["s2"],
        "rejected": 2,
        "fallbacks": 1,
        "made_offline": 2,
        "offline_reason": "Ollama is not running",
        "offline_notice": "2 of 4 questions were made offline: Ollama is not running",
        "retired": 0,
        "topic": None,
    }
    empty = policy.summarise({}, "no material", {}, [])
    assert (empty["asked"], empty["planned"], empty["offline_notice"]) == (0, 0, None)


def test_a_mixed_offline_slot_falls_back_to_the_other_kinds() -> None:
    assert policy.offline_kinds("mixed", 0) == ["mc", "tf", "cloze", "short"]
    assert policy.offline_kinds("mixed", 1) == ["tf", "mc", "cloze", "short"]
    assert policy.offline_kinds("tf", 5) == ["tf"]  # a quiz of one kind keeps it


def test_a_free_mixed_quiz_runs_a_topic_dry_one_kind_at_a_time() -> None:
    state = {"kind": "mixed", "n": 9, "results": []}
    dry = policy.dry_topic(state, "rlhf", "mc")
    assert dry["exhausted"] == ["rlhf:mc"] and dry["repick"]
    state = {**state, "exhausted": dry["exhausted"]}
    assert policy.dry_for_slot(state, "rlhf", 0)  # slot 0 is multiple choice
    assert not policy.dry_for_slot(state, "rlhf", 1)  # slot 1 true/false: still on offer
    # Another kind is asked only when every other topic is dry for this kind as well.
    assert not policy.asks_another_kind(state, "rag", 0, ["rlhf", "rag", "mlflow"])
    both = {**state, "exhausted": ["rlhf:mc", "mlflow"]}
    assert policy.asks_another_kind(both, "rag", 0, ["rlhf", "rag", "mlflow"])
    # A named topic or an exam keeps its topic and changes the kind at once.
    assert policy.asks_another_kind({**state, "topic": "rag"}, "rag", 0, ["rag", "rlhf"])
    assert policy.dry_topic({**state, "exam": True}, "rag", "mc")["exhausted"] == ["rlhf:mc", "rag"]
    assert not policy.asks_another_kind({**state, "kind": "tf"}, "rag", 0, ["rag"])
