"""Ollama failing in every way a learner can meet it, end to end: a table of chat faults and
one of quiz faults, each fault run through the CLI (`tutor ask`, `tutor quiz`) and through
the app (chat and quiz screens), against the fake Ollama server on loopback with the real
ChatOllama, index and stores.

Each fault starts after the tutor has chosen Ollama mode (the server answered and listed
the model): the server then refuses connections, has lost the model, stalls, cuts the
stream, streams an error line, or returns malformed structured output. Whatever happens,
the learner sees an answer (offline, with a notice saying why) or one line saying what
failed; never a traceback; and the learner store holds a turn or an answer whole or not
at all.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from textual.widgets import Select, Static
from typer.testing import CliRunner

import graphs.quiz.graph
import tutor.runtime.chat
import tutor.runtime.quiz_session
from graphs.chat.graph import build as build_tutor_graph
from tests.fake_ollama import FakeOllama
from tests.tui.pilot import run, until
from tests.tui.test_chat_screen import ask, exchanges, sources, state
from tests.tui.test_quiz_screen import next_question, open_quiz, type_into
from tutor.cli import app as cli
from tutor.config import Settings
from tutor.corpus.embeddings import Embedder
from tutor.quiz.generate import MAX_ATTEMPTS
from tutor.runtime.checkpoints import open_checkpointer
from tutor.tui.app import TutorApp
from tutor.tui.widgets.question_input import QuestionInput
from tutor.tui.widgets.quiz_card import QuizCard

pytestmark = pytest.mark.slow

QUESTION = "What is few-shot prompting?"
PARTIAL = "Few-shot prompting gives the model "
TIMEOUT = 0.5  # TUTOR_OLLAMA_TIMEOUT for every fault: a stall is noticed at once
STALL = 5.0  # how long a stalled reply hangs (the server is stopped sooner at teardown)
SIZE = (100, 30)
SLOW = 60  # seconds the app may take for a step on a busy machine


# --- the faults -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatFault:
    name: str
    arrange: Callable[[FakeOllama], None]
    outcome: Literal["offline", "failed"]
    """offline: the turn is answered from the material with a notice, and saved;
    failed: the partial answer is shown, one line says why, nothing is saved."""
    says: str
    """What the notice or the one-line error says."""


def _stop(fake: FakeOllama) -> None:
    fake.stop()


CHAT_FAULTS = [
    ChatFault("refused", _stop, "offline", "Ollama is not running at http://127.0.0.1:"),
    ChatFault(
        "model-404",
        lambda fake: fake.serve_chat_error(404),
        "offline",
        "the model 'llama3.2' is not pulled",
    ),
    ChatFault(
        "stall-before-first-token",
        lambda fake: fake.serve_chat_stall(STALL),
        "offline",
        f"Ollama did not answer within {TIMEOUT:g} s",
    ),
    ChatFault(
        "stall-mid-answer",
        lambda fake: fake.serve_chat_stall(STALL, text_before=PARTIAL),
        "failed",
        f"Ollama did not answer within {TIMEOUT:g} s",
    ),
    ChatFault(
        "connection-dropped-mid-answer",
        lambda fake: fake.serve_chat_cut(PARTIAL, abrupt=True),
        "failed",
        "the answer was cut off",
    ),
    ChatFault(
        "stream-ends-without-done",
        lambda fake: fake.serve_chat_cut(PARTIAL),
        "failed",
        "the answer was cut off",
    ),
    ChatFault(
        "error-line-mid-answer",
        lambda fake: fake.serve_chat_error_line(PARTIAL, "llama runner process has terminated"),
        "failed",
        "Ollama reported an error: llama runner process has terminated",
    ),
]


def question_json(**changes: object) -> str:
    made = {
        "question": "Which technique aligns model outputs with human preferences?",
        "options": ["RLHF", "PCA", "k-means", "Q-learning"],
        "answer": "RLHF",
        "explanation": "The passage says RLHF aligns outputs with human values.",
    }
    return json.dumps({**made, **changes})


@dataclass(frozen=True)
class QuizFault:
    name: str
    arrange: Callable[[FakeOllama], None]
    origin: Literal["ollama", "offline"]
    """Who made the question the learner got: the model, or the offline generator that
    steps in when the model fails."""
    generate_calls: int | None
    """Question-generation requests the server saw: a malformed reply is asked for again
    (MAX_ATTEMPTS in all), a failed call is not (None: not counted, the reply stalls)."""
    kind: str = "mc"
    rejected: int = 0
    """Model questions verification threw away (never shown)."""
    in_app: bool = True
    """Also run through the app. Malformed replies that differ only inside question
    generation run through the CLI alone: the app reaches them by the same call."""


QUIZ_FAULTS = [
    QuizFault("refused", _stop, "offline", 0),
    QuizFault("model-404", lambda fake: fake.serve_chat_error(404), "offline", 1),
    QuizFault("stall", lambda fake: fake.serve_chat_stall(STALL), "offline", None),
    QuizFault(
        "connection-dropped",
        lambda fake: fake.serve_chat_cut('{"question": "Which technique', abrupt=True),
        "offline",
        1,
    ),
    QuizFault(
        "error-line",
        lambda fake: fake.serve_chat_error_line('{"quest', "CUDA error: out of memory"),
        "offline",
        1,
    ),
    QuizFault(
        "invalid-json",
        lambda fake: fake.serve_chat("{'question': Which technique", chunk_words=False),
        "offline",
        MAX_ATTEMPTS,
    ),
    QuizFault(
        "truncated-json",  # the stream ends cleanly halfway through the object
        lambda fake: fake.serve_chat_cut('{"question": "Which technique aligns model'),
        "offline",
        MAX_ATTEMPTS,
        in_app=False,
    ),
    QuizFault(
        "json-of-the-wrong-shape",
        lambda fake: fake.serve_chat(
            json.dumps({"q": "Which technique?", "choices": ["RLHF"], "correct": 0}),
            chunk_words=False,
        ),
        "offline",
        MAX_ATTEMPTS,
        in_app=False,
    ),
    QuizFault(
        "key-not-among-the-options",
        lambda fake: fake.serve_chat(question_json(answer="DPO"), chunk_words=False),
        "offline",
        MAX_ATTEMPTS,  # valid JSON each time, but the question breaks its kind's rules
        in_app=False,
    ),
    QuizFault(
        "answer-not-in-the-passage",
        lambda fake: fake.serve_chat(
            question_json(
                question="Which process do plants use to turn sunlight into sugar?",
                options=["Photosynthesis", "Osmosis", "Mitosis", "Fermentation"],
                answer="Photosynthesis",
                explanation="Plants make sugar from light by photosynthesis.",
            ),
            chunk_words=False,
        ),
        "offline",
        MAX_ATTEMPTS,
        rejected=MAX_ATTEMPTS,
    ),
    QuizFault("grading-call-fails", lambda fake: _grading_fails(fake), "ollama", 1, kind="short"),
]


def _grading_fails(fake: FakeOllama) -> None:
    """A good short-answer question and verdict, then Ollama fails when asked to grade."""
    short = question_json(
        question="In RLHF, what do human evaluators do with a model's outputs?",
        options=[],
        answer="rank them",
        explanation="The passage says human evaluators rank outputs.",
    )
    fake.serve_chat(short, chunk_words=False, once=True)
    fake.serve_chat(json.dumps({"supported": True, "reason": "stated"}), once=True)
    fake.serve_chat_error_line("", "llama runner process has terminated")


SHORT_WRONG = "score each one"  # wrong by rule, so the model is asked to grade it
MANY_MC_TOPIC = "unsupervised-learning"
"""A topic whose material gives four offline multiple-choice questions (rlhf gives one)."""


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def embeddings_once() -> Iterator[None]:
    """The real MiniLM, each distinct batch of texts embedded once per module: a quiz that
    falls back builds the offline question bank, and every test here would otherwise
    embed the same corpus again (seconds each). The vectors are the model's own."""
    real = Embedder.embed
    seen: dict[tuple[str, ...], np.ndarray] = {}

    def embed(self: Embedder, texts: list[str]) -> np.ndarray:
        key = (self.model_name, *texts)
        if key not in seen:
            seen[key] = real(self, texts)
        return seen[key].copy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Embedder, "embed", embed)
        yield


