"""The offline question bank on a small hand-made corpus of definitional sentences, with a
fake embedder: facts, the four kinds, same-kind swaps, one question per sentence."""

from __future__ import annotations

import hashlib
import re
from random import Random

import numpy as np
import pytest

from tutor.corpus.catalog import ChunkRecord
from tutor.corpus.topics import Topic, TopicMap
from tutor.quiz.bank import QuestionBank
from tutor.quiz.cloze import BLANK
from tutor.quiz.grading import grade_answer
from tutor.quiz.questions import sentence_id
from tutor.quiz.terms import Material, citation_of

TOPICS = TopicMap(
    (
        Topic(
            "ml",
            "Supervised learning",
            "d",
            ("supervised", "linear regression", "decision trees", "support vector machines"),
        ),
        Topic(
            "unsup",
            "Unsupervised learning",
            "d",
            ("k-means clustering", "principal component analysis", "pca"),
        ),
        Topic(
            "tools",
            "Tools",
            "d",
            ("mlflow", "unity catalog", "langchain", "vector search", "lineage"),
        ),
        Topic("rl", "Reinforcement learning", "d", ("rlhf", "reward", "q-learning")),
    ),
    "digest",
)
TEXTS = {
    "a": (
        "ml",
        "Decision trees split labelled data into branching pathways before every prediction. "
        "Linear regression predicts numeric trends across the sales datasets of each quarter.",
    ),
    "b": (
        "ml",
        "Support vector machines draw separating hyperplanes between classes of labelled data. "
        "Linear regression produces numeric targets from weighted sums of input features.",
    ),
    "c": (
        "unsup",
        "K-means clustering organizes similar documents into clusters without any labels. "
        "It moves every record to the nearest of several centroids in repeated passes.",
    ),
    "d": (
        "unsup",
        "Principal component analysis (PCA) condenses thousands of variables into smaller "
        "representations. PCA preserves most of the variance of the original datasets.",
    ),
    "e": (
        "tools",
        "MLflow tracks every experiment with its parameters and its metrics across runs. "
        "Unity Catalog governs access to tables, models and files for every team.",
    ),
    "f": (
        "tools",
        "MLflow registers models and serves them behind endpoints for production traffic. "
        "Unity Catalog records lineage for every table in the lakehouse.",
    ),
    "g": (
        "rl",
        "RLHF aligns large language models with human preferences through ranked outputs. "
        "Q-learning learns the value of actions from rewards alone in simple games.",
    ),
    "h": (
        "rl",
        "Q-learning updates a value table after every single step of the agent. "
        "This approach needs no model of the environment at all. "
        "The crescendo of complexity arrives with reinforcement learning.",
    ),
    "i": (
        "tools",
        "LangChain integrates reasoning chains and memory systems into language agents. "
        "Vector search retrieves passages by embedding similarity for grounded answers.",
    ),
}
MATERIALS = [
    Material(chunk_id, text, (topic,), f"guide.md § {topic} (line {n})")
    for n, (chunk_id, (topic, text)) in enumerate(sorted(TEXTS.items()), start=1)
]


def fake_embed(similar: tuple[tuple[str, str], ...] = ()):
    """Unit vectors that are nearly orthogonal for different texts (random in 256
    dimensions, seeded by the text), except that each `similar` pair shares one vector."""
    same = {b.lower(): a.lower() for a, b in similar}
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        rows = []
        for text in texts:
            base = same.get(text.lower(), text.lower())
            seed = int(hashlib.sha256(base.encode()).hexdigest()[:8], 16)
            vector = np.random.default_rng(seed).normal(size=256)
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32)

    embed.calls = calls  # type: ignore[attr-defined]
    return embed


@pytest.fixture
def bank() -> QuestionBank:
    return QuestionBank.build(MATERIALS, TOPICS, embed=fake_embed())


def slot_with(bank: QuestionBank, key: str, chunk_id: str | None = None):
    ids = [chunk_id] if chunk_id else sorted(bank.materials)
    return next(s for c in ids for s in bank.slots[c] if s.key == key)


def all_questions(bank: QuestionBank, kind: str, seed: int = 0):
    rng = Random(seed)
    return [q for c in sorted(bank.materials) for q in bank.questions_for(c, kind, rng)]


# --- facts: what the material defines --------------------------------------------------


