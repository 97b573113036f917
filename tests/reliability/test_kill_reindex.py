"""`tutor index` killed (SIGKILL) at random points of a reindex, again and again; and
`tutor doctor --repair` mending drift planted by hand, and an unreadable vector store.

After every kill, in a fresh process: a search must answer, or say in one line what to
run (never die of a signal or print a traceback); `tutor doctor` must call the index
healthy exactly when it equals a clean run; then the index is recovered, by `tutor index`
and by `tutor doctor --repair` in turn, and every store must hold exactly what a clean run
of the same corpus holds: the catalog's files and chunks, the full-text index's entries,
and Chroma's ids, metadata, documents and vectors.

The corpus flips between two states (two files edited, one removed, one added), so every
run has files to read, a catalog commit, vectors to delete and chunks to embed and upsert.
The processes are forked from a "zygote" that has already imported the tutor, Chroma and
PyTorch and loaded the model's weights, so each costs what the command itself does, not
seconds of start-up; each runs `tutor.cli.main` as the console script does and opens the
stores itself. In the killed process the indexer's steps write marks to a trace file: a
kill is aimed at a step (then a random delay), and where it really landed is read back.
`benchmarks/kill_reindex.py` runs the same loop for longer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import json
import os
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import Indexer

pytestmark = pytest.mark.slow

QUERY = "How do reward signals shape a reinforcement learning agent?"
CHILD_EMBED_BATCH = 2
"""Chunks per embed/upsert/tag step in the killed runs: more steps, more places to land."""
STEPS = ("start", "lock", "open", "read", "commit", "delete", "load", "embed", "upsert", "topics")
"""Where a kill is aimed: "start" is a delay from the process start; the others are marks
the indexer's steps write when they begin (see `_trace_steps`)."""
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
CHILD_TIMEOUT = 180.0
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- the corpus ----------------------------------------------------------------------


def _sentences() -> list[str]:
    guide = (PROJECT_CORPUS / "databricks-genai-engineer-associate-guide.md").read_text()
    return [
        s.strip() + "."
        for s in guide.split(". ")
        if 60 < len(s.strip()) < 160 and "\n" not in s.strip() and "#" not in s
    ]


def write_corpus(folder: Path, state: str, files: int = 10) -> None:
    """State "a" or "b" of a small corpus of two-paragraph notes; "b" rewrites the start of
    two files (one paragraph replaced, one inserted above the rest), drops the last file
    and adds another. Writing a state over the other leaves exactly that state."""
    rng = random.Random(11)
    sentences = _sentences()

    def paragraph() -> str:
        return " ".join(rng.sample(sentences, 2))

    texts = {f"notes-{n:02}.md": [paragraph() for _ in range(2)] for n in range(files)}
    edits = [paragraph() for _ in range(4)]
    extra = [paragraph() for _ in range(2)]
    if state == "b":
        for n in range(2):
            name = f"notes-{n:02}.md"
            texts[name] = [edits[2 * n], edits[2 * n + 1], *texts[name][1:]]
        del texts[f"notes-{files - 1:02}.md"]
        texts["extra.md"] = extra
    folder.mkdir(parents=True, exist_ok=True)
    for existing in folder.glob("*.md"):
        if existing.name not in texts:
            existing.unlink()
    for name, paragraphs in texts.items():
        title = name.removesuffix(".md").replace("-", " ").title()
        (folder / name).write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n")


TOPICS = """\
[[topic]]
id = "rl"
title = "Reinforcement learning"
description = "Agents, rewards and policies."
keywords = ["reinforcement"]

[[topic]]
id = "rag"
title = "Retrieval"
description = "Retrieval augmented generation with vector search."
keywords = ["retrieval"]
"""
"""A small topic map: every run that embeds also embeds the topic descriptions, and the
project's fifteen long ones would cost more than the chunks do."""


# --- what the stores hold --------------------------------------------------------------