@pytest.fixture
def data_dir(indexed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the indexed corpus; the fault's short timeout is set."""
    copy = tmp_path / "data"
    shutil.copytree(indexed_data_dir, copy)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(copy))
    monkeypatch.setenv("TUTOR_OLLAMA_TIMEOUT", str(TIMEOUT))
    return copy


def fault_after_opening(
    monkeypatch: pytest.MonkeyPatch, fake: FakeOllama, arrange: Callable[[FakeOllama], None]
) -> None:
    """Break the server right after the CLI has chosen Ollama mode (as the app is broken
    after it has loaded): the fault meets the tutor mid-session, not at its start."""
    real = tutor.runtime.chat.open_context

    def opened(*args, **kwargs):
        context = real(*args, **kwargs)
        assert context.chat_model is not None, "the tutor should have started in Ollama mode"
        arrange(fake)
        return context

    for opener in (tutor.runtime.chat, tutor.runtime.quiz_session):
        monkeypatch.setattr(opener, "open_context", opened)


@dataclass
class Stored:
    """What the learner store and the conversation checkpoints hold."""

    events: list[str]
    sessions: list[tuple[str, int]]
    """(mode, turns) per conversation or quiz."""
    answers: list[tuple[str, int]]
    """(question origin, correct) per recorded quiz answer."""
    turns: int
    """Finished chat turns in the checkpoints, over all conversations."""

    @classmethod
    def read(cls, data_dir: Path) -> Stored:
        events: list[str] = []
        sessions: list[tuple[str, int]] = []
        answers: list[tuple[str, int]] = []
        if (data_dir / "learner.sqlite").exists():
            with closing(sqlite3.connect(data_dir / "learner.sqlite")) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                events = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY id")]
                sessions = db.execute("SELECT mode, turns FROM sessions").fetchall()
                answers = [
                    (json.loads(body)["origin"], correct)
                    for body, correct in db.execute(
                        "SELECT q.body, a.correct FROM answers a JOIN questions q"
                        " ON q.id = a.question_id ORDER BY a.id"
                    )
                ]
        return cls(events, sessions, answers, finished_turns(data_dir))


