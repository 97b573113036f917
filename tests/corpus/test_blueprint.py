"""The exam's blueprint: the shipped one as the official guide lists it, and a bad file
said in one line that names it and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.blueprint import load_blueprint
from tutor.errors import TutorError


def test_the_shipped_blueprint_is_the_march_2026_guide() -> None:
    blueprint = load_blueprint(Settings(corpus_dir=PROJECT_CORPUS).blueprint_path)
    assert blueprint is not None
    exam = blueprint.exam
    assert (exam.questions, exam.minutes, exam.guide_version) == (45, 90, "2026-03-18")
    assert "no pass mark" in exam.pass_mark_source  # none is published: said, not invented
    weights = {s.title: s.weight for s in blueprint.sections}
    assert weights == {
        "Design Applications": 14,
        "Data Preparation": 14,
        "Application Development": 30,
        "Assembling and Deploying Applications": 22,
        "Governance": 8,
        "Evaluation and Monitoring": 12,
    }
    assert [len(s.objectives) for s in blueprint.sections] == [6, 8, 13, 15, 4, 10]
    assert len({o.id for o in blueprint.objectives}) == 56
    assert blueprint.section("governance").objectives[1].section == "governance"


def test_no_blueprint_file_is_no_blueprint(tmp_path: Path) -> None:
    assert load_blueprint(tmp_path / "blueprint.toml") is None


GOOD = """
[exam]
name = "Exam"
questions = 10
minutes = 20
pass_mark = 0.7
pass_mark_source = "the vendor's guide"

[[section]]
id = "a"
title = "A"
weight = 60
  [[section.objective]]
  id = "1.1"
  text = "Do a thing"
  topics = ["alpha"]
  keywords = ["Thing", "doing things"]

[[section]]
id = "b"
title = "B"
weight = 40
  [[section.objective]]
  id = "2.1"
  text = "Do another"
"""


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("weight = 40", "weight = 30"), "add up to 90, not 100"),
        (('id = "2.1"', 'id = "1.1"'), "objective id '1.1' is used twice"),
        (('id = "b"', 'id = "a"'), "section id 'a' is used twice"),
        (("questions = 10", 'questions = "ten"'), "[exam] needs a number questions"),
        (("questions = 10", "questions = 10.5"), "questions must be a whole number"),
        (("pass_mark = 0.7", "pass_mark = 70"), "pass_mark must be between 0.01 and 1"),
        (('pass_mark_source = "the vendor\'s guide"', ""), "[exam] needs a pass_mark_source"),
        (('  text = "Do another"', ""), "objective '2.1' needs a text"),
        (("[exam]", "[exams]"), "needs an [exam] table"),
        (("weight = 60", "weight = [60"), "cannot read the blueprint"),
        (('topics = ["alpha"]', 'topics = "alpha"'), "topics must be a list of words"),
        (('keywords = ["Thing", "doing things"]', 'keywords = ["", "x"]'), "keywords must be"),
    ],
)
def test_a_bad_blueprint_is_one_line_naming_the_file(tmp_path: Path, change, says) -> None:
    path = tmp_path / "blueprint.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(TutorError) as error:
        load_blueprint(path)
    message = str(error.value)
    assert says in message and str(path) in message and "\n" not in message


def test_the_example_blueprint_loads(tmp_path: Path) -> None:
    path = tmp_path / "blueprint.toml"
    path.write_text(GOOD, encoding="utf-8")
    blueprint = load_blueprint(path)
    assert blueprint is not None
    assert [o.id for o in blueprint.objectives] == ["1.1", "2.1"]


def test_objectives_carry_their_topics_and_lowercased_keywords(tmp_path: Path) -> None:
    path = tmp_path / "blueprint.toml"
    path.write_text(GOOD, encoding="utf-8")
    first, second = load_blueprint(path, {"alpha", "beta"}).objectives
    assert (first.topics, first.keywords) == (("alpha",), ("thing", "doing things"))
    assert (second.topics, second.keywords) == ((), ())  # both optional
    assert first.mentions("Doing things well") and not first.mentions("nothing here")


def test_topics_are_checked_against_the_topic_map_when_given(tmp_path: Path) -> None:
    path = tmp_path / "blueprint.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_blueprint(path).objectives[0].topics == ("alpha",)  # unchecked: the indexer
    with pytest.raises(TutorError) as error:
        load_blueprint(path, {"beta"})
    assert "objective '1.1' names unknown topic 'alpha'" in str(error.value)
    assert str(path) in str(error.value)


def test_every_shipped_objective_names_known_topics_and_keywords() -> None:
    from tutor.corpus.topics import load_topics

    settings = Settings(corpus_dir=PROJECT_CORPUS)
    ids = load_topics(settings.topics_path).ids()
    blueprint = load_blueprint(settings.blueprint_path, ids)
    assert all(o.topics and o.keywords for o in blueprint.objectives)