def test_questions_come_from_what_the_material_states_about_its_terms(bank) -> None:
    statements = {s.sentence for c in bank.slots for s in bank.slots[c]}
    assert "MLflow tracks every experiment with its parameters and its metrics across runs." in (
        statements
    )
    # A leading pronoun is read with the previous sentence's subject...
    assert (
        "K-means clustering moves every record to the nearest of several centroids in "
        "repeated passes." in {s.capitalize() for s in statements}
    )
    # ... a demonstrative that leans on it is not, and rhetoric states nothing checkable.
    assert not any(s.startswith("This approach") for s in statements)
    assert not any("crescendo" in s for s in statements)
    subjects = {s.key for c in bank.slots for s in bank.slots[c] if s.role == "subject"}
    assert {"mlflow", "unity catalog", "q-learning", "linear regression"} <= subjects


def test_the_source_sentence_is_kept_for_every_question(bank) -> None:
    for kind in ("mc", "tf", "short", "cloze"):
        for q in all_questions(bank, kind):
            passage = " ".join(bank.materials[q.chunk_id].text.split())
            assert q.sentence and q.sentence in passage
            assert q.sentence_id == sentence_id(q.sentence)


# --- short answers --------------------------------------------------------------------


def test_short_answers_are_questions_not_blanks(bank) -> None:
    questions = all_questions(bank, "short")
    assert len(questions) >= 10
    for q in questions:
        assert q.kind == "short" and not q.options
        assert BLANK not in q.prompt and q.prompt.endswith("?")
    prompts = {q.prompt: q.answer for q in questions}
    assert (
        prompts["Which tool records lineage for every table in the lakehouse?"] == "Unity Catalog"
    )
    assert prompts["What does Unity Catalog record for every table in the lakehouse?"] == "lineage"
    assert prompts["What does LangChain integrate into language agents?"] == (
        "reasoning chains and memory systems"
    )
    assert prompts["What does the acronym PCA stand for?"] == "principal component analysis"


def test_a_short_answer_is_graded_on_meaning_by_the_grader() -> None:
    q = QuestionBank.build(MATERIALS, TOPICS).make("f", "short", Random(0))
    assert (
        q is not None and q.prompt == "Which tool records lineage for every table in the lakehouse?"
    )
    assert grade_answer("unity catalog", q).correct
    assert not grade_answer("MLflow", q).correct


# --- multiple choice and true/false: swaps of the same kind ----------------------------


def test_multiple_choice_options_are_of_the_key_s_kind(bank: QuestionBank) -> None:
    questions = all_questions(bank, "mc")
    assert len(questions) >= 4
    for q in questions:
        assert len(q.options) == 4 and len({o.lower() for o in q.options}) == 4
        assert q.answer in q.options and q.prompt.endswith("Which term fills the blank?")
        kinds = {bank.categories[o.lower()] for o in q.options}
        assert kinds == {"product"}, q.options
        assert not bank.checker.flaws(q)


def test_a_false_statement_swaps_in_a_term_of_the_same_kind_the_material_does_not_say_it_of(
    bank: QuestionBank,
) -> None:
    answers = set()
    for seed in range(30):
        for q in all_questions(bank, "tf", seed):
            answers.add(q.answer)
            statement = q.prompt.removeprefix("True or false? ")
            if q.answer == "True":
                assert q.explanation == f'The material says: "{statement}"'
                continue
            real, fake = re.match(
                r'The material says this of "(.+?)", not "(.+?)"', q.explanation
            ).groups()
            assert bank.categories[real.lower()] == bank.categories[fake.lower()]
            claim = statement.replace(fake, "").replace(fake.capitalize(), "")
            assert not bank.support.says(fake, claim, besides=real)
    assert answers == {"True", "False"}


def test_no_swap_when_the_material_says_the_same_of_the_other_term() -> None:
    text = "LangChain tracks every experiment with its parameters and its metrics across runs."
    extra = Material("z", text, ("tools",), "z.md")
    bank = QuestionBank.build([*MATERIALS, extra], TOPICS, embed=fake_embed())
    slot = slot_with(bank, "mlflow", "e")
    assert "LangChain" not in [t.text for t in bank.swaps.candidates(slot)]
    for seed in range(20):
        q = bank._true_false(slot, Random(seed))
        assert q is None or "LangChain" not in q.prompt


def test_a_swap_across_kinds_is_never_made(bank: QuestionBank) -> None:
    slot = slot_with(bank, "linear regression", "a")  # a model: no other model fits here
    candidates = {t.key for t in bank.swaps.candidates(slot)}
    assert candidates <= {k for k, c in bank.categories.items() if c == "model"}
    assert "mlflow" not in candidates and "q-learning" not in candidates


# --- one question per sentence, determinism, counts ------------------------------------