def finished_turns(data_dir: Path) -> int:
    """Chat turns the checkpoints hold as part of a conversation (a failed run may leave a
    checkpoint of its own, but never a message of the failed turn)."""
    if not (data_dir / "checkpoints.sqlite").exists():
        return 0
    checkpointer = open_checkpointer(Settings(data_dir=data_dir))
    try:
        graph = build_tutor_graph().compile(checkpointer=checkpointer)
        threads = checkpointer.conn.execute("SELECT DISTINCT thread_id FROM checkpoints")
        return sum(
            len(graph.get_state({"configurable": {"thread_id": t}}).values.get("messages", [])) // 2
            for (t,) in threads.fetchall()
        )
    finally:
        checkpointer.conn.close()


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def generate_requests(fake: FakeOllama) -> int:
    return sum(
        1
        for body in fake.chat_requests()
        if "question" in body.get("format", {}).get("properties", {})
    )


def error_notes(app: TutorApp) -> list:
    return [n for n in app._notifications if n.severity == "error"]


# --- chat: `tutor ask` ----------------------------------------------------------------------


@pytest.mark.parametrize("fault", CHAT_FAULTS, ids=lambda f: f.name)
def test_ask_through_the_cli(
    fault: ChatFault, data_dir: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ollama.serve_chat("unused: the fault replaces this reply [1].")
    fault_after_opening(monkeypatch, fake_ollama, fault.arrange)

    result = CliRunner().invoke(cli, ["ask", QUESTION])

    no_traceback(result)
    stored = Stored.read(data_dir)
    if fault.outcome == "offline":
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("*Offline mode: ") and fault.says in result.stdout
        assert "Sources\n  [1] corpus/" in result.stdout
        assert result.stderr.startswith("conversation ") and result.stderr.count("\n") == 1
        # The offline turn is a whole turn: saved, counted, checkpointed.
        assert stored.events and set(stored.events) == {"asked"}
        assert stored.sessions == [("offline", 1)] and stored.turns == 1
    else:
        assert result.exit_code == 1
        assert result.stdout == PARTIAL + "\n"  # what had arrived, then the line ends
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ") and fault.says in line
        assert line.endswith("(nothing was saved)")
        assert stored == Stored([], [], [], 0)  # nothing of the turn anywhere


# --- chat: the app ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", CHAT_FAULTS, ids=lambda f: f.name)
def test_ask_through_the_app(fault: ChatFault, data_dir: Path, fake_ollama: FakeOllama) -> None:
    fake_ollama.serve_chat("unused: the fault replaces this reply [1].")
    app = TutorApp(settings=Settings(), recheck_seconds=600)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None, SLOW)
            assert not app.services.offline  # Ollama mode, then the fault
            fault.arrange(fake_ollama)
            await ask(pilot, QUESTION)
            [exchange] = exchanges(app)
            box = app.screen.query_one(QuestionInput)
            if fault.outcome == "offline":
                await until(pilot, lambda: "[1]" in sources(exchange), SLOW)
                assert exchange.answer.source.startswith("*Offline mode: ")
                assert fault.says in exchange.answer.source
                # The app switches to offline and says why in its banner.
                banner = app.chat_screen.query_one("#banner")
                await until(pilot, lambda: banner.display)
                assert fault.says in str(banner.content)
                assert box.value == "" and not error_notes(app)
            else:
                await until(pilot, lambda: state(exchange) == "(failed)", SLOW)
                [note] = error_notes(app)
                assert fault.says in note.message and "\n" not in note.message
                assert box.value == QUESTION  # the question is given back
                assert not sources(exchange)

        stored = Stored.read(data_dir)
        if fault.outcome == "offline":
            assert set(stored.events) == {"asked"} and stored.sessions == [("offline", 1)]
            assert stored.turns == 1
        else:
            assert stored == Stored([], [], [], 0)  # nothing of the turn anywhere

    run(scenario)


