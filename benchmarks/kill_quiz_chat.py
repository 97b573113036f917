"""Kill quizzes and chat turns at random points, over and over: answers lost or counted
twice (both must be 0), and whether each restart resumes at the right place.

Each round is one child process, the one `tests/reliability/test_kill_quiz_and_chat.py`
runs (`tests/harness/kill_child.py`): it answers offline quiz questions, or asks chat
turns of a fake model, over a real indexed data dir, and SIGKILLs itself at a random
write, before or after it runs: a learner-store write (a quiz answer, or a chat turn's
record), a checkpoint or pending write of the checkpoint saver, or an answer token. A
chat turn saves nothing until its graph has finished; then it writes the learner record,
then the conversation, so its kills land before, between and after those two writes (or
at a token, mid-answer). The next child resumes the same quiz or conversation. After
every round the stores are audited:

- quiz: every answer a child saw graded is stored; no question answered twice; one
  right/wrong event and one card review per answer; the quiz resumes at the question after
  the last recorded one (a recorded answer is never asked again), and never gets stuck
  (neither waiting for an answer nor ended);
- chat: only whole turns; every finished turn kept; once a later turn has finished, the
  learner store agrees with the conversation (turn count, "asked" events, check verdicts):
  a turn killed between its two writes is asked again with the same number, and its
  record replaced, not counted twice.

Every kill must land at a point the child armed (its `kill` line says where); the table
is followed by where the kills landed.

Usage: python benchmarks/kill_quiz_chat.py [--kills N] [--seed S] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import time
from dataclasses import asdict, dataclass, field

from _common import format_table, load_embedder, make_settings, note, temp_dir

from tests.fakes import ScriptedChatModel
from tests.harness.audits import audit_chat, audit_quiz
from tests.harness.child_events import Child
from tests.harness.kill_child import CHECK_ANSWER, MODEL_ANSWER, run_child
from tutor.config import Settings
from tutor.corpus.index import Indexer
from tutor.runtime.chat import TutorChat
from tutor.runtime.checkpoints import open_checkpointer
from tutor.runtime.context import open_context

QUIZ_LENGTH = 6
TURNS_PER_CHILD = 3
QUIZ_KILLS = [(["record_answer", "checkpoint", "pending_writes"], 40)]
CHAT_KILLS = [(["write_turn", "checkpoint"], 2 * TURNS_PER_CHILD), (["token"], 30)]
"""Points to arm and the most calls to let pass, one pair drawn per child. A chat turn's
saves are its learner record (`write_turn`) and one checkpoint, both after its graph has
finished (durability "exit": no pending writes); its tokens come before them, so the
saves are armed on their own, or the tokens would take most of the kills."""
TURNS_PER_SESSION = 9
"""Then a new conversation: the conversation state keeps only its last 20 turns."""
SETTLING_QUESTION = "What is retrieval-augmented generation?"
TOPICS = [
    "What is RLHF?",
    "What is few-shot prompting?",
    "What is Unity Catalog for?",
    "What does MLflow track?",
    "What is PCA?",
    "How do GANs create synthetic data?",
]


@dataclass
class Tally:
    children: int = 0
    kills: int = 0
    recorded: int = 0
    """Quiz answers stored, or chat turns in the conversations, at the end."""
    lost: int = 0
    doubled: int = 0
    misplaced: int = 0
    """Restarts that resumed at the wrong question, or stores that disagree."""
    stuck: int = 0
    """Quizzes with answers that a restart could neither continue nor end."""
    errors: list[str] = field(default_factory=list)
    landed: dict[str, int] = field(default_factory=dict)
    """Kills per point: "after write_turn" and the like."""
    seconds: float = 0.0

    def count(self, child: Child, spec: dict) -> None:
        """Count a child: killed or not, where, and any error."""
        self.children += 1
        self.kills += child.killed
        if not child.killed:
            if child.returncode != 0:
                self.errors.append(last_line(child.stderr))
            return
        where = child.of("kill")
        armed = spec["kill"]
        if len(where) != 1 or where[0]["point"] not in armed["points"]:
            self.errors.append(f"killed, not at an armed point ({armed}): {where}")
            return
        landed = f"{where[0]['when']} {where[0]['point']}"
        self.landed[landed] = self.landed.get(landed, 0) + 1


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


def kill_spec(rng: random.Random, kills: list[tuple[list[str], int]]) -> dict:
    points, most = rng.choice(kills)
    return {"points": points, "nth": rng.randint(1, most), "when": rng.choice(["before", "after"])}


def quiz_rounds(settings: Settings, kills: int, rng: random.Random) -> Tally:
    tally, started = Tally(), time.perf_counter()
    for number in itertools.count():
        quiz, reported, fresh, previous = f"quiz-bench-{number}", [], True, None
        while True:
            spec = {"role": "quiz", "quiz": quiz, "kill": kill_spec(rng, QUIZ_KILLS)}
            if fresh:
                spec["start"] = {"n": QUIZ_LENGTH, "kind": "mixed"}
            child = run_child(spec)
            tally.count(child, spec)
            reported += [e["question"] for e in child.of("graded")]
            at = [e["number"] for e in child.of("at")]
            if previous is not None and at and at[0] is not None:
                # After a recorded-but-not-checkpointed answer, the next question; else
                # this one, or the next if the step was graded but not yet recorded.
                stored, results = len(previous.stored), len(previous.results)
                allowed = {stored + 1} if stored > results else {results + 1, results + 2}
                tally.misplaced += at[0] not in allowed and at[0] <= QUIZ_LENGTH
            audit = audit_quiz(settings, quiz, reported)
            tally.lost += len(audit.lost)
            tally.doubled += len(audit.doubled)
            tally.misplaced += len(audit.mismatched)
            tally.misplaced += not 0 <= len(audit.stored) - len(audit.results) <= 1
            fresh, previous = False, audit
            if not child.killed:  # it answered every question: the quiz must have ended
                summary = [e["summary"] for e in child.of("end")]
                tally.stuck += (not summary or summary[0] is None) and bool(audit.results)
            if not child.killed or tally.kills >= kills:
                tally.recorded += len(audit.stored)
                break
        note(f"  quiz {quiz}: {len(audit.stored)} answers, {tally.kills} kills so far")
        if tally.kills >= kills:
            tally.seconds = time.perf_counter() - started
            return tally
    raise AssertionError("unreachable")


def chat_rounds(settings: Settings, kills: int, rng: random.Random) -> Tally:
    tally, started = Tally(), time.perf_counter()
    questions = (
        f"Question {n}: {topic}" if n % 3 else CHECK_ANSWER
        for n, topic in zip(itertools.count(1), itertools.cycle(TOPICS))
    )
    settle = TutorChat(
        open_context(settings, chat_model=ScriptedChatModel(replies=[MODEL_ANSWER])),
        open_checkpointer(settings),
    )
    for number in itertools.count():
        session, reported, asked = f"chat-bench-{number}", [], 0
        while asked < TURNS_PER_SESSION and tally.kills < kills:
            batch = [next(questions) for _ in range(TURNS_PER_CHILD)]
            spec = {"role": "chat", "session": session, "questions": batch}
            spec["kill"] = kill_spec(rng, CHAT_KILLS)
            child = run_child(spec)
            asked += len(batch)
            tally.count(child, spec)
            reported += [e["question"] for e in child.of("turn")]
            audit = audit_chat(settings, session, reported)
            tally.lost += len(audit.lost) + len(audit.torn)
            tally.misplaced += not 0 <= audit.counted_turns - len(audit.turns) <= 1
        # One finished turn settles the store: it must now agree with the conversation.
        settle.ask(SETTLING_QUESTION, session=session)
        audit = audit_chat(settings, session, [*reported, SETTLING_QUESTION])
        tally.lost += len(audit.lost) + len(audit.torn)
        tally.doubled += len(audit.orphans) + max(0, audit.counted_turns - len(audit.turns))
        tally.doubled += audit.verdicts != audit.shown_verdicts
        tally.misplaced += audit.counted_turns < len(audit.turns)
        tally.recorded += len(audit.turns)
        note(f"  conversation {session}: {len(audit.turns)} turns, {tally.kills} kills so far")
        if tally.kills >= kills:
            settle.close()
            tally.seconds = time.perf_counter() - started
            return tally
    raise AssertionError("unreachable")


def run(kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    with temp_dir("kill") as data_dir:
        settings = make_settings(data_dir)
        for name in [n for n in os.environ if n.startswith("TUTOR_")]:
            del os.environ[name]
        os.environ.update(
            TUTOR_DATA_DIR=str(data_dir),
            TUTOR_CORPUS_DIR=str(settings.corpus_dir),
            TUTOR_CONFIG_FILE=str(data_dir / "no-config.toml"),
            OLLAMA_HOST="127.0.0.1:9",  # nothing listens: children never reach a real model
            HF_HUB_OFFLINE="1",
        )
        note("indexing the corpus ...")
        Indexer(settings, load_embedder()).run()
        note(f"quiz: {kills} kills ...")
        quiz = quiz_rounds(Settings(), kills, rng)
        note(f"chat: {kills} kills ...")
        chat = chat_rounds(Settings(), kills, rng)
    return {"seed": seed, "quiz": asdict(quiz), "chat": asdict(chat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=12, help="kills per kind (quiz, chat)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.kills, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    columns = ["children", "kills", "recorded", "lost", "doubled", "misplaced", "stuck"]
    rows = [
        [kind, *(t[c] for c in columns), len(t["errors"]), f"{t['seconds']:.0f}"]
        for kind, t in (("quiz answers", result["quiz"]), ("chat turns", result["chat"]))
    ]
    headers = ["", *columns, "errors", "seconds"]
    print(format_table(headers, rows))
    for kind in ("quiz", "chat"):
        landed = sorted(result[kind]["landed"].items(), key=lambda item: (-item[1], item[0]))
        print(f"{kind} kills: " + ", ".join(f"{where} {n}" for where, n in landed))
    for kind in ("quiz", "chat"):
        for error in result[kind]["errors"]:
            print(f"{kind} error: {error}")


if __name__ == "__main__":
    main()