def index_snapshot(settings: Settings) -> dict | None:
    """Everything the catalog, the lexical index and Chroma hold, keyed by path or chunk
    id (rowids and timestamps, which differ between runs, left out); None before the
    first run."""
    from tutor.corpus.vectors import VectorStore

    if not settings.catalog_path.exists():
        return None
    db = sqlite3.connect(f"file:{settings.catalog_path}?mode=ro", uri=True)
    try:
        files = {
            row[0]: row[1:]
            for row in db.execute("SELECT path, source, root, sha256, size FROM files")
        }
        chunks = {
            row[0]: row[1:]
            for row in db.execute(
                "SELECT id, path, ordinal, source, heading, section, text, span_start, span_end,"
                " span_unit, content_hash, topics FROM chunks"
            )
        }
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key != 'last_indexed'"))
        chunk_of_row = dict(db.execute("SELECT rowid, id FROM chunks"))
        # What the full-text index itself holds, not the content table it points at.
        db.execute("CREATE VIRTUAL TABLE temp.lexicon USING fts5vocab(main, chunks_fts, instance)")
        entries: dict[str, list] = {}
        for row, column, term, offset in db.execute(
            "SELECT doc, col, term, offset FROM temp.lexicon"
        ):
            key = chunk_of_row.get(row, f"(row {row} of no chunk)")
            entries.setdefault(key, []).append((column, term, offset))
    finally:
        db.close()
    lexical = {k: hashlib.sha256(repr(sorted(v)).encode()).hexdigest() for k, v in entries.items()}
    store = VectorStore(settings, create=False, check_model=False)
    vectors: dict[str, tuple] = {}
    embeddings: dict[str, np.ndarray] = {}
    collection: dict = {}
    if store.exists:
        got = store._collection.get(include=["metadatas", "documents", "embeddings"])
        for i, metadata, document, vector in zip(
            got["ids"], got["metadatas"], got["documents"], got["embeddings"], strict=True
        ):
            vectors[i] = (sorted((metadata or {}).items()), document)
            embeddings[i] = np.asarray(vector, dtype=np.float32)
        collection = dict(store._collection.metadata or {})
    return {
        "files": files,
        "chunks": chunks,
        "meta": meta,
        "lexical": lexical,
        "vectors": vectors,
        "collection": collection,
        "embeddings": embeddings,
    }


def differences(got: dict, want: dict) -> list[str]:
    """How a snapshot differs from the reference, one line per store part."""
    problems = []
    for part in ("files", "chunks", "meta", "lexical", "vectors", "collection"):
        have, expected = got[part], want[part]
        if have == expected:
            continue
        missing = sorted(set(expected) - set(have))
        extra = sorted(set(have) - set(expected))
        changed = sorted(k for k in set(have) & set(expected) if have[k] != expected[k])
        example = (missing + extra + changed)[:1]
        problems.append(
            f"{part}: {len(missing)} missing, {len(extra)} extra, {len(changed)} differ"
            f" (e.g. {example})"
        )
    common = sorted(set(got["embeddings"]) & set(want["embeddings"]))
    if common:
        gap = max(
            float(np.max(np.abs(got["embeddings"][i] - want["embeddings"][i]))) for i in common
        )
        if gap > 1e-4:
            problems.append(f"embeddings: differ by up to {gap:.2g}")
    return problems


def chunks_lost(got: dict, want: dict) -> int:
    """Chunks of the reference missing from any of the three stores."""
    lost: set[str] = set()
    for part in ("chunks", "lexical", "vectors"):
        lost |= set(want[part]) - set(got[part])
    return len(lost)


# --- inside the forked processes -------------------------------------------------------


def _run_cli(args: list[str]) -> dict:
    """`tutor ARGS` in this process, as the console script runs it."""
    from tutor.cli import main

    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["tutor", *args]
    code: int = 0
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    return {
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "seconds": time.monotonic() - started,
    }


def _trace_steps(path: Path) -> None:
    """Make the indexer's steps append `+step` and `-step` lines to `path` as they begin
    and end (each line one `write`, so a kill never leaves half a line)."""
    from tutor.corpus.catalog import Catalog
    from tutor.corpus.index import Indexer, IndexLock
    from tutor.corpus.topics import TopicTagger
    from tutor.corpus.vectors import VectorStore

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def mark(line: str) -> None:
        os.write(fd, f"{line}\n".encode())

    def traced(function: Callable, step: str) -> Callable:
        @functools.wraps(function)
        def run(*args, **kwargs):
            mark(f"+{step}")
            result = function(*args, **kwargs)
            mark(f"-{step}")
            return result

        return run

    transaction = Catalog.transaction

    @contextlib.contextmanager
    def traced_transaction(self):
        mark("+commit")
        with transaction(self) as db:
            yield db
        mark("-commit")

    IndexLock.__enter__ = traced(IndexLock.__enter__, "lock")
    VectorStore.__init__ = traced(VectorStore.__init__, "open")
    Indexer._apply_files = traced(Indexer._apply_files, "read")
    Catalog.transaction = traced_transaction
    VectorStore.delete = traced(VectorStore.delete, "delete")
    TopicTagger.build = staticmethod(traced(TopicTagger.build, "load"))
    Embedder.embed = traced(Embedder.embed, "embed")
    VectorStore.upsert = traced(VectorStore.upsert, "upsert")
    Catalog.set_topics = traced(Catalog.set_topics, "topics")