# --- quiz: `tutor quiz` ---------------------------------------------------------------------


def quiz_args(fault: QuizFault) -> list[str]:
    return ["quiz", "--n", "1", "--kind", fault.kind, "--topic", "rlhf", "--json"]


@pytest.mark.parametrize("fault", QUIZ_FAULTS, ids=lambda f: f.name)
def test_quiz_through_the_cli(
    fault: QuizFault, data_dir: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_after_opening(monkeypatch, fake_ollama, fault.arrange)
    answer = SHORT_WRONG if fault.kind == "short" else "A"

    result = CliRunner().invoke(cli, quiz_args(fault), input=answer + "\n")

    no_traceback(result)
    assert result.exit_code == 0, result.output
    graded, final = (json.loads(line) for line in result.stdout.splitlines())
    summary = final["summary"]
    assert (summary["asked"], summary["ended"]) == (1, "done")
    assert summary["fallbacks"] == (1 if fault.origin == "offline" and not fault.rejected else 0)
    assert summary["rejected"] == fault.rejected
    assert "Question 1 of 1" in result.stderr
    if fault.generate_calls is not None:
        assert generate_requests(fake_ollama) == fault.generate_calls
    stored = Stored.read(data_dir)
    assert stored.answers == [(fault.origin, int(graded["correct"]))]
    assert stored.events == ["right" if graded["correct"] else "wrong"]
    if fault.kind == "short":  # the model could not grade: the rule's verdict stands
        assert graded["answer_given"] == SHORT_WRONG and graded["correct"] is False


# --- quiz: the app ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [f for f in QUIZ_FAULTS if f.in_app], ids=lambda f: f.name)
def test_quiz_through_the_app(fault: QuizFault, data_dir: Path, fake_ollama: FakeOllama) -> None:
    app = TutorApp(settings=Settings(), recheck_seconds=600)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None, SLOW)
            assert not app.services.offline  # Ollama mode, then the fault
            screen = await open_quiz(pilot)
            fault.arrange(fake_ollama)
            screen.query_one("#setup-topic", Select).value = "rlhf"
            screen.query_one("#setup-kind", Select).value = fault.kind
            await type_into(pilot, "#setup-n", "1")
            await pilot.press("enter")
            question = await next_question(pilot, screen, 1)
            assert question["kind"] == fault.kind and question["topic"] == "rlhf"
            if fault.kind == "short":
                await pilot.press(*SHORT_WRONG, "enter")
            else:
                await pilot.press("1")
            await until(pilot, lambda: screen.phase == "feedback", SLOW)
            assert not error_notes(app)
            assert screen.query_one(QuizCard).display

    run(scenario)
    stored = Stored.read(data_dir)
    [(origin, correct)] = stored.answers
    assert origin == fault.origin
    assert stored.events == ["right" if correct else "wrong"]
    if fault.kind == "short":
        assert correct == 0
    if fault.generate_calls is not None:
        assert generate_requests(fake_ollama) == fault.generate_calls


# --- quiz: Ollama gone for the rest of the quiz ---------------------------------------------