def test_a_used_sentence_is_excluded_like_an_asked_question(bank: QuestionBank) -> None:
    first = bank.make("e", "cloze", Random(0))
    assert first is not None
    rest = bank.questions_for("e", "short", Random(0), exclude={first.sentence_id})
    assert rest and all(q.sentence != first.sentence for q in rest)


def test_same_corpus_and_seed_give_the_same_questions() -> None:
    def run(seed: int) -> list[dict]:
        bank = QuestionBank.build(list(reversed(MATERIALS)), TOPICS, embed=fake_embed())
        return [q.model_dump() for q in all_questions(bank, "mixed", seed)]

    first = run(7)
    assert first == run(7)
    assert {q["kind"] for q in first} >= {"tf", "cloze", "short"}


def test_kind_counts_give_usable_questions_per_topic_and_kind(bank: QuestionBank) -> None:
    counts = bank.kind_counts()
    assert set(counts) == {"ml", "unsup", "tools", "rl"}
    assert all(set(row) == {"mc", "tf", "short", "cloze"} for row in counts.values())
    assert counts["tools"]["mc"] >= 4 and counts["tools"]["short"] >= 4
    sentences = {q.sentence for q in all_questions(bank, "cloze") if q.topic == "tools"}
    assert counts["tools"]["cloze"] == len(sentences)


def test_every_question_passes_the_flaw_checker(bank: QuestionBank) -> None:
    for kind in ("mc", "tf", "short", "cloze"):
        for q in all_questions(bank, kind):
            assert bank.checker.flaws(q) == []
    assert bank.accepted["cloze"] > 0


def test_citation_of_a_chunk_is_the_search_citation() -> None:
    record = ChunkRecord(
        id="c1",
        source="guide.md",
        heading="Guide > Models > Decision trees",
        text="x",
        span_start=3,
        span_end=5,
        span_unit="lines",
        topics=["ml"],
        content_hash="h",
    )
    assert citation_of(record) == "guide.md § Models > Decision trees (lines 3-5)"
    assert Material.of(record).citation == citation_of(record)


# --- what a sentence states, read with its frame ----------------------------------------


def _statements(text: str, topic: str = "unsup") -> set[str]:
    material = Material("z", text, (topic,), "guide.md § z (line 1)")
    bank = QuestionBank.build([*MATERIALS, material], TOPICS)
    return {s.fact.statement for s in bank.slots["z"] if s.fact and s.role == "subject"}


def test_them_in_a_claim_is_the_frame_s_plural_noun() -> None:
    text = (
        "In an era where datasets contain thousands of variables, PCA condenses them into "
        "smaller representations that preserve variance."
    )
    assert (
        "In an era where datasets contain thousands of variables, PCA condenses the variables "
        "into smaller representations that preserve variance." in _statements(text)
    )


def test_a_by_frame_is_read_past() -> None:
    text = "By comparing runs, MLflow tracks the parameters, metrics and artifacts of experiments."
    assert text in _statements(text, "tools")


def test_a_claim_cut_short_or_figurative_is_no_fact() -> None:
    # "... it ensures that deep learning models are not only powerful but also accountable"
    assert not _statements("Unity Catalog ensures that models are not only fast.", "tools")
    assert not _statements("PCA liberates generative workflows from computational bottlenecks.")


def test_a_short_answer_names_the_sort_it_asks_for() -> None:
    # "Which terms are used to organize and embed knowledge?": no sort, no such question.
    text = "Lineage records every table read by a job in the lakehouse for audits."
    material = Material("z", text, ("tools",), "guide.md § z (line 1)")
    bank = QuestionBank.build([*MATERIALS, material], TOPICS)
    assert bank.make("z", "cloze", Random(0)) is not None  # a fact of the material ...
    shorts = [q.prompt for q in bank.questions_for("z", "short", Random(0))]
    assert not any(p.startswith("Which term") for p in shorts)  # ... of no known sort


def test_a_contrast_defines_its_term_but_gives_no_wrong_options() -> None:
    text = "Unlike model-based approaches, Q-learning does not require a model of the environment."
    assert text in _statements(text, "rl")
    material = Material("z", text, ("rl",), "guide.md § z (line 1)")
    bank = QuestionBank.build([*MATERIALS, material], TOPICS)
    assert bank.make("z", "cloze", Random(0)) is not None
    # "does not require ..." is true of most other terms too: no option or swap is wrong
    assert bank.make("z", "mc", Random(0)) is None and bank.make("z", "tf", Random(0)) is None


def test_what_one_may_do_with_a_term_is_no_fact() -> None:
    text = (
        "In pipelines, decision trees can be deployed to keep feature selection precise for models."
    )
    assert not _statements(text, "ml")
