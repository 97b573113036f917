"""Upgrades: a data dir written by an earlier tutor opens and migrates with every row kept;
one written by a newer tutor is refused with one line saying what to do, its bytes untouched.

The earlier stores are the SQL fixtures in `fixtures/` (see its README): `learner.sqlite` at
schema 1 (before quiz answers and reviews) and `tutor.sqlite` at schema 1 holding a small
notes folder. Everything runs through the CLI, as a learner who upgraded would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.corpus import catalog_schema as catalog
from tutor.learner import schema as learner

FIXTURES = Path(__file__).parent / "fixtures"
NOTES = FIXTURES / "notes"
NEWER = "was written by a newer tutor"
WHAT_TO_DO = "upgrade the tutor or point TUTOR_DATA_DIR elsewhere"


def load_fixture(name: str, target: Path) -> Path:
    """Write the store an earlier tutor left, from its SQL fixture."""
    script = (FIXTURES / name).read_text().replace("@NOTES@", str(NOTES.resolve()))
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(target) as db:
        db.executescript(script)
    db.close()
    return target


def rows(path: Path, table: str, columns: str = "*") -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        found = db.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()
    db.close()
    return found


def schema(path: Path) -> tuple[int, list[str]]:
    """The schema version and the migrations recorded by name."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        names = [n for (n,) in db.execute("SELECT name FROM migrations ORDER BY rowid")]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    return version, names


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def checks(stdout: str) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(stdout)}


CHUNK_COLUMNS = "id, path, ordinal, source, heading, section, text, span_start, span_end"


