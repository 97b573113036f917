"""Long use: 1,000 chat turns and 300 quiz answers on one data dir, as weeks of study would
leave it. Models are instant fakes (the turn mix of benchmarks/latency.py: questions,
follow-ups, check replies) and quizzes run offline, so what grows is the tutor's own:
resident memory, the SQLite files (learner store, checkpoints) and the time per turn.

Figures: RSS after warm-up and at the end (target growth < 50 MB), the databases' sizes,
and per-turn latency over the first and the last 100 chat turns (target: flat).

Usage: python benchmarks/soak.py [--turns 1000] [--answers 300] [--json]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import statistics
import time
from pathlib import Path

from _common import (
    OUR_QUESTIONS,
    load_embedder,
    load_questions,
    make_settings,
    note,
    percentile,
    temp_dir,
)
from langchain_core.messages import AIMessage
from latency import ANSWER, InstantModel

from graphs.context import TutorContext
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import CachedEmbed
from tutor.learner.store import LearnerStore
from tutor.runtime.chat import TutorChat
from tutor.runtime.checkpoints import open_checkpointer
from tutor.runtime.quiz_session import QuizSession

TURNS_PER_SESSION = 100
QUESTIONS_PER_QUIZ = 20
WARMUP_TURNS = 50
WINDOW = 100


def rss_mb() -> float:
    """Resident memory now (not the peak), after a full garbage collection."""
    gc.collect()
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def db_mb(path: Path) -> float:
    """A SQLite file with its write-ahead log."""
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


def window(ms: list[float]) -> dict:
    return {"p50": round(statistics.median(ms), 1), "p95": round(percentile(ms, 0.95), 1)}


def run(turns: int, answers: int) -> dict:
    questions = [q.q for q in load_questions(OUR_QUESTIONS)]
    embedder = load_embedder()
    with temp_dir("soak") as data_dir:
        settings = make_settings(data_dir)
        Indexer(settings, embedder).run()
        context = TutorContext(
            settings=settings,
            retriever=HybridRetriever.open(settings, embedder),
            learner_store=LearnerStore.open(settings),
            chat_model=InstantModel(messages=itertools.cycle([AIMessage(ANSWER)])),
            embed=CachedEmbed(embedder.embed),
        )
        chat = TutorChat(context, open_checkpointer(settings))
        # Quizzes are offline (question bank), over the same store and checkpoint file.
        quiz_context = TutorContext(
            settings=settings,
            retriever=context.retriever,
            learner_store=context.learner_store,
            offline=True,
            embed=context.embed,
        )
        quizzes = QuizSession(quiz_context, chat.checkpointer)
        quiz_every = max(1, turns // max(1, answers // QUESTIONS_PER_QUIZ))

        turn_ms: list[float] = []
        answered = 0
        rss_after_warmup = None
        asked = itertools.cycle(questions)
        session, pending = chat.resolve_session(None), None
        started_all = time.perf_counter()
        for i in range(turns):
            if i % TURNS_PER_SESSION == 0:
                session, pending = chat.resolve_session(None), None
            text = "skip" if pending else ("why?" if i % 4 == 3 else next(asked))
            started = time.perf_counter()
            result = chat.ask(text, session=session, on_token=lambda _t: None)
            turn_ms.append((time.perf_counter() - started) * 1000)
            pending = result.check
            if i + 1 == WARMUP_TURNS:
                rss_after_warmup = rss_mb()
            # A quiz now and then, answered "A" throughout (right and wrong answers both).
            if (i + 1) % quiz_every == 0 and answered < answers:
                step = quizzes.start(n=min(QUESTIONS_PER_QUIZ, answers - answered))
                while step.question is not None:
                    step = quizzes.answer(step.quiz, "A")
                    answered += 1
        seconds = time.perf_counter() - started_all
        rss_end = rss_mb()
        store = context.learner_store
        counts = store.summary()
        chat.close()
        sizes = {
            "learner_db_mb": round(db_mb(settings.learner_path), 2),
            "checkpoints_db_mb": round(db_mb(settings.checkpoints_path), 2),
        }
    return {
        "chat_turns": len(turn_ms),
        "quiz_answers": answered,
        "minutes": round(seconds / 60, 1),
        "rss_mb": {
            "after_warmup": round(rss_after_warmup or 0.0, 1),
            "end": round(rss_end, 1),
            "growth": round(rss_end - (rss_after_warmup or rss_end), 1),
        },
        **sizes,
        "store": {k: counts[k] for k in ("events", "sessions", "answers") if k in counts},
        "turn_ms_first_100": window(turn_ms[:WINDOW]),
        "turn_ms_last_100": window(turn_ms[-WINDOW:]),
        "target_rss_growth_mb": 50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    note(f"{args.turns} chat turns and {args.answers} quiz answers on one data dir ...")
    result = run(args.turns, args.answers)
    if args.json:
        print(json.dumps(result))
        return
    rss, first, last = result["rss_mb"], result["turn_ms_first_100"], result["turn_ms_last_100"]
    print(
        f"done: {result['chat_turns']} chat turns, {result['quiz_answers']} quiz answers "
        f"in {result['minutes']} min"
    )
    print(
        f"RSS             {rss['after_warmup']} MB after warm-up -> {rss['end']} MB at the end "
        f"(growth {rss['growth']} MB; target < {result['target_rss_growth_mb']} MB)"
    )
    print(
        f"databases       learner {result['learner_db_mb']} MB, "
        f"checkpoints {result['checkpoints_db_mb']} MB  ({result['store']})"
    )
    print(f"turn latency    first 100: p50 {first['p50']} ms, p95 {first['p95']} ms")
    print(f"                last 100:  p50 {last['p50']} ms, p95 {last['p95']} ms")


if __name__ == "__main__":
    main()