RECOVERY = {
    "index": ["index", "{corpus}", "--json"],
    "repair": ["doctor", "--repair", "--json"],
}
"""The two ways back from a kill; the loop takes them in turn."""


def _child(task: str, corpus: str, env: dict[str, str], workdir: str) -> None:
    """A forked process. "index" is the run to kill. "check:index" and "check:repair"
    search, run `tutor doctor`, snapshot the stores, recover (by `tutor index` or
    `tutor doctor --repair`), then run `tutor doctor` and snapshot them again. "commands"
    runs the commands listed in `commands.json`, then snapshots the stores."""
    os.environ.clear()
    os.environ.update(env)
    folder = Path(workdir)
    log = os.open(folder / f"{task}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if task == "index":
        import tutor.corpus.index

        _trace_steps(folder / "trace")
        tutor.corpus.index.EMBED_BATCH = CHILD_EMBED_BATCH
        (folder / "index.json").write_text(json.dumps(_run_cli(["index", corpus, "--json"])))
        return
    results: dict[str, dict] = {}

    def step(name: str, args: list[str]) -> None:
        # Saved after every step, so a process that dies says where.
        results[name] = _run_cli([corpus if a == "{corpus}" else a for a in args])
        (folder / "check.json").write_text(json.dumps(results))

    if task == "commands":
        for name, args in json.loads((folder / "commands.json").read_text()):
            step(name, args)
        (folder / "after.pkl").write_bytes(pickle.dumps(index_snapshot(Settings())))
        return
    step("search", ["search", "--json", "--k", "3", QUERY])
    step("doctor", ["doctor", "--json"])
    (folder / "before.pkl").write_bytes(pickle.dumps(index_snapshot(Settings())))
    step("recovery", RECOVERY[task.removeprefix("check:")])
    step("doctor after", ["doctor", "--json"])
    (folder / "after.pkl").write_bytes(pickle.dumps(index_snapshot(Settings())))


class Zygote:
    """A process with the tutor, Chroma and PyTorch imported and the model's weights
    loaded, which forks the processes the loop runs (requests and answers are JSON lines
    on its stdin and stdout).

    Nothing has run on the model in it: a process forked after a PyTorch op can hang in
    OpenMP; one forked before starts in milliseconds, with nothing left to import or load.
    """

    def __init__(self) -> None:
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import _zygote; _zygote()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": path},
        )
        self.ready = False

    def _ask(self, request: dict):
        if not self.ready:  # it loads while the caller does something else
            if self.process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the zygote process did not start ({self.process.wait()})")
            self.ready = True
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the zygote process ended (exit {self.process.wait()})")
        return json.loads(answer)

    def start(self, *args: str | dict) -> int:
        """Fork a process that runs `_child(*args)`; returns its pid."""
        return self._ask({"fork": args})

    def wait(self, pid: int, timeout: float = 0.0) -> int | None:
        """Its exit code (negative: the signal that ended it), or None while it runs."""
        return self._ask({"wait": pid, "timeout": timeout})

    def kill(self, pid: int) -> int | None:
        os.kill(pid, signal.SIGKILL)
        return self.wait(pid, CHILD_TIMEOUT)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def _zygote() -> None:
    for module in (
        "chromadb",
        "tutor.cli",
        "tutor.runtime.doctor",
        "tutor.corpus.repair",
        "tutor.corpus.search",
    ):
        importlib.import_module(module)
    Embedder().model  # noqa: B018  (loads the weights; runs nothing)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "fork" in request:
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    _child(*request["fork"])
                except BaseException:
                    traceback.print_exc()
                    code = 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            answer = pid
        else:
            answer = None
            deadline = time.monotonic() + request["timeout"]
            while True:
                done, status = os.waitpid(request["wait"], os.WNOHANG)
                if done:
                    answer = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.005)
        print(json.dumps(answer), flush=True)


