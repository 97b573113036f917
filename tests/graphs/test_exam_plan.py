"""A mock exam weighted like the real one: slots by section weight (largest remainder),
renormalised over the sections with material, spread through the exam, each question
counted for its section."""

from __future__ import annotations

from collections import Counter

from graphs.quiz import exam_plan
from graphs.quiz.policy import next_topic
from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.blueprint import load_blueprint

BLUEPRINT = load_blueprint(Settings(corpus_dir=PROJECT_CORPUS).blueprint_path)
WEIGHTS = {s.id: s.weight for s in BLUEPRINT.sections}


def linked_topics(section: str) -> list[str]:
    objectives = BLUEPRINT.section(section).objectives
    return list(dict.fromkeys(t for o in objectives for t in o.topics))


def pools_for(sections: list[str], basis: str = "passages") -> dict:
    return {
        s: {"basis": basis, "topics": {f"{s}-topic": 3, "shared": 1}, "passages": [f"{s}-c"]}
        for s in sections
    }


def test_45_questions_follow_the_official_weights() -> None:
    plan = exam_plan.plan_exam(45, BLUEPRINT, pools_for(list(WEIGHTS)))
    counts = Counter(plan["sections"])
    # 14/14/30/22/8/12 % of 45 = 6.3/6.3/13.5/9.9/3.6/5.4: the largest remainders round up.
    assert counts == {
        "design": 6,
        "data": 6,
        "development": 14,
        "deployment": 10,
        "governance": 4,
        "evaluation": 5,
    }
    assert len(plan["topics"]) == 45 and plan["unexamined"] == []
    # Spread through the exam: the first eight slots already visit every section.
    assert set(plan["sections"][:8]) == set(WEIGHTS)
    # Within a section, its topics by their share of its passages (3 : 1).
    development = [
        t for t, s in zip(plan["topics"], plan["sections"], strict=True) if s == "development"
    ]
    assert Counter(development) == {"development-topic": 11, "shared": 3}


def test_sections_without_material_are_left_out_and_the_rest_renormalised() -> None:
    plan = exam_plan.plan_exam(20, BLUEPRINT, pools_for(["development", "governance"]))
    assert plan["unexamined"] == ["design", "data", "deployment", "evaluation"]
    # 30 : 8 renormalised over 38: 15.8 and 4.2 of 20.
    assert Counter(plan["sections"]) == {"development": 16, "governance": 4}
    assert set(plan["pools"]) == {"development", "governance"}


def test_a_section_is_examined_from_its_passages_else_its_topics() -> None:
    objective_chunks = {"2.8": ["c1"], "2.1": ["c1", "c2"]}
    chunk_topics = {"c1": ["retrieval-augmented-generation"], "c2": ["rlhf"]}
    topic_counts = {
        "prompt-engineering": 7,
        "langchain-agents": 2,
        "retrieval-augmented-generation": 9,
    }
    pools = exam_plan.section_pools(BLUEPRINT, objective_chunks, chunk_topics, topic_counts)
    assert pools["data"] == {
        "basis": "passages",
        "topics": {"retrieval-augmented-generation": 1, "rlhf": 1},
        "passages": ["c1", "c2"],
        "linked": linked_topics("data"),
    }
    assert "rlhf" not in pools["data"]["linked"]  # c2's topic: not one data's objectives name
    # Design has no passage of its own: its objectives' topics that have material.
    assert pools["design"]["basis"] == "topics" and pools["design"]["passages"] == []
    assert pools["design"]["topics"] == {
        "prompt-engineering": 7,
        "langchain-agents": 2,
        "retrieval-augmented-generation": 9,
    }
    # Governance's topics (Unity Catalog, ethics) have no material at all here.
    assert "governance" not in pools


def test_a_question_counts_for_its_slots_section_or_the_one_with_its_topic() -> None:
    pools = pools_for(["data", "governance"])
    assert exam_plan.slot_section("data", "shared", pools) == "data"
    assert exam_plan.slot_section("data", "governance-topic", pools) == "governance"
    assert exam_plan.slot_section("data", "k-means", pools) is None


def state_for(plan: dict, results: int, exhausted: list[str]) -> dict:
    return {
        "exam": True,
        "plan": plan["topics"],
        "plan_sections": plan["sections"],
        "pools": plan["pools"],
        "results": [{"topic": "x", "correct": True}] * results,
        "exhausted": exhausted,
    }


def test_a_dry_topic_gives_its_slot_to_its_section_then_another_then_ends() -> None:
    plan = exam_plan.plan_exam(4, BLUEPRINT, pools_for(["development", "governance"]))
    first = plan["sections"][0]
    planned = plan["topics"][0]
    assert next_topic(state_for(plan, 0, []), list) == (planned, "exam")
    other = "shared" if planned != "shared" else f"{first}-topic"
    assert next_topic(state_for(plan, 0, [planned]), list) == (other, "exam")
    second = next(s for s in plan["pools"] if s != first)
    dry = [f"{first}-topic", "shared"]
    assert next_topic(state_for(plan, 0, dry), list) == (f"{second}-topic", "exam")
    # Every section's material dry: the exam ends rather than leave the blueprint.
    assert next_topic(state_for(plan, 0, [*dry, f"{second}-topic"]), list) is None


def test_scores_per_section_in_blueprint_order() -> None:
    pools = pools_for(["development", "data"])
    pools["data"]["basis"] = "topics"
    results = [
        {"section": "development", "correct": True},
        {"section": "development", "correct": False},
        {"section": "data", "correct": True},
        {"section": None, "correct": True},
    ]
    scores = exam_plan.section_scores(BLUEPRINT, pools, results)
    assert [(s["id"], s["questions"], s["correct"], s["basis"]) for s in scores] == [
        ("data", 1, 1, "topics"),
        ("development", 2, 1, "passages"),
    ]
    assert exam_plan.unexamined_sections(BLUEPRINT, ["governance"]) == [
        {"topic": "governance", "title": "Governance"}
    ]


def test_a_section_whose_passages_run_dry_goes_on_to_the_topics_its_objectives_name() -> None:
    pools = pools_for(["data"])
    pools["data"]["linked"] = ["shared", "named-topic"]
    assert exam_plan.section_topics("data", pools, ["data-topic", "shared"]) == ["named-topic"]
    assert exam_plan.slot_section("data", "named-topic", pools) == "data"


def test_a_topic_its_objectives_do_not_name_is_asked_only_from_the_sections_passages() -> None:
    from graphs.quiz.mock_exam import keeps_to_passages, passage_rule

    pools = pools_for(["data"])
    pools["data"]["linked"] = ["shared"]
    state = {"exam": True, "plan_sections": ["data"], "pools": pools, "results": []}
    assert keeps_to_passages(state, "data-topic")  # a passage's tag, off the blueprint
    assert not keeps_to_passages(state, "shared")
    assert passage_rule(state, "data-topic") == {"prefer": ["data-c"], "only_preferred": True}
    # A quiz aimed at the exam prefers its focus passages and may go beyond them.
    aimed = {"focus": ["t"], "focus_passages": ["p1", "p2"], "results": []}
    assert passage_rule(aimed, "t") == {"prefer": ["p1", "p2"], "only_preferred": False}
