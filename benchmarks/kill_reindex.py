"""Faults injected into reindexing: `tutor index` killed (SIGKILL) --kills times.

The loop of tests/reliability/test_kill_reindex.py (tests/harness/reindex_kills.py), run
for longer. A small corpus flips
between two states, so every run has files to read, a catalog commit, vectors to delete
and chunks to embed and upsert; each run is killed a random delay after a step it is aimed
at (taking the lock, opening Chroma, reading, the catalog commit, the Chroma delete, the
model, embedding, the Chroma upsert, the topics commit, or just a delay from the start).
After every kill, in a fresh process: a search must answer or say in one line what to run,
`tutor doctor` must call the index healthy exactly when it equals a clean run, then the
index is recovered (`tutor index` and `tutor doctor --repair` in turn) and must equal a
clean run of the same corpus in the catalog, the full-text index and Chroma.

Printed: faults injected (runs killed), survived (every check passed), data lost (chunks of
the clean run missing from a store after recovery; must be 0), where the kills landed,
seconds per cycle.

Usage: python benchmarks/kill_reindex.py [--kills N] [--seed N] [--json]
About 2-3 s per kill on 2 CPU cores (100 kills: 4-5 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter

from _common import REPO_ROOT, format_table, load_embedder, note, temp_dir

sys.path.insert(0, str(REPO_ROOT))  # the harness lives with the tests
from tests.harness.reindex_kills import KillLoop
from tutor.config import PROJECT_CORPUS


def isolate_environment(root) -> None:
    """What the tests' fixtures do: no TUTOR_* settings from the shell, the project's
    topic map, no config file, no Ollama."""
    for name in list(os.environ):
        if name.startswith("TUTOR_") or name == "OLLAMA_HOST":
            del os.environ[name]
    os.environ["TUTOR_CORPUS_DIR"] = str(PROJECT_CORPUS)
    os.environ["TUTOR_CONFIG_FILE"] = str(root / "config.toml")
    os.environ["OLLAMA_HOST"] = "127.0.0.1:9"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run(kills: int, seed: int) -> dict:
    embedder = load_embedder()
    started = time.perf_counter()
    with temp_dir("kill") as root:
        isolate_environment(root)
        with KillLoop(root, embedder, seed=seed) as loop:
            cycles = loop.run(kills, report=lambda c: note(c.describe()))
    killed = [c for c in cycles if c.killed]
    return {
        "kills": kills,
        "seed": seed,
        "cycles": len(cycles),
        "faults_injected": len(killed),
        "survived": sum(c.ok for c in killed),
        "failed_cycles": [c.describe() for c in cycles if not c.ok],
        "data_lost_chunks": sum(c.lost for c in cycles),
        "landed": dict(Counter(c.landed for c in killed).most_common()),
        "recovered_by": dict(Counter(c.recovery for c in killed)),
        "seconds_per_cycle": round(statistics.mean(sum(c.seconds.values()) for c in cycles), 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    note(f"killing `tutor index` {args.kills} times (seed {args.seed}) ...")
    result = run(args.kills, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    print(f"faults injected   {result['faults_injected']} kills in {result['cycles']} runs")
    print(f"survived          {result['survived']}")
    print(f"data lost         {result['data_lost_chunks']} chunks")
    print(f"recovered by      {result['recovered_by']}")
    print(f"time              {result['seconds']} s, {result['seconds_per_cycle']} s per run")
    print()
    print(format_table(["killed in", "kills"], list(result["landed"].items())))
    for failure in result["failed_cycles"]:
        print(failure)


if __name__ == "__main__":
    main()
