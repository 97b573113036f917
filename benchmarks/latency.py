"""Per-turn overhead of the chat graph, excluding model time.

A chat model that answers instantly (a LangChain fake chat model streaming an 80-word
cited answer word by word, and a one-line question when asked to rewrite a follow-up)
stands in for Ollama, so what is timed is the tutor's
own work per turn: route, retrieve (query embedding, Chroma, BM25, fusion), prompt build,
streaming plumbing, the check offer, the memory write and the SQLite checkpoints, exactly
as `tutor ask` runs them (`TutorChat.ask` on a real data dir).

The turn mix cycles through benchmarks/questions.jsonl; every fourth turn is a follow-up
("why?", rewritten by the fake model), and a pending check is answered every other time
it is offered, so all routes are exercised. The first --warmup turns (model loading,
first Chroma query) are left out of the figures. Target: p95 <= 100 ms warm.

Usage: python benchmarks/latency.py [--turns N] [--warmup N] [--runtime onnx|torch] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time

from _common import (
    OUR_QUESTIONS,
    load_embedder,
    load_questions,
    make_settings,
    note,
    peak_rss_mb,
    percentile,
    stopwatch,
    temp_dir,
)
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from graphs.context import TutorContext
from graphs.prompts import REWRITE_PROMPT
from tutor.corpus.index import Indexer
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import CachedEmbed
from tutor.learner.store import LearnerStore
from tutor.runtime.chat import TutorChat
from tutor.runtime.checkpoints import open_checkpointer

ANSWER = (
    "Retrieval-augmented generation grounds a model's answer in passages fetched from an "
    "index [1]. The question is embedded, similar chunks are found by vector search, and "
    "they are placed in the prompt so the model can cite them [2]. This keeps answers "
    "current and checkable, and it lets governance rules decide which documents a model "
    "may see at all [1][3]. In Databricks, vector search and Unity Catalog play these "
    "parts, while MLflow tracks the chain as a model."
)


REWRITTEN = "Why does retrieval-augmented generation ground answers in passages?"


class InstantModel(GenericFakeChatModel):
    """Answers at once: the cited answer, or a short standalone question for a rewrite."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        rewrite = messages[0].content == REWRITE_PROMPT
        text = REWRITTEN if rewrite else ANSWER
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


class TimedRetriever:
    """The real retriever, timing each search (benchmark instrumentation only)."""

    def __init__(self, inner: HybridRetriever) -> None:
        self.inner = inner
        self.seconds: list[float] = []

    def search(self, query: str, k: int = 5, also=()):
        started = time.perf_counter()
        try:
            return self.inner.search(query, k, also)
        finally:
            self.seconds.append(time.perf_counter() - started)


def run(turns: int, warmup: int, runtime: str = "onnx") -> dict:
    questions = [q.q for q in load_questions(OUR_QUESTIONS)]
    embedder = load_embedder(runtime)
    with temp_dir("latency") as data_dir:
        settings = make_settings(data_dir)
        Indexer(settings, embedder).run()
        retriever = TimedRetriever(HybridRetriever.open(settings, embedder))
        model = InstantModel(messages=itertools.cycle([AIMessage(ANSWER)]))
        context = TutorContext(
            settings=settings,
            retriever=retriever,
            learner_store=LearnerStore.open(settings),
            chat_model=model,
            embed=CachedEmbed(embedder.embed),
        )
        chat = TutorChat(context, open_checkpointer(settings))
        session = chat.resolve_session(None)
        turn_seconds: list[float] = []
        search_seconds: list[float] = []
        routes: dict[str, int] = {}
        pending, answered = None, 0
        asked = itertools.cycle(questions)
        with stopwatch() as whole:
            for i in range(turns + warmup):
                if pending and answered % 2 == 0:
                    text = "skip"
                elif i % 4 == 3:
                    text = "why?"
                else:
                    text = next(asked)
                if pending:
                    answered += 1
                searches_before = len(retriever.seconds)
                started = time.perf_counter()
                result = chat.ask(text, session=session, on_token=lambda _t: None)
                elapsed = time.perf_counter() - started
                pending = result.check
                route = chat.graph.get_state({"configurable": {"thread_id": session}}).values[
                    "route"
                ]
                if i >= warmup:
                    turn_seconds.append(elapsed)
                    search_seconds.extend(retriever.seconds[searches_before:])
                    routes[route] = routes.get(route, 0) + 1
        chat.close()
        db_mb = settings.checkpoints_path.stat().st_size / 1e6
    ms = [s * 1000 for s in turn_seconds]
    search_ms = [s * 1000 for s in search_seconds]
    return {
        "turns": len(ms),
        "routes": routes,
        "turn_ms": {
            "p50": round(statistics.median(ms), 1),
            "p95": round(percentile(ms, 0.95), 1),
            "max": round(max(ms), 1),
            "mean": round(statistics.fmean(ms), 1),
        },
        "retrieval_ms": {
            "p50": round(statistics.median(search_ms), 1),
            "p95": round(percentile(search_ms, 0.95), 1),
        },
        "checkpoint_db_mb": round(db_mb, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "other_cores": round(whole.other_cores or 0.0, 2),
        "target_p95_ms": 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--runtime", choices=["onnx", "torch"], default="onnx", help="how the model runs"
    )
    args = parser.parse_args()
    note(f"running {args.turns} timed turns after {args.warmup} warm-up turns ...")
    result = run(args.turns, args.warmup, args.runtime)
    if args.json:
        print(json.dumps(result))
        return
    turn, search = result["turn_ms"], result["retrieval_ms"]
    print(f"turns timed          {result['turns']}  (routes: {result['routes']})")
    print(
        f"per-turn overhead    p50 {turn['p50']} ms   p95 {turn['p95']} ms   "
        f"max {turn['max']} ms   (target p95 <= {result['target_p95_ms']} ms)"
    )
    print(f"  of which retrieval p50 {search['p50']} ms   p95 {search['p95']} ms")
    print(f"checkpoint db        {result['checkpoint_db_mb']} MB after all turns")
    print(f"peak RSS             {result['peak_rss_mb']} MB")
    if result["other_cores"] > 0.2:
        print(f"note: other processes used {result['other_cores']} cores meanwhile")


if __name__ == "__main__":
    main()
