"""Disk trouble: the data dir is read-only, or the disk fills up, while the tutor indexes,
answers, records a quiz answer or saves the settings. The learner gets one line and exit
code 1; every store is as it was before (or a rerun converges), and no half-written file is
left behind.

The errors come from the operating system, in a child process:

- read-only: the data dir and its files lose their write bits. Root ignores those, so when
  the tests run as root the child runs without the capabilities that bypass file
  permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER dropped from its bounding
  set before it starts), as an ordinary learner would;
- full: the child's RLIMIT_FSIZE is lowered, so the kernel refuses to grow any file, either
  from the start of a command or at the moment a named step of it begins to write.

Loading the tutor (PyTorch, the embedding model, LangChain, Chroma) takes many seconds, so
one child loads it once per module and forks a fresh process per command: every command
starts from a clean process, as `tutor` does, without paying for the imports again.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fake_ollama import FakeOllama
from tutor.config import PROJECT_CORPUS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PERMISSION_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
PR_CAPBSET_DROP = 24


# --- the child: loads the tutor once, forks a process per command ---------------------------


def _serve() -> None:
    """Answer one JSON request per stdin line with one JSON line on stdout."""
    import importlib

    import tutor.cli
    from tutor.corpus.embeddings import Embedder

    # What every command imports or loads, once: each forked process inherits it.
    for module in ("chromadb", "graphs.chat.graph", "graphs.quiz.graph", "langchain_ollama"):
        importlib.import_module(module)
    Embedder().model  # noqa: B018  (loads the model)
    replies = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies goes to the test
    print(json.dumps({"ready": True, "readonly_works": _permissions_bind()}), file=replies)
    replies.flush()
    for line in sys.stdin:
        reply = _fork(json.loads(line), tutor.cli.main)
        print(json.dumps(reply), file=replies, flush=True)


def _permissions_bind() -> bool:
    """Whether this process is refused a write to a file without write permission."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "locked"
        target.write_text("x")
        target.chmod(0o444)
        try:
            target.write_text("y")
        except PermissionError:
            return True
        return False


def _fork(request: dict, main) -> dict:
    (in_r, in_w), (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the command's own process
        try:
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            code = _command(request, main)
        except BaseException:  # a bug in this harness, not in the tutor
            import traceback

            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    with os.fdopen(in_w, "wb") as stdin:
        stdin.write((request.get("input") or "").encode())
    captured: dict[int, bytes] = {}

    def drain(fd: int) -> None:
        with os.fdopen(fd, "rb") as stream:
            captured[fd] = stream.read()

    readers = [threading.Thread(target=drain, args=(fd,)) for fd in (out_r, err_r)]
    for reader in readers:
        reader.start()
    _, status = os.waitpid(pid, 0)
    for reader in readers:
        reader.join()
    return {
        "code": os.waitstatus_to_exitcode(status),
        "stdout": captured[out_r].decode(errors="replace"),
        "stderr": captured[err_r].decode(errors="replace"),
    }


def _command(request: dict, main) -> int:
    sys.stdin = open(0, encoding="utf-8")  # noqa: SIM115  (the pipe, for the whole process)
    sys.stdout = open(1, "w", encoding="utf-8")  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8")  # noqa: SIM115
    os.environ.update(request["env"])
    if request.get("fsize") is not None:
        _fill_disk(request["fsize"])
    if request.get("fill_at"):
        _fill_disk_when_called(request["fill_at"])
    if request.get("save_settings") is not None:
        from tutor.config import save_settings
        from tutor.errors import TutorError

        try:
            save_settings(request["save_settings"])
        except TutorError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    sys.argv = ["tutor", *request["argv"]]
    try:
        main()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0


def _fill_disk(limit: int) -> None:
    """From now on no file may grow past `limit` bytes: a write beyond it fails with EFBIG
    (Python ignores SIGXFSZ, so the call fails rather than the process dying)."""
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))


def _fill_disk_when_called(target: str) -> None:
    """The disk fills up the moment `module:Class.method` (or `module:function`) is called."""
    import importlib

    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    def filled(*args, **kwargs):
        _fill_disk(0)
        return original(*args, **kwargs)

    setattr(owner, name, filled)


# --- the test side ---------------------------------------------------------------------------


def _drop_permission_caps() -> None:
    """In the child before it starts: as root, give up what lets root ignore file modes.
    (If that is not allowed here, the child says so and the read-only tests skip.)"""
    for cap in PERMISSION_CAPS:
        _PRCTL(PR_CAPBSET_DROP, cap, 0, 0, 0)