def count_generation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time the quiz asks the model for a question (even one that never
    reaches the server because the connection is refused)."""
    asked: list[str] = []
    real = graphs.quiz.graph.generate_question

    def generate(*args, **kwargs):
        asked.append(kwargs["topic"])
        return real(*args, **kwargs)

    monkeypatch.setattr(graphs.quiz.graph, "generate_question", generate)
    return asked


@pytest.mark.parametrize(
    "fault", [f for f in QUIZ_FAULTS if f.name in ("refused", "stall")], ids=lambda f: f.name
)
def test_after_ollama_goes_away_the_rest_of_the_quiz_is_made_offline(
    fault: QuizFault, data_dir: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ollama.serve_chat(question_json(), chunk_words=False)  # what a working server says
    fault_after_opening(monkeypatch, fake_ollama, fault.arrange)
    asked = count_generation(monkeypatch)

    result = CliRunner().invoke(
        cli,
        ["quiz", "--n", "3", "--kind", "mc", "--topic", MANY_MC_TOPIC, "--json"],
        input="A\n" * 3,
    )

    no_traceback(result)
    assert result.exit_code == 0, result.output
    *graded, final = (json.loads(line) for line in result.stdout.splitlines())
    assert len(graded) == 3
    # Only the first question tried Ollama: the second and third did not wait for it.
    # (Counted here, not at the server: a refused call never reaches it, and the server
    # logs a stalled one only once it ends.)
    assert asked == [MANY_MC_TOPIC]
    summary = final["summary"]
    says = {"refused": "Ollama is not running at http://127.0.0.1:", "stall": "did not answer"}
    assert summary["made_offline"] == 3 and says[fault.name] in summary["offline_reason"]
    assert summary["offline_notice"].startswith("3 of 3 questions were made offline: ")
    assert [origin for origin, _ in Stored.read(data_dir).answers] == ["offline"] * 3


def test_the_cli_summary_says_how_many_questions_were_made_offline(
    data_dir: Path, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    [refused] = [f for f in QUIZ_FAULTS if f.name == "refused"]
    fake_ollama.serve_chat(question_json(), chunk_words=False)
    fault_after_opening(monkeypatch, fake_ollama, refused.arrange)

    result = CliRunner().invoke(
        cli, ["quiz", "--n", "2", "--kind", "mc", "--topic", MANY_MC_TOPIC], input="A\n" * 2
    )

    no_traceback(result)
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.stdout.splitlines() if "made offline" in x]
    assert line.startswith("2 of 2 questions were made offline: Ollama is not running at ")


def test_a_malformed_reply_leaves_the_next_question_to_the_model(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    for _ in range(MAX_ATTEMPTS):
        fake_ollama.serve_chat("{'question': Which technique", chunk_words=False, once=True)
    fake_ollama.serve_chat(question_json(), chunk_words=False, once=True)
    fake_ollama.serve_chat(json.dumps({"supported": True, "reason": "stated"}), chunk_words=False)

    result = CliRunner().invoke(
        cli, ["quiz", "--n", "2", "--kind", "mc", "--topic", "rlhf", "--json"], input="A\nA\n"
    )

    no_traceback(result)
    assert result.exit_code == 0, result.output
    *graded, final = (json.loads(line) for line in result.stdout.splitlines())
    assert generate_requests(fake_ollama) == MAX_ATTEMPTS + 1  # the second question asked
    assert graded[1]["question"] == json.loads(question_json())["question"]
    summary = final["summary"]
    assert (summary["fallbacks"], summary["made_offline"]) == (1, 0)
    assert summary["offline_notice"] is None
    assert [origin for origin, _ in Stored.read(data_dir).answers] == ["offline", "ollama"]


def test_the_app_summary_says_how_many_questions_were_made_offline(
    data_dir: Path, fake_ollama: FakeOllama
) -> None:
    app = TutorApp(settings=Settings(), recheck_seconds=600)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.services is not None, SLOW)
            assert not app.services.offline  # Ollama mode, then it goes away
            screen = await open_quiz(pilot)
            fake_ollama.stop()
            screen.query_one("#setup-topic", Select).value = "unity-catalog-governance"
            screen.query_one("#setup-kind", Select).value = "tf"
            await type_into(pilot, "#setup-n", "2")
            await pilot.press("enter")
            for number in (1, 2):
                await next_question(pilot, screen, number)
                await pilot.press("1")
                await until(pilot, lambda: screen.phase == "feedback", SLOW)
                await pilot.press("enter")
            await until(pilot, lambda: screen.phase == "summary", SLOW)
            notice = str(screen.query_one("#summary-offline", Static).render())
            assert notice.startswith("2 of 2 questions were made offline: Ollama is not running")
            assert screen.query_one("#summary-offline").display

    run(scenario)
