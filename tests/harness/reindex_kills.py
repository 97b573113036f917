"""The reindex kill loop: `tutor index` killed (SIGKILL) at a step it is aimed at, then, in
a fresh process, a search, `tutor doctor` and a recovery (`tutor index` or `tutor doctor
--repair`, in turn), judged against a clean run of the same corpus."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.index_snapshot import chunks_lost, differences, index_snapshot
from tests.harness.two_state_corpus import TOPICS, write_corpus
from tests.harness.zygote import CHILD_TIMEOUT, Zygote, read_json, read_pickle
from tutor.config import Settings
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer

STEPS = ("start", "lock", "open", "read", "commit", "delete", "load", "embed", "upsert", "topics")
"""Where a kill is aimed: "start" is a delay from the process start; the others are marks
the indexer's steps write when they begin (see `zygote._trace_steps`)."""
MAX_DELAY = {
    "start": 1.0,
    "lock": 0.005,
    "open": 0.03,
    "read": 0.003,
    "commit": 0.003,
    "delete": 0.01,
    "load": 0.2,
    "embed": 0.15,
    "upsert": 0.02,
    "topics": 0.003,
}
"""Seconds: the kill comes a random delay up to this after the aimed step begins."""
REPEATED_STEPS = {"embed", "upsert", "topics"}
"""Steps a run takes more than once (per batch); a kill is aimed at the first or second."""
PLACES = {
    "": "before any step",
    "lock": "taking the lock",
    "open": "opening Chroma",
    "commit": "catalog commit (settings)",
    "read": "reading files",
    "read>commit": "catalog commit (chunk lists)",
    "delete": "Chroma delete",
    "load": "loading the model",
    "load>embed": "embedding topic descriptions",
    "embed": "embedding chunks",
    "upsert": "Chroma upsert",
    "topics": "catalog commit (topics)",
    "topics>commit": "catalog commit (topics)",
}


def landing(trace: str) -> str:
    """Where a run was when it died: the steps open at that moment, innermost last."""
    open_steps: list[str] = []
    for line in trace.split():
        if line.startswith("+"):
            open_steps.append(line[1:])
        elif open_steps and open_steps[-1] == line[1:]:
            open_steps.pop()
    if open_steps:
        return PLACES.get(">".join(open_steps), ">".join(open_steps))
    finished = [line[1:] for line in trace.split() if line.startswith("-")]
    return f"between steps (after {finished[-1]})" if finished else PLACES[""]


def judge_search(result: dict | None, indexed_before: bool) -> tuple[bool, str]:
    """A search after a kill answers (with passages, once an index was ever complete), or
    fails in one line that says what to run."""
    if result is None:
        return False, "the search process died"
    stderr = result["stderr"].strip()
    if result["code"] == 0:
        passages = json.loads(result["stdout"])
        if passages or not indexed_before:
            return True, f"answered ({len(passages)} passages)"
        return False, "answered nothing although an index was complete before"
    one_line = stderr.count("\n") == 0 and "Traceback" not in stderr
    advice = any(a in stderr for a in ("tutor index", "tutor doctor --repair"))
    if result["code"] == 1 and one_line and advice:
        return True, f"said: {stderr}"
    return False, f"exit {result['code']}: {stderr[:300]}"


def judge_doctor(result: dict | None, truth: list[str] | None) -> tuple[bool, str]:
    """`tutor doctor --json` runs, and calls the index healthy exactly when it equals the
    clean run (`truth`: how it differs; None if there is no index yet)."""
    if result is None:
        return False, "did not run"
    if result["code"] not in (0, 1) or "Traceback" in result["stderr"]:
        return False, f"exit {result['code']}: {result['stderr'].strip()[:300]}"
    checks = json.loads(result["stdout"])
    problems = [c["detail"] for c in checks if c["required"] and not c["ok"]]
    healthy = result["code"] == 0
    if truth is not None and healthy != (not truth):
        found = "; ".join(problems) or "nothing wrong"
        return False, f"found {found}; the stores differ from a clean run by: {truth or 'nothing'}"
    return True, "healthy" if healthy else f"{len(problems)} problems"