# Looked up here, not between fork and exec, where only the call itself should run.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def assert_one_line_failure(self, *fragments: str) -> str:
        assert "Traceback" not in self.stdout + self.stderr, self.stderr
        assert self.code == 1, (self.code, self.stderr)
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("error: "), lines[0]
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        return lines[0]


class Tutor:
    """The child process that runs `tutor` commands."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
        env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), OLLAMA_HOST="127.0.0.1:9")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.test_disk_trouble"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_drop_permission_caps if os.geteuid() == 0 and _PRCTL else None,
        )
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline() or "{}")
        assert hello.get("ready"), "the tutor's child process did not start"
        self.readonly_works = bool(hello["readonly_works"])

    def run(self, *argv: str, env: dict[str, str], **options: Any) -> Result:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"argv": list(argv), "env": env, **options}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        assert reply, f"the tutor's child process died (exit code {self.process.poll()})"
        return Result(**json.loads(reply))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def tutor_child() -> Iterator[Tutor]:
    child = Tutor()
    yield child
    child.close()


@pytest.fixture
def home(indexed_data_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the indexed corpus, with some progress already recorded."""
    from tutor.learner.records import LearnerEvent
    from tutor.learner.store import LearnerStore

    data = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data)
    with LearnerStore(data / "learner.sqlite") as store:
        store.touch_session("earlier", "default", "What is few-shot prompting?", "offline")
        store.record_many(
            [
                LearnerEvent("default", "prompt-engineering", "asked", 1.7e9, key="earlier:1"),
                LearnerEvent("default", "rlhf", "wrong", 1.7e9 + 60, key="earlier:2"),
            ]
        )
    return data


def env_for(data: Path, tmp_path: Path, corpus: Path = PROJECT_CORPUS) -> dict[str, str]:
    return {
        "TUTOR_DATA_DIR": str(data),
        "TUTOR_CORPUS_DIR": str(corpus),
        "TUTOR_CONFIG_FILE": str(tmp_path / "config" / "config.toml"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }


def snapshot(data: Path) -> dict[str, Any]:
    """Every store's rows (tables with none left out), and that each is a sound SQLite
    file."""
    found: dict[str, Any] = {}
    for name, tables in (
        ("learner.sqlite", ("learners", "events", "sessions", "questions", "cards", "answers")),
        ("tutor.sqlite", ("meta", "files", "chunks")),
        ("checkpoints.sqlite", ("checkpoints", "writes")),
    ):
        path = data / name
        if not path.exists():
            continue
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), name
            for table in tables:
                rows = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
                if rows:
                    found[f"{name}:{table}"] = rows
        db.close()
    return found


