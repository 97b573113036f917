"""`tutor doctor`'s question bank figures (usable questions per topic and kind, the topics
too thin for a quiz) and its count of questions retired as bad."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.topics import load_topics
from tutor.learner.store import LearnerStore
from tutor.quiz.bank import QuestionBank
from tutor.runtime.doctor import KINDS, QUIZ_LENGTH, check_learner, check_questions


def test_the_bank_is_counted_per_topic_and_kind_and_thin_topics_are_named(
    indexed_settings: Settings,
) -> None:
    check = check_questions(indexed_settings)
    topics = load_topics(indexed_settings.topics_path)
    assert check.required is False and set(check.items) == set(topics.ids())
    assert all(set(row) == set(KINDS) for row in check.items.values())
    # The same figures as the bank the quiz builds.
    catalog = Catalog(indexed_settings.catalog_path)
    bank = QuestionBank.build(catalog.records(catalog.chunk_ids()).values(), topics)
    catalog.close()
    expected = bank.kind_counts()
    for topic, row in check.items.items():
        for kind, n in row.items():
            assert n == expected.get(topic, {}).get(kind, 0), (topic, kind)
    thin = [t for t, row in check.items.items() if min(row.values()) < QUIZ_LENGTH]
    assert check.ok is (not thin)
    for topic in thin:
        assert f"{topic} (" in check.detail
    fine = [t for t in check.items if t not in thin]
    assert all(f"{topic} (" not in check.detail for topic in fine)


def test_no_index_is_one_optional_line(settings: Settings) -> None:
    check = check_questions(settings)
    assert (check.ok, check.required) == (False, False) and "tutor index" in check.detail


def test_doctor_counts_retired_questions(settings: Settings) -> None:
    with LearnerStore.open(settings) as store:
        store.retire("default", "q1", reason="two answers fit", quiz="quiz-1")
        store.retire("default", "q2")
    check = check_learner(settings)
    assert check.ok and "2 questions retired as bad" in check.detail


def test_doctor_json_carries_the_items(indexed_settings: Settings) -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert set(checks["questions"]["items"]) == set(load_topics(indexed_settings.topics_path).ids())
    assert "items" not in checks["learner"]