# --- the loop --------------------------------------------------------------------------


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
            index = _read_json(workdir / "index.json")
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
        results = _read_json(workdir / "check.json") or {}

        search_ok, cycle.search = judge_search(results.get("search"), number > 0)
        before = _read_pickle(workdir / "before.pkl")
        truth = differences(before, reference) if before else None
        doctor_ok, cycle.doctor = judge_doctor(results.get("doctor"), truth)
        recovered = results.get("recovery") or {"code": None, "stdout": "", "stderr": ""}
        after = _read_pickle(workdir / "after.pkl")
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


def run_commands(zygote: Zygote, env: dict[str, str], workdir: Path, commands: list) -> dict:
    """Run `tutor` commands, given as [name, args], one after the other in a forked
    process; their results by name, and "snapshot": the stores afterwards."""
    workdir.mkdir()
    (workdir / "commands.json").write_text(json.dumps(commands))
    code = zygote.wait(zygote.start("commands", "", env, str(workdir)), CHILD_TIMEOUT)
    assert code == 0, (workdir / "commands.log").read_text()[-2000:]
    return {**_read_json(workdir / "check.json"), "snapshot": _read_pickle(workdir / "after.pkl")}


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _read_pickle(path: Path) -> dict | None:
    return pickle.loads(path.read_bytes()) if path.exists() else None


# --- the tests -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zygote():
    server = Zygote()
    yield server
    server.close()


def test_killed_reindex_always_converges_to_a_clean_run(tmp_path, embedder, zygote):
    started = time.monotonic()
    with KillLoop(tmp_path, embedder, zygote) as loop:
        print(f"references built in {time.monotonic() - started:.0f}s", flush=True)
        cycles = loop.run(kills=20, report=lambda c: print(c.describe(), flush=True))

    killed = [c for c in cycles if c.killed]
    assert len(killed) >= 20
    failed = [c.describe() for c in cycles if not c.ok]
    assert not failed, "\n".join(failed)
    print(f"{len(killed)} kills in {time.monotonic() - started:.0f}s")