def leftovers(folder: Path) -> list[str]:
    """Files a failed save would leave half-written."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".partial", ".tmp")))


class ReadOnly:
    """Folders made read-only (their files too), until `restore`."""

    def __init__(self) -> None:
        self.locked: list[tuple[Path, int]] = []

    def __call__(self, folder: Path) -> None:
        for path in [folder, *folder.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
            self.locked.append((path, mode))

    def restore(self) -> None:
        while self.locked:
            path, mode = self.locked.pop()
            path.chmod(mode)


@pytest.fixture
def read_only() -> Iterator[ReadOnly]:
    locks = ReadOnly()
    yield locks
    locks.restore()


QUESTION = "What is RLHF?"
NOTES = Path(__file__).parent / "fixtures" / "notes"  # four chunks to index


def expect_one_line(results: dict[str, Result]) -> None:
    """Each command ended with one line on stderr and exit code 1, never a traceback."""
    for name, result in results.items():
        assert "Traceback" not in result.stdout + result.stderr, (name, result.stderr)
        result.assert_one_line_failure()


def quiz_model(fake: FakeOllama) -> None:
    """Two true/false questions the fake model writes and vouches for, in order."""
    for statement in (
        "RLHF trains the reward model without any human preference data at all.",
        "RLHF removes the need for a reward model when tuning the policy.",
    ):
        made = {
            "question": statement,
            "options": ["True", "False"],
            "answer": "False",
            "explanation": "The passage says RLHF learns a reward model from human rankings.",
        }
        fake.serve_chat(json.dumps(made), chunk_words=False, once=True)
        fake.serve_chat(json.dumps({"supported": True, "reason": "stated"}), once=True)


# --- read-only -----------------------------------------------------------------------------


def test_a_read_only_data_dir(tutor_child: Tutor, home: Path, tmp_path: Path, read_only) -> None:
    if not tutor_child.readonly_works:
        pytest.skip("file permissions do not bind here (root keeping CAP_DAC_OVERRIDE)")
    env = env_for(home, tmp_path)
    before = snapshot(home)
    read_only(home)

    results = {
        "ask": tutor_child.run("ask", QUESTION, "--offline", env=env),
        "quiz": tutor_child.run("quiz", "--n", "1", "--offline", env=env, input="True\n"),
        "index": tutor_child.run("index", str(NOTES), env=env),
    }

    read_only.restore()  # SQLite may need to write beside a file only to read it
    assert snapshot(home) == before
    expect_one_line(results)


def test_a_read_only_vector_store(
    tutor_child: Tutor, home: Path, tmp_path: Path, read_only
) -> None:
    """Only `chroma/` cannot be written: searching and indexing stop with one line naming
    the vector store and what to do, and the catalog is left as it was."""
    if not tutor_child.readonly_works:
        pytest.skip("file permissions do not bind here (root keeping CAP_DAC_OVERRIDE)")
    env = env_for(home, tmp_path)
    before = snapshot(home)
    read_only(home / "chroma")

    search = tutor_child.run("search", QUESTION, "--json", env=env)
    index = tutor_child.run("index", str(NOTES), env=env)

    read_only.restore()
    # Chroma's embedded client opens its SQLite file for writing even to read.
    search.assert_one_line_failure("cannot open the vector store", "read-only")
    index.assert_one_line_failure("cannot open the vector store", "read-only")
    assert snapshot(home) == before  # the index run stopped before touching the catalog


def test_saving_settings_to_a_read_only_config_dir(
    tutor_child: Tutor, home: Path, tmp_path: Path, read_only
) -> None:
    if not tutor_child.readonly_works:
        pytest.skip("file permissions do not bind here (root keeping CAP_DAC_OVERRIDE)")
    env = env_for(home, tmp_path)
    saved = tutor_child.run(env=env, save_settings={"learner": "ann", "socratic": True})
    assert saved.code == 0, saved.stderr
    config = tmp_path / "config" / "config.toml"
    before = config.read_bytes()
    read_only(config.parent)

    result = tutor_child.run(env=env, save_settings={"ollama_model": "qwen2.5:3b"})

    line = result.assert_one_line_failure(f"cannot save the settings to {config}")
    assert line.endswith("Permission denied")
    assert config.read_bytes() == before and leftovers(config.parent) == []


# --- full ------------------------------------------------------------------------------------


def test_a_full_disk(tutor_child: Tutor, home: Path, tmp_path: Path) -> None:
    """Nothing can be written at all: every command stops at its first write."""
    env = env_for(home, tmp_path)
    before = snapshot(home)

    results = {
        "ask": tutor_child.run("ask", QUESTION, "--offline", env=env, fsize=0),
        "quiz": tutor_child.run("quiz", "--n", "1", "--offline", env=env, fsize=0, input="A\n"),
        "index": tutor_child.run("index", str(NOTES), env=env, fsize=0),
    }

    assert snapshot(home) == before
    expect_one_line(results)
    assert "(the disk may be full or failing" in results["ask"].stderr


def test_the_disk_filling_as_a_chat_turn_is_saved(
    tutor_child: Tutor, home: Path, tmp_path: Path
) -> None:
    env = env_for(home, tmp_path)
    before = snapshot(home)

    result = tutor_child.run(
        "ask", QUESTION, "--offline", env=env, fill_at="tutor.learner.store:LearnerStore._writing"
    )

    result.assert_one_line_failure(f"cannot save to the learner store {home / 'learner.sqlite'}")
    assert snapshot(home) == before  # nothing of the turn: no event, session or checkpoint
    again = tutor_child.run("ask", QUESTION, "--offline", "--json", env=env)
    assert again.code == 0 and json.loads(again.stdout)["answer"]


def test_the_disk_filling_as_the_conversation_is_saved(
    tutor_child: Tutor, home: Path, tmp_path: Path
) -> None:
    """The disk fills as the turn's conversation is about to be saved: the turn is saved
    nowhere, neither in the conversation nor in the learner's progress."""
    env = env_for(home, tmp_path)
    before = snapshot(home)

    result = tutor_child.run(
        "ask",
        QUESTION,
        "--offline",
        env=env,
        fill_at="tutor.runtime.checkpoints:TutorCheckpointer.put",
    )

    expect_one_line({"ask": result})
    assert snapshot(home) == before  # every store as it was, each a sound SQLite file


