"""The learner store: migrations, idempotent and atomic recording, progress, readers and
writers (sessions and chat turns: `test_sessions.py`)."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tutor import storage as migrations
from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.topics import Topic, load_topics
from tutor.errors import StoreVersionError, TutorError
from tutor.learner.mastery import DAY
from tutor.learner.records import LearnerEvent
from tutor.learner.schema import MIGRATIONS, SCHEMA_VERSION
from tutor.learner.store import LearnerStore

NOW = 1_750_000_000.0
TOPICS = [Topic(i, f"Topic {i.upper()}", f"about {i}") for i in ("a", "b", "c", "d", "e", "f")]


def event(kind: str, topic: str = "a", *, learner: str = "ann", days_ago: float = 0, key=None):
    return LearnerEvent(
        learner,
        topic,
        kind,  # type: ignore[arg-type]
        NOW - days_ago * DAY,
        question=f"what about {topic}?",
        source="test",
        session="s1",
        key=key,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "learner.sqlite"


@pytest.fixture
def store(path: Path):
    with LearnerStore(path) as opened:
        yield opened


# --- migrations ------------------------------------------------------------------------


def test_a_fresh_store_is_created_at_the_current_schema(path):
    LearnerStore(path).close()
    LearnerStore(path).close()  # a second open changes nothing
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    names = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [step.__name__ for step in MIGRATIONS]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"learners", "events", "sessions", "questions", "cards", "answers"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_run_on_an_in_memory_database():
    db = sqlite3.connect(":memory:")
    migrations.migrate(db, MIGRATIONS, "the learner store")
    migrations.migrate(db, MIGRATIONS, "the learner store")
    assert migrations.schema_version(db) == SCHEMA_VERSION


def test_settings_put_the_store_in_the_data_dir(settings: Settings):
    with LearnerStore.open(settings) as store:
        store.record(event("right"))
    assert settings.learner_path == settings.data_dir / "learner.sqlite"
    assert settings.learner_path.exists()


def test_a_newer_schema_is_refused_untouched(path):
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreVersionError, match=r"newer tutor.*the learner store has schema"):
            LearnerStore(path, readonly=readonly)
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_corrupt_store_is_one_clear_error(path):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TutorError, match="cannot open the learner store"):
        LearnerStore(path)


def test_a_later_migration_runs_once_and_a_failing_one_leaves_nothing():
    db = sqlite3.connect(":memory:")
    migrations.migrate(db, MIGRATIONS, "the learner store")

    def _m100_extra(db: sqlite3.Connection) -> None:
        migrations.run_script(db, "CREATE TABLE extra (id TEXT PRIMARY KEY); CREATE TABLE x (y);")

    def _m003_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (z)")
        raise RuntimeError("step failed")

    migrations.migrate(db, [*MIGRATIONS, _m100_extra], "the learner store")
    assert migrations.schema_version(db) == SCHEMA_VERSION + 1
    with pytest.raises(RuntimeError):
        migrations.migrate(db, [*MIGRATIONS, _m100_extra, _m003_broken], "the learner store")
    assert migrations.schema_version(db) == SCHEMA_VERSION + 1
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "extra" in tables and "half_done" not in tables
    names = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [*(step.__name__ for step in MIGRATIONS), "_m100_extra"]


# --- recording -------------------------------------------------------------------------


def test_the_same_key_is_recorded_once(store):
    assert store.record(event("right", key="turn-1")) is True
    assert store.record(event("wrong", key="turn-1")) is False  # the first write wins
    assert [e.kind for e in store.events("ann")] == ["right"]
    assert store.record_many([event("asked", key="turn-1"), event("asked", key="turn-2")]) == 1
    assert len(store.events("ann")) == 2


def test_events_without_a_key_are_always_new(store):
    assert store.record(event("asked")) and store.record(event("asked"))
    assert len(store.events("ann")) == 2
    assert len({e.key for e in store.events("ann")}) == 2


def test_record_many_is_all_or_nothing(store):
    store.record(event("right", key="before"))
    # make the second insert fail inside the transaction
    store.db.execute(
        "CREATE TEMP TRIGGER fail BEFORE INSERT ON main.events WHEN new.topic = 'boom'"
        " BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    batch = [event("right", "a", key="k1"), event("wrong", "boom", key="k2")]
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store.record_many(batch)
    assert [e.key for e in store.events("ann")] == ["before"]
    store.db.execute("DROP TRIGGER temp.fail")
    assert store.record_many(batch) == 2


def test_the_kind_check_is_enforced_by_the_schema_too(store):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"), store._writing() as db:
        db.execute("INSERT INTO learners VALUES ('ann', 0)")
        db.execute(
            "INSERT INTO events (key, learner, topic, kind, at) VALUES ('x', 'ann', 'a', 'meh', 0)"
        )
    assert store.learners() == []  # rolled back with it


def test_bad_events_are_refused_where_they_are_made():
    with pytest.raises(ValueError, match="kind"):
        event("maybe")
    with pytest.raises(ValueError, match="learner and a topic"):
        LearnerEvent("ann", "", "right", NOW)
    with pytest.raises(ValueError, match="finite"):
        LearnerEvent("ann", "a", "right", float("nan"))


def test_learners_are_kept_apart(store):
    store.record_many([event("right", learner="ann"), event("wrong", "b", learner="bob")])
    assert store.learners() == ["ann", "bob"]
    assert [(e.topic, e.kind) for e in store.events("ann")] == [("a", "right")]
    assert [(e.topic, e.kind) for e in store.events("bob")] == [("b", "wrong")]
    assert store.events("bob", topic="a") == []
    assert store.progress("carol", TOPICS, NOW)[0].mastery.attempts == 0


def test_events_come_back_as_recorded_oldest_first(store):
    first = event("asked", "c", days_ago=2, key="k1")
    second = event("right", "c", days_ago=1, key="k2")
    store.record_many([second, first])
    assert store.events("ann", topic="c") == [first, second]


# --- progress --------------------------------------------------------------------------


def test_progress_covers_every_topic_and_ignores_unknown_ones(store):
    store.record_many(
        [
            event("right", "b", days_ago=3),
            event("wrong", "b", days_ago=3),
            event("wrong", "b", days_ago=3),
            event("right", "retired-topic"),
        ]
    )
    rows = store.progress("ann", TOPICS, NOW)
    assert [row.topic for row in rows] == [t.id for t in TOPICS]
    a, b = rows[0], rows[1]
    assert a.reason == "not started" and a.mastery.mastery == 0.5
    assert b.reason == "2 of 3 checks wrong, last seen 3 days ago"
    assert b.to_dict() == {
        "topic": "b",
        "title": "Topic B",
        "mastery": round(b.mastery.mastery, 3),
        "attempts": 3,
        "correct": 1,
        "last_seen": "2025-06-12T15:06:40Z",
    }
    assert a.to_dict()["last_seen"] is None
    assert all(row.mastery.attempts == 0 for row in rows if row.topic != "b")


def test_progress_works_with_the_real_topic_map(store):
    topic_map = load_topics(PROJECT_CORPUS / "topics.toml")
    first = topic_map.topics[0]
    store.record(event("right", first.id))
    rows = store.progress("ann", topic_map.topics, NOW)
    assert len(rows) == len(topic_map.topics)
    assert rows[0].title == first.title and rows[0].mastery.correct == 1


def test_weak_topics_rank_weakest_first_with_a_documented_tie_break(store):
    store.record_many(
        [
            event("right", "b"),
            event("wrong", "b"),  # 0.5 with evidence: outranks never-studied a and f
            event("wrong", "c"),  # 1/3: the weakest
            event("right", "d"),  # 2/3 on one answer
            *[event("right", "e") for _ in range(3)],
            event("wrong", "e"),  # 2/3 on four answers: more surely learnt than d
        ]
    )
    ranked = store.weak_topics("ann", TOPICS, 10, NOW)
    # Never-studied a and f are not weak, only not started: they are left out.
    assert [row.topic for row in ranked] == ["c", "b", "d", "e"]
    assert [row.topic for row in store.weak_topics("ann", TOPICS, 3, NOW)] == ["c", "b", "d"]
    assert [row.topic for row in store.not_started("ann", TOPICS)] == ["a", "f"]
    assert ranked[0].reason == "1 of 1 checks wrong, last seen today"
    assert store.weak_topics("ann", TOPICS, 0, NOW) == []


def test_old_mistakes_fade_from_the_weak_list(store):
    store.record_many([event("wrong", "a", days_ago=120), event("wrong", "b", days_ago=1)])
    ranked = store.weak_topics("ann", TOPICS[:3], 3, NOW)
    assert [row.topic for row in ranked] == ["b", "a"]  # c was never studied
    assert ranked[1].mastery.mastery == pytest.approx(0.5, abs=0.01)


# --- reading without writing -----------------------------------------------------------


def test_a_missing_store_reads_as_empty_and_is_not_created(path):
    with LearnerStore(path, readonly=True) as store:
        assert store.events("ann") == [] and store.learners() == [] and store.sessions() == []
        assert [row.reason for row in store.progress("ann", TOPICS[:2], NOW)] == [
            "not started",
            "not started",
        ]
        assert store.summary() == {
            "path": str(path),
            "exists": False,
            "schema": None,
            "learners": 0,
            "events": 0,
            "sessions": 0,
            "answers": 0,
            "retired": 0,
        }
        with pytest.raises(TutorError, match="read-only"):
            store.record(event("right"))
    assert not path.parent.exists()


def test_a_reader_sees_what_a_writer_stored(path, store):
    store.record(event("right"))
    store.touch_session("s1", "ann", "q", "chat", at=NOW)
    with LearnerStore(path, readonly=True) as reader:
        assert [e.kind for e in reader.events("ann")] == ["right"]
        assert reader.summary() == {
            "path": str(path),
            "exists": True,
            "schema": SCHEMA_VERSION,
            "learners": 1,
            "events": 1,
            "sessions": 1,
            "answers": 0,
            "retired": 0,
        }
        with pytest.raises(TutorError, match="read-only"):
            reader.touch_session("s2", "ann", "q", "chat")


def test_a_reader_brings_an_unmigrated_file_up_to_date(path):
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()  # an empty file: schema 0
    with LearnerStore(path, readonly=True) as reader:
        assert reader.summary()["schema"] == SCHEMA_VERSION


def test_a_second_writer_waits_instead_of_failing(path, store):
    blocker = sqlite3.connect(path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO learners VALUES ('bob', 0)")
    timer = threading.Timer(0.5, blocker.commit)
    timer.start()
    started = time.monotonic()
    try:
        assert store.record(event("right")) is True  # no "database is locked"
    finally:
        timer.join()
        blocker.close()
    assert time.monotonic() - started >= 0.4
    assert store.learners() == ["ann", "bob"]


def test_one_store_can_be_shared_between_threads(store):
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda i: store.record(event("asked", key=f"k{i % 10}")), range(40))
        )
    assert results.count(True) == 10
    assert len(store.events("ann")) == 10


def test_two_stores_writing_at_once_lose_nothing(path, store):
    def write(name: str) -> None:
        with LearnerStore(path) as other:
            for i in range(20):
                other.record(event("asked", learner=name, key=f"{name}-{i}"))

    threads = [threading.Thread(target=write, args=(name,)) for name in ("x", "y", "z")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.summary()["events"] == 60
