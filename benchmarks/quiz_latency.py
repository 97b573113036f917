"""Time per quiz step offline: building the question bank, then each answer graded,
recorded (answer, event, FSRS card in one transaction) and the next question made and
verified, with a checkpoint after every step, as `tutor quiz --offline` runs it.

Usage: python benchmarks/quiz_latency.py [--questions N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _common import load_embedder, make_settings, note, percentile, temp_dir

from graphs.context import TutorContext
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import CachedEmbed
from tutor.learner.store import LearnerStore
from tutor.runtime.checkpoints import open_checkpointer
from tutor.runtime.quiz_session import QuizSession


def run(questions: int) -> dict:
    embedder = load_embedder()
    with temp_dir("quiz") as data_dir:
        settings = make_settings(data_dir)
        Indexer(settings, embedder).run()
        retriever = HybridRetriever.open(settings, embedder)
        context = TutorContext(
            settings=settings,
            retriever=retriever,
            learner_store=LearnerStore.open(settings),
            offline=True,
            embed=CachedEmbed(embedder.embed),
        )
        session = QuizSession(context, open_checkpointer(settings))
        started = time.perf_counter()
        context.question_bank()
        bank_seconds = time.perf_counter() - started
        started = time.perf_counter()
        step = session.start(n=questions, kind="mixed")
        first_seconds = time.perf_counter() - started
        answers: list[float] = []
        while step.question is not None:
            started = time.perf_counter()
            step = session.answer(step.quiz, "A")
            answers.append(time.perf_counter() - started)
        session.close()
    ms = [a * 1000 for a in answers]
    return {
        "questions": len(ms),
        "bank_build_s": round(bank_seconds, 2),
        "first_question_ms": round(first_seconds * 1000, 1),
        "answer_step_ms": {
            "p50": round(statistics.median(ms), 1),
            "p95": round(percentile(ms, 0.95), 1),
            "max": round(max(ms), 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    note(f"an offline quiz of {args.questions} questions ...")
    result = run(args.questions)
    if args.json:
        print(json.dumps(result))
        return
    step = result["answer_step_ms"]
    print(f"question bank built   {result['bank_build_s']} s (model already loaded)")
    print(f"first question        {result['first_question_ms']} ms")
    print(
        f"per answer            p50 {step['p50']} ms   p95 {step['p95']} ms   max {step['max']} ms"
        f"   ({result['questions']} questions)"
    )


if __name__ == "__main__":
    main()