def _count_embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text embedded in this process from now on."""
    texts: list[str] = []
    embed = Embedder.embed

    def counting(self: Embedder, batch: list[str]):
        texts.extend(batch)
        return embed(self, batch)

    monkeypatch.setattr(Embedder, "embed", counting)
    return texts


def test_doctor_reports_each_kind_of_drift_and_repair_mends_it(tmp_path, embedder, monkeypatch):
    from typer.testing import CliRunner

    from tutor.cli import app
    from tutor.corpus.vectors import VectorStore

    topics = tmp_path / "topics.toml"
    topics.write_text(TOPICS)
    monkeypatch.setenv("TUTOR_TOPICS_FILE", str(topics))
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "a")
    settings = Settings()
    Indexer(settings, embedder).run([corpus])
    indexed = index_snapshot(settings)
    first_chunk = {}
    for chunk_id, row in sorted(indexed["chunks"].items(), key=lambda item: item[1][:2]):
        first_chunk.setdefault(Path(row[0]).name, chunk_id)
    lost_rows = [i for i, row in indexed["chunks"].items() if row[0].endswith("notes-06.md")]

    # Drift of every kind, planted by hand.
    store = VectorStore(settings)
    lost_vectors = [first_chunk["notes-01.md"], first_chunk["notes-02.md"]]
    store.delete(lost_vectors)
    vector = indexed["embeddings"][first_chunk["notes-00.md"]]
    store.upsert(["orphan-1", "orphan-2"], [vector] * 2, [{"content_hash": "x"}] * 2, ["a", "b"])
    store._collection.update(ids=[first_chunk["notes-03.md"]], metadatas=[{"topics": "made-up"}])
    db = sqlite3.connect(settings.catalog_path)
    with db:
        for chunk_id in (first_chunk["notes-04.md"], first_chunk["notes-05.md"]):
            row = db.execute("SELECT rowid, section, text FROM chunks WHERE id = ?", (chunk_id,))
            db.execute(
                "INSERT INTO chunks_fts(chunks_fts, rowid, section, text)"
                " VALUES ('delete', ?, ?, ?)",
                row.fetchone(),
            )
        db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in lost_rows])
    db.close()
    (corpus / "notes-07.md").unlink()
    edited = corpus / "notes-08.md"
    edited.write_text(edited.read_text().replace(". ", ", and so on. ", 1))
    clean = Settings(data_dir=tmp_path / "clean")
    Indexer(clean, embedder).run([corpus])
    reference = index_snapshot(clean)
    runner = CliRunner()

    result = runner.invoke(app, ["doctor"])

    assert result.exit_code == 1
    drift = [line for line in result.stdout.splitlines() if " drift " in line]
    assert drift == [
        "FAIL drift        1 file changed on disk since indexed: corpus/notes-08.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        1 file indexed but no longer on disk: corpus/notes-07.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        1 file with chunks lost or altered in the catalog: corpus/notes-06.md; "
        "run `tutor doctor --repair`",
        "FAIL drift        2 chunks have no vector in Chroma; run `tutor doctor --repair`",
        "FAIL drift        2 chunks are missing from the full-text index; "
        "run `tutor doctor --repair`",
        f"FAIL drift        {2 + len(lost_rows)} vectors belong to no chunk "
        "(Chroma); run `tutor doctor --repair`",
        "FAIL drift        1 vector disagrees with its chunk (Chroma); run `tutor doctor --repair`",
    ]
    checks = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    figures = [c["figures"] for c in checks if c["name"] == "drift"]
    assert len(figures) == 7 and all(f == figures[0] for f in figures)
    assert figures[0] == {
        "files_changed": 1,
        "files_missing": 1,
        "files_damaged": 1,
        "chunks_unowned": 0,
        "chunks_pending": 0,
        "vectors_missing": 2,
        "vectors_orphaned": 2 + len(lost_rows),
        "vectors_stale": 1,
        "lexical_missing": 2,
        "lexical_orphaned": 0,
    }
    embedded = _count_embedded(monkeypatch)

    repaired = runner.invoke(app, ["doctor", "--repair"])

    assert repaired.exit_code == 0, repaired.output
    # Embedded: the two lost vectors and the edited file's new chunks, and the two topic
    # descriptions the tagger needs; the re-read file's chunks kept their vectors.
    redo = set(reference["chunks"]) - set(indexed["chunks"]) | set(lost_vectors)
    gone = [i for i, row in indexed["chunks"].items() if row[0].endswith("notes-07.md")]
    assert repaired.stdout.splitlines()[0] == (
        f"Repaired: 1 file re-read, 1 missing file forgotten, {2 + len(gone)} stray vectors "
        "deleted, 3 missing or wrong vectors redone, 1 changed file reindexed, full-text "
        f"index rebuilt, {len(redo)} chunks embedded."
    )
    assert "ok   drift        files, manifest, lexical index and Chroma agree" in repaired.stdout
    assert differences(index_snapshot(settings), reference) == []
    assert len(embedded) == len(redo) + 2
    texts = {text.split("\n\n", 1)[-1] for text in embedded}
    assert {reference["chunks"][i][5] for i in redo} <= texts


def test_an_unreadable_vector_store_is_set_aside_and_rebuilt(tmp_path, embedder, zygote):
    topics = tmp_path / "topics.toml"
    topics.write_text(TOPICS)
    corpus = tmp_path / "corpus"
    write_corpus(corpus, "a")
    data = tmp_path / "data"
    env = {**os.environ, "TUTOR_DATA_DIR": str(data), "TUTOR_TOPICS_FILE": str(topics)}
    clean = Settings(data_dir=tmp_path / "clean", topics_file=topics)
    Indexer(clean, embedder).run([corpus])
    reference = index_snapshot(clean)
    run_commands(zygote, env, tmp_path / "first", [["index", ["index", str(corpus)]]])
    # Chroma's database cut short: every process that opens the store now fails to.
    database = data / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 10)

    results = run_commands(
        zygote,
        env,
        tmp_path / "second",
        [
            ["search", ["search", QUERY]],
            ["doctor", ["doctor", "--json"]],
            ["repair", ["doctor", "--repair", "--json"]],
        ],
    )

    search = results["search"]
    assert search["code"] == 1 and search["stderr"].count("\n") == 1
    assert search["stderr"].startswith("error: cannot open the vector store")
    assert search["stderr"].strip().endswith("run `tutor doctor --repair` to rebuild it")
    doctor = {c["name"]: c for c in json.loads(results["doctor"]["stdout"])}
    assert results["doctor"]["code"] == 1
    assert not doctor["chroma"]["ok"] and "drift" not in doctor
    assert results["repair"]["code"] == 0, results["repair"]
    repaired = json.loads(results["repair"]["stdout"])
    moved = Path(repaired["repair"]["damaged_store_moved_to"])
    assert moved.parent == data and (moved / "chroma.sqlite3").exists()
    assert repaired["repair"]["index"]["chunks_added"] == len(reference["chunks"])
    assert all(c["ok"] for c in repaired["checks"] if c["required"])
    assert differences(results["snapshot"], reference) == []
