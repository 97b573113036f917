"""The `tutor` runs of the reindex kill loop: a zygote process, with the tutor, Chroma and
PyTorch imported and the model's weights loaded, forks them, so each costs what the command
itself does, not seconds of start-up. Each runs `tutor.cli.main` as the console script
does; in the run to be killed the indexer's steps write marks to a trace file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.harness import REPO_ROOT
from tests.harness.index_snapshot import index_snapshot
from tutor.config import Settings
from tutor.corpus.embeddings import Embedder

QUERY = "How do reward signals shape a reinforcement learning agent?"
CHILD_EMBED_BATCH = 2
"""Chunks per embed/upsert/tag step in the killed runs: more steps, more places to land."""
CHILD_TIMEOUT = 180.0


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
    Catalog.set_tags = traced(Catalog.set_tags, "topics")


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


def run_commands(zygote: Zygote, env: dict[str, str], workdir: Path, commands: list) -> dict:
    """Run `tutor` commands, given as [name, args], one after the other in a forked
    process; their results by name, and "snapshot": the stores afterwards."""
    workdir.mkdir()
    (workdir / "commands.json").write_text(json.dumps(commands))
    code = zygote.wait(zygote.start("commands", "", env, str(workdir)), CHILD_TIMEOUT)
    assert code == 0, (workdir / "commands.log").read_text()[-2000:]
    return {**read_json(workdir / "check.json"), "snapshot": read_pickle(workdir / "after.pkl")}


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def read_pickle(path: Path) -> dict | None:
    return pickle.loads(path.read_bytes()) if path.exists() else None
