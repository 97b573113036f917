"""`tutor coverage` on a tiny corpus: what the material supports, what it does not (first),
a note added on an uncovered objective moving it to covered after `tutor index`, the
learner's mastery by objective and section, and no blueprint said in one line."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.cli.conftest import NOTES, answer
from tests.learner.quiz_answers import T0
from tutor.cli import app
from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.learner.coverage import read_coverage
from tutor.learner.objectives import TOPIC_WEIGHT
from tutor.learner.store import LearnerStore


def coverage_json(runner) -> dict:
    result = runner.invoke(app, ["coverage", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def objectives(report: dict) -> dict[str, dict]:
    return {o["id"]: o for s in report["sections"] for o in s["objectives"]}


def test_coverage_counts_passages_and_a_new_note_covers_its_objective(
    runner, tiny_corpus, embedder
) -> None:
    assert runner.invoke(app, ["index"]).exit_code == 0
    report = coverage_json(runner)
    assert report["exam"] == {
        "name": "Databricks Certified Generative AI Engineer Associate",
        "questions": 45,
        "minutes": 90,
        "pass_mark": 0.7,
    }
    assert set(report) == {"exam", "sections", "covered_weight", "uncovered"}
    found = objectives(report)
    assert {oid for oid, o in found.items() if o["passages"]} == {"2.8", "5.2"}
    assert found["2.8"]["mastery"] is None  # nothing answered yet
    sections = {s["id"]: s for s in report["sections"]}
    assert (sections["data"]["passages"], sections["governance"]["passages"]) == (1, 1)
    assert report["covered_weight"] == round(0.14 * 1 / 8 + 0.08 * 1 / 4, 3)
    # Uncovered: every other objective, the heaviest section's first.
    assert len(report["uncovered"]) == 54 and report["uncovered"][0] == "3.1"
    assert "4.9" in report["uncovered"]

    shutil.copy(NOTES / "aiquery.md", tiny_corpus / "aiquery.md")
    assert runner.invoke(app, ["index"]).exit_code == 0
    report = coverage_json(runner)
    assert "4.9" not in report["uncovered"] and objectives(report)["4.9"]["passages"] == 1
    assert report["covered_weight"] > round(0.14 / 8 + 0.08 / 4, 3)


def test_the_text_names_what_to_add_before_the_table(runner, tiny_corpus, embedder) -> None:
    runner.invoke(app, ["index"])
    text = runner.invoke(app, ["coverage"]).stdout
    assert "Your material covers 4% of the exam's weight (2 of 56 objectives)." in text
    add = text.index("Add material on:")
    assert add < text.index("3.1   Choose LangChain") < text.index("section / objective")
    assert "2.8   Explain how a re-ranker" not in text  # covered: not in the list


def test_mastery_counts_an_objectives_passages_fully_and_its_topics_less(
    runner, tiny_corpus, embedder
) -> None:
    runner.invoke(app, ["index"])
    settings = Settings()
    catalog = Catalog(settings.catalog_path)
    rerank_chunk = catalog.objective_chunks()["2.8"][0]
    catalog.close()
    with LearnerStore.open(settings) as store:
        for n in range(3):
            store.record_answer(
                answer(rerank_chunk, "retrieval-augmented-generation", True, T0 + n, n)
            )
    report = read_coverage(settings, "default", now=T0 + 10)
    rows = {o.id: o for s in report.sections for o in s.objectives}
    on_passage, on_topic = rows["2.8"].mastery, rows["2.1"].mastery  # both on RAG
    assert on_passage.mastery == pytest.approx(4 / 5, abs=1e-3)  # Beta(1 + 3, 1)
    assert on_topic.mastery == pytest.approx(
        (1 + 3 * TOPIC_WEIGHT) / (2 + 3 * TOPIC_WEIGHT), abs=1e-3
    )
    assert rows["5.2"].mastery.evidence == 0  # prompt injection: another topic
    data = next(s for s in report.sections if s.id == "data")
    assert data.mastery.mastery == pytest.approx(on_passage.mastery, abs=1e-6)
    assert report.to_dict()["sections"][1]["objectives"][7]["mastery"] == 0.8
    # Another learner sees none of it.
    other = read_coverage(settings, "bob", now=T0 + 10)
    assert all(o.mastery.evidence == 0 for s in other.sections for o in s.objectives)


def test_without_a_blueprint_coverage_says_so_and_the_tutor_works(
    runner, tiny_corpus, embedder
) -> None:
    (tiny_corpus / "blueprint.toml").unlink()
    assert runner.invoke(app, ["index"]).exit_code == 0
    result = runner.invoke(app, ["coverage"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no exam blueprint: add blueprint.toml" in lines[0]
    assert runner.invoke(app, ["search", "What does a re-ranker do?"]).exit_code == 0


def test_a_bad_blueprint_is_one_line_naming_it(runner, tiny_corpus) -> None:
    path = tiny_corpus / "blueprint.toml"
    path.write_text(path.read_text().replace('"prompt-engineering"', '"prompt-crafting"', 1))
    result = runner.invoke(app, ["coverage"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "blueprint.toml" in result.stderr and "unknown topic 'prompt-crafting'" in result.stderr