def test_an_earlier_data_dir_opens_migrates_and_keeps_every_row(isolated_env: Path) -> None:
    data = isolated_env
    learner_path = load_fixture("learner-v1.sql", data / "learner.sqlite")
    catalog_path = load_fixture("catalog-v1.sql", data / "tutor.sqlite")
    events, sessions, learners = (
        rows(learner_path, "events"),
        rows(learner_path, "sessions"),
        rows(learner_path, "learners"),
    )
    files, chunks = rows(catalog_path, "files"), rows(catalog_path, "chunks", CHUNK_COLUMNS)
    assert schema(learner_path) == (1, ["_m001_learner"]) and len(events) == 7

    # Progress reads the old store: migrated forward first, every event counted.
    code, stdout, _ = run("progress", "--json")
    assert code == 0
    progress = {row["topic"]: row for row in json.loads(stdout)}
    assert (progress["rlhf"]["attempts"], progress["rlhf"]["correct"]) == (3, 2)
    assert progress["rlhf"]["last_seen"] == "2025-04-30T08:10:00Z"
    assert (
        progress["prompt-engineering"]["attempts"],
        progress["prompt-engineering"]["correct"],
    ) == (1, 0)
    assert progress["rlhf"]["next_review"] is None  # no quiz answers before schema 2
    assert schema(learner_path) == (
        learner.SCHEMA_VERSION,
        [m.__name__ for m in learner.MIGRATIONS],
    )
    assert rows(learner_path, "answers") == [] and rows(learner_path, "cards") == []

    code, stdout, _ = run("sessions", "--json")
    listed = [(s["id"], s["turns"], s["title"]) for s in json.loads(stdout)]
    assert listed == [
        ("b7e41d09aa", 2, "How does few-shot prompting work?"),
        ("3f2a9c1b0d", 4, "What is RLHF?"),
    ]
    code, stdout, _ = run("sessions", "--learner", "ann", "--json")
    assert [s["id"] for s in json.loads(stdout)] == ["c0ffee1234"]

    # The doctor finds the old catalog whole, and the vector store (not kept) to repair.
    code, stdout, _ = run("doctor", "--json")
    found = checks(stdout)
    assert code == 1
    assert found["learner"]["ok"] and found["learner"]["detail"].startswith(
        f"schema {learner.SCHEMA_VERSION}, 2 learners, 7 events, 3 conversations"
    )
    assert found["index"]["ok"] and "4 chunks from 1 files" in found["index"]["detail"]
    assert "4 chunks without sentence vectors" in found["index"]["detail"]  # schema 3's
    failing = [c["detail"] for c in found.values() if c["required"] and not c["ok"]]
    assert failing and all("4 chunks" in d and "vector" in d for d in failing), failing

    # Indexing the same notes finds nothing changed and rebuilds the vectors from it.
    code, stdout, _ = run("index", str(NOTES), "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert (summary["files_indexed"], summary["chunks_unchanged"]) == (0, 4)
    assert (summary["chunks_added"], summary["chunks_removed"]) == (4, 0)
    code, stdout, _ = run("doctor", "--json")
    assert code == 0 and all(c["ok"] for c in json.loads(stdout) if c["required"])
    assert "sentence vectors" not in checks(stdout)["index"]["detail"]

    code, stdout, _ = run("search", "nearest chunks by cosine similarity", "--json")
    best = json.loads(stdout)[0]
    assert best["source"] == "notes/vector-search-notes.md" and best["lines"] == [13, 15]
    assert best["heading"] == "Vector search notes > Embeddings and similarity"

    # The current tutor writes into the migrated store beside the old rows.
    code, stdout, _ = run("ask", "How does vector search find chunks?", "--offline", "--json")
    assert code == 0
    new_session = json.loads(stdout)["session"]
    assert rows(learner_path, "events")[: len(events)] == events
    assert {k for (k,) in rows(learner_path, "events", "kind")[len(events) :]} == {"asked"}
    assert rows(learner_path, "learners") == learners
    assert rows(learner_path, "sessions")[: len(sessions)] == sessions
    assert [r[0] for r in rows(learner_path, "sessions")[len(sessions) :]] == [new_session]
    assert rows(catalog_path, "files") == files
    assert rows(catalog_path, "chunks", CHUNK_COLUMNS) == chunks
    assert schema(catalog_path) == (
        catalog.SCHEMA_VERSION,
        [m.__name__ for m in catalog.MIGRATIONS],
    )


# --- a store from a newer tutor -------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def from_the_future(path: Path, version: int) -> None:
    """Make `path` look written by a newer tutor: a higher schema, a table this tutor does
    not know, and the rollback journal (so any write this tutor made would show in the
    file's bytes, not in a side file)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("CREATE TABLE future_feature (id INTEGER PRIMARY KEY, body TEXT)")
        db.execute("INSERT INTO future_feature (body) VALUES ('written by a newer tutor')")
        db.execute(f"PRAGMA user_version = {version}")
    db.close()


LEARNER_COMMANDS = [
    ("progress", "--json"),
    ("sessions",),
    ("ask", "What is RLHF?", "--offline"),
    ("quiz", "--n", "1", "--offline"),
    ("export", "anki", "{tmp}/deck.apkg"),
    ("doctor", "--json"),
]
CATALOG_COMMANDS = [
    ("search", "What is RLHF?"),
    ("index",),
    ("ask", "What is RLHF?", "--offline"),
    ("doctor", "--json"),
]


@pytest.mark.parametrize(
    ("store", "name", "version", "commands"),
    [
        ("learner.sqlite", "the learner store", learner.SCHEMA_VERSION + 1, LEARNER_COMMANDS),
        ("tutor.sqlite", "the catalog", catalog.SCHEMA_VERSION + 1, CATALOG_COMMANDS),
    ],
    ids=["learner", "catalog"],
)
def test_a_store_from_a_newer_tutor_is_refused_untouched(
    store: str,
    name: str,
    version: int,
    commands: list[tuple[str, ...]],
    indexed_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data))
    if store == "learner.sqlite":  # an earlier learner, then a newer tutor wrote the store
        load_fixture("learner-v1.sql", data / store)
        run("progress")
    path = data / store
    from_the_future(path, version)
    before = sha256(path)
    expected = (
        f"the data dir {NEWER} ({name} has schema {version}, this one knows {version - 1}); "
        f"{WHAT_TO_DO}"
    )

    for command in commands:
        args = [arg.replace("{tmp}", str(tmp_path)) for arg in command]
        code, stdout, stderr = run(*args)
        assert code == 1, (command, stdout, stderr)
        if command[0] == "doctor":
            failed = [c for c in json.loads(stdout) if not c["ok"] and c["required"]]
            assert any(c["detail"] == expected for c in failed), failed
        else:
            assert stderr == f"error: {expected}\n", command
        assert sha256(path) == before, f"`tutor {' '.join(command)}` changed {store}"
        assert sorted(p.name for p in data.glob(f"{store}-*")) == [], command