def test_a_failed_first_turn_leaves_no_conversation(
    tutor_child: Tutor, home: Path, tmp_path: Path
) -> None:
    env = env_for(home, tmp_path)
    listed = tutor_child.run("sessions", "--json", env=env)
    assert [s["id"] for s in json.loads(listed.stdout)] == ["earlier"]

    failed = tutor_child.run(
        "ask",
        QUESTION,
        "--offline",
        env=env,
        fill_at="tutor.runtime.checkpoints:TutorCheckpointer.put",
    )

    expect_one_line({"ask": failed})
    listed = tutor_child.run("sessions", "--json", env=env)
    assert listed.code == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)] == ["earlier"]
    # With room again, the same question starts a conversation that is listed.
    again = tutor_child.run("ask", QUESTION, "--offline", "--json", env=env)
    assert again.code == 0, again.stderr
    listed = tutor_child.run("sessions", "--json", env=env)
    new = json.loads(again.stdout)["session"]
    assert {(s["id"], s["turns"]) for s in json.loads(listed.stdout)} == {
        ("earlier", 1),
        (new, 1),
    }


def test_the_disk_filling_as_a_quiz_answer_is_saved(
    tutor_child: Tutor, home: Path, tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    env = {**env_for(home, tmp_path), "OLLAMA_HOST": fake_ollama.host}
    quiz_model(fake_ollama)
    quiz = ("quiz", "--n", "2", "--kind", "tf", "--topic", "rlhf")
    before = snapshot(home)

    result = tutor_child.run(
        *quiz, env=env, input="False\n", fill_at="tutor.learner.store:LearnerStore.record_answer"
    )

    result.assert_one_line_failure("cannot save to the learner store")
    assert "RLHF trains the reward model" in result.stdout  # the question was asked
    after = snapshot(home)
    for table in ("events", "answers", "cards", "questions"):
        key = f"learner.sqlite:{table}"
        assert after.get(key) == before.get(key), table

    # With room again, the quiz resumes: the answer given is recorded once, the quiz goes on.
    resumed = tutor_child.run("quiz", "--resume", "--json", env=env, input="False\n")
    assert resumed.code == 0, resumed.stderr
    *graded, final = (json.loads(line) for line in resumed.stdout.splitlines())
    assert [g["question"] for g in graded] == [
        "RLHF removes the need for a reward model when tuning the policy."
    ]
    assert final["summary"]["asked"] == 2 and final["summary"]["correct"] == 2
    answers = snapshot(home)["learner.sqlite:answers"]
    assert len(answers) == 2 and len({row[1] for row in answers}) == 2  # two keys, once each


def test_the_disk_filling_while_indexing(tutor_child: Tutor, home: Path, tmp_path: Path) -> None:
    env = env_for(home, tmp_path)
    before = snapshot(home)

    # Full as the catalog is first written to: the catalog stays as it was.
    result = tutor_child.run(
        "index", str(NOTES), env=env, fill_at="tutor.corpus.catalog:Catalog.transaction"
    )
    result.assert_one_line_failure(f"cannot save to the catalog {home / 'tutor.sqlite'}")
    assert snapshot(home) == before

    # Full once the catalog holds the notes' chunks, as their vectors are written.
    result = tutor_child.run(
        "index", str(NOTES), env=env, fill_at="tutor.corpus.vectors:VectorStore.upsert"
    )

    result.assert_one_line_failure("the vector store")
    after = snapshot(home)
    # The corpus's rows are untouched; the notes' chunks wait, unembedded, for a rerun.
    kept = {row[1] for row in before["tutor.sqlite:chunks"]}
    assert [r for r in after["tutor.sqlite:chunks"] if r[1] in kept] == before[
        "tutor.sqlite:chunks"
    ]
    pending = [r for r in after["tutor.sqlite:chunks"] if r[1] not in kept]
    assert len(pending) == 4 and all(row[-1] is None for row in pending)

    rerun = tutor_child.run("index", str(NOTES), "--json", env=env)
    assert rerun.code == 0, rerun.stderr
    assert json.loads(rerun.stdout)["chunks_added"] == 4
    found = tutor_child.run("search", "cosine similarity nearest chunks", "--json", env=env)
    assert json.loads(found.stdout)[0]["source"] == "notes/vector-search-notes.md"


def test_saving_settings_on_a_full_disk(tutor_child: Tutor, home: Path, tmp_path: Path) -> None:
    env = env_for(home, tmp_path)
    assert tutor_child.run(env=env, save_settings={"learner": "ann"}).code == 0
    config = tmp_path / "config" / "config.toml"
    before = config.read_bytes()

    # Room for 10 bytes: the new file is cut short mid-write.
    result = tutor_child.run(env=env, fsize=10, save_settings={"ollama_model": "qwen2.5:3b"})

    line = result.assert_one_line_failure(f"cannot save the settings to {config}")
    assert line.endswith("File too large")
    assert config.read_bytes() == before and leftovers(config.parent) == []


if __name__ == "__main__":
    _serve()