@dataclass
class Cycle:
    number: int
    state: str
    aim: str
    recovery: str
    killed: bool = False
    landed: str = ""
    search: str = ""
    doctor: str = ""
    lost: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.problems

    def describe(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        kill = f"killed in {self.landed}" if self.killed else "finished before the kill"
        took = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        details = "".join(f"\n      {p}" for p in self.problems)
        return (
            f"#{self.number:>3} {verdict:<6} state {self.state}, aimed at {self.aim}, {kill}; "
            f"search {self.search}; doctor {self.doctor}; {self.recovery}; lost {self.lost}; "
            f"{took}{details}"
        )


class KillLoop:
    """Kill `tutor index` over and over in one data dir, checking after every kill.

    `os.environ` must already isolate the tutor (data dir aside, which the loop sets):
    the clean reference runs read it in this process, the forked runs get a copy.
    """

    def __init__(
        self, root: Path, embedder: Embedder, zygote: Zygote | None = None, seed: int = 20
    ) -> None:
        self.root = root
        self.corpus = root / "corpus"
        self.data = root / "data"
        self.topics = root / "topics.toml"
        self.topics.write_text(TOPICS)
        self.rng = random.Random(seed)
        self.env = {
            **os.environ,
            "TUTOR_DATA_DIR": str(self.data),
            "TUTOR_TOPICS_FILE": str(self.topics),
        }
        self.own_zygote = zygote is None
        self.zygote = zygote or Zygote()
        self.references = {state: self._reference(state, embedder) for state in "ab"}

    def __enter__(self) -> KillLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.own_zygote:
            self.zygote.close()

    def _reference(self, state: str, embedder: Embedder) -> dict:
        write_corpus(self.corpus, state)
        settings = Settings(data_dir=self.root / f"clean-{state}", topics_file=self.topics)
        Indexer(settings, embedder).run([self.corpus])
        return index_snapshot(settings)

    def aim(self, number: int) -> tuple[str, int, float]:
        """(step, which occurrence, delay): the steps in turn, in a shuffled order."""
        if number % len(STEPS) == 0:
            self._order = self.rng.sample(STEPS, len(STEPS))
        step = self._order[number % len(STEPS)]
        occurrence = self.rng.randint(1, 2) if step in REPEATED_STEPS else 1
        return step, occurrence, self.rng.uniform(0.0, MAX_DELAY[step])

    def run(self, kills: int, report: Callable[[Cycle], None] | None = None) -> list[Cycle]:
        """Cycles until `kills` runs were killed (at most twice as many cycles)."""
        cycles: list[Cycle] = []
        while sum(c.killed for c in cycles) < kills and len(cycles) < 2 * kills:
            cycle = self.cycle(len(cycles))
            cycles.append(cycle)
            if report:
                report(cycle)
        return cycles

    def cycle(self, number: int) -> Cycle:
        step, occurrence, delay = self.aim(number)
        state = "ab"[number % 2]
        recovery = ("index", "repair")[number // 2 % 2]
        write_corpus(self.corpus, state)
        reference = self.references[state]
        workdir = self.root / f"cycle-{number:03}"
        workdir.mkdir()
        cycle = Cycle(number, state, f"{step} #{occurrence} +{delay * 1000:.0f} ms", recovery)

        started = time.monotonic()
        writer = self.zygote.start("index", str(self.corpus), self.env, str(workdir))
        cycle.killed = self._kill_at(writer, workdir / "trace", step, occurrence, delay)
        trace = (workdir / "trace").read_text() if (workdir / "trace").exists() else ""
        cycle.landed = landing(trace)
        if not cycle.killed:
            index = read_json(workdir / "index.json")
            if not index or index["code"] != 0:
                cycle.problems.append(f"the index run failed: {index}")
        cycle.seconds["kill"] = time.monotonic() - started

        started = time.monotonic()
        checker = self.zygote.start(f"check:{recovery}", str(self.corpus), self.env, str(workdir))
        code = self.zygote.wait(checker, CHILD_TIMEOUT)
        cycle.seconds["check"] = time.monotonic() - started
        if code is None:
            self.zygote.kill(checker)
            cycle.problems.append("the checking process hung")
        elif code != 0:
            cycle.problems.append(f"the checking process died (exit {code})")
        results = read_json(workdir / "check.json") or {}

        search_ok, cycle.search = judge_search(results.get("search"), number > 0)
        before = read_pickle(workdir / "before.pkl")
        truth = differences(before, reference) if before else None
        doctor_ok, cycle.doctor = judge_doctor(results.get("doctor"), truth)
        recovered = results.get("recovery") or {"code": None, "stdout": "", "stderr": ""}
        after = read_pickle(workdir / "after.pkl")
        after_truth = differences(after, reference) if after else None
        after_ok, after_said = judge_doctor(results.get("doctor after"), after_truth)
        for ok, problem in (
            (search_ok, f"search: {cycle.search}"),
            (doctor_ok, f"doctor after the kill: {cycle.doctor}"),
            (
                recovered["code"] == 0,
                f"{recovery} exited with {recovered['code']}: "
                + (recovered["stderr"] or recovered["stdout"]).strip()[-300:],
            ),
            (after_ok, f"doctor after {recovery}: {after_said}"),
            (after is not None, f"no snapshot after {recovery}"),
        ):
            if not ok:
                cycle.problems.append(problem)
        if after is not None:
            cycle.lost = chunks_lost(after, reference)
            cycle.problems += differences(after, reference)
        return cycle

    def _kill_at(self, pid: int, trace: Path, step: str, occurrence: int, delay: float) -> bool:
        """SIGKILL the process `delay` seconds after its `occurrence`-th `step` began;
        False if it ended first."""
        started = time.monotonic()
        mark = f"+{step}"
        while self.zygote.wait(pid) is None:
            if step == "start":
                reached = time.monotonic() - started >= delay
            else:
                seen = trace.read_text().split() if trace.exists() else []
                if step == "commit":  # the chunk lists' commit, not the settings' before it
                    seen = seen[seen.index("+read") :] if "+read" in seen else []
                reached = seen.count(mark) >= occurrence
            if reached:
                if step != "start":
                    time.sleep(delay)
                return self.zygote.kill(pid) == -signal.SIGKILL
            if time.monotonic() - started > CHILD_TIMEOUT:
                self.zygote.kill(pid)
                return False
            time.sleep(0.001)
        return False
