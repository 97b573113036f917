"""The offline question bank on a small hand-made corpus, with a fake embedder."""

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
from tutor.quiz.distractors import SYNONYM_COSINE
from tutor.quiz.terms import KeyTerms, Material, citation_of, term_candidates
from tutor.quiz.wording import content_runs

TOPICS = TopicMap(
    (
        Topic("ml", "Supervised learning", "d", ("supervised", "regression", "decision tree")),
        Topic("unsup", "Unsupervised learning", "d", ("clustering", "k-means")),
        Topic("tools", "Tools", "d", ("mlflow", "unity catalog", "experiment tracking")),
        Topic("rl", "Reinforcement learning", "d", ("rlhf", "reward", "q-learning")),
    ),
    "digest",
)
TEXTS = {
    "a": (
        "ml",
        "Decision trees split labelled data into branching pathways before every prediction. "
        "Teams use decision trees because the branching pathways stay readable for every "
        "auditor. Linear regression forecasts numeric trends across the sales datasets of each "
        "quarter.",
    ),
    "b": (
        "ml",
        "Support vector machines draw separating hyperplanes between classes of labelled data. "
        "Linear regression remains the simplest forecasting tool for trends in the sales "
        "datasets. Support vector machines handle nonlinear boundaries when kernel tricks are "
        "applied to them.",
    ),
    "c": (
        "unsup",
        "K-means clustering groups similar documents into clusters without any labels at all. "
        "Principal component analysis reduces the number of variables while keeping most "
        "variance.",
    ),
    "d": (
        "unsup",
        "Analysts apply k-means clustering to millions of customer records in the lakehouse. "
        "Principal component analysis condenses thousands of variables into smaller "
        "representations.",
    ),
    "e": (
        "tools",
        "Every experiment is tracked by MLflow with its parameters and its metrics across runs. "
        "Access to tables, models and files is governed by Unity Catalog for every team.",
    ),
    "f": (
        "tools",
        "Engineers log each training run with MLflow so they can compare the results later. "
        "Auditors rely on Unity Catalog because it records lineage for every table in the "
        "lakehouse.",
    ),
    "g": (
        "rl",
        "Large language models are aligned with human preferences by RLHF through ranked "
        "outputs. Agents learn the value of their actions from rewards alone with Q-learning in "
        "simple games.",
    ),
    "h": (
        "rl",
        "Human evaluators who rank the outputs of the model are the heart of RLHF in practice. "
        "With Q-learning the agents update a value table after every single step they take.",
    ),
    "i": (
        "rl",
        "Reward shaping guides the agents toward their goals in every episode of a game. "
        "Designers add reward shaping when sparse rewards leave the agents without any signal.",
    ),
    "j": (
        "tools",
        "Experiment tracking keeps every metric of every run in one place for the whole team. "
        "Auditors value experiment tracking since results stay reproducible for years.",
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


# --- key terms ------------------------------------------------------------------------


def test_terms_have_a_kind_and_fragments_are_not_terms() -> None:
    terms = KeyTerms.build(MATERIALS, TOPICS).terms
    assert terms["mlflow"].kind == "name" and terms["mlflow"].text == "MLflow"
    assert terms["unity catalog"].kind == "name" and terms["rlhf"].kind == "name"
    assert terms["decision trees"].kind == "phrase"
    assert terms["principal component analysis"].kind == "phrase"
    assert terms["variables"].kind == "word"
    # Never used alone, only inside a longer term: a fragment.
    assert "principal component" not in terms and "component analysis" not in terms
    assert "unity" not in terms and "catalog" not in terms
    # Sentence openers lose their capital; names keep theirs.
    assert terms["linear regression"].text == "linear regression"
    assert terms["linear regression"].topics == ("ml",)


def test_verbs_and_adverbs_end_a_term() -> None:
    def keys(sentence: str) -> set[str]:
        return {o.key for o in term_candidates(content_runs(sentence))}

    found = keys("Decision trees bring interpretability to every supervised pipeline.")
    assert "decision trees" in found and "interpretability" in found
    assert not any("bring" in k for k in found)
    found = keys("Within this lakehouse, MLflow manages the lifecycle of models quietly.")
    assert "mlflow" in found and not any("manages" in k or "quietly" in k for k in found)
    found = keys("Engineers can craft pipelines that harness these algorithms at scale.")
    assert not any(w in k for k in found for w in ("craft", "harness"))


# --- multiple choice ------------------------------------------------------------------


def test_multiple_choice_has_four_distinct_options_with_the_key(bank: QuestionBank) -> None:
    questions = all_questions(bank, "mc")
    assert len(questions) >= 10
    for q in questions:
        assert q.kind == "mc" and q.origin == "offline"
        assert len(q.options) == 4 and len({o.lower() for o in q.options}) == 4
        assert q.answer in q.options
        assert BLANK in q.prompt and q.prompt.endswith("Which term fills the blank?")
        assert q.answer.lower() not in q.prompt.lower()
        assert q.explanation.startswith('The material says: "')


def test_distractors_follow_the_rules(bank: QuestionBank) -> None:
    checked = 0
    for chunk_id in sorted(bank.materials):
        passage = bank.materials[chunk_id].text.lower()
        for slot in bank.slots[chunk_id]:
            key = bank.terms.terms[slot.key]
            for seed in range(5):
                for text in bank.distractors.pick(slot, 3, Random(seed)):
                    term = bank.terms.terms[text.lower()]
                    checked += 1
                    assert term.kind == key.kind  # same kind
                    assert term.key != key.key and term.head != key.head
                    assert term.key not in key.key and key.key not in term.key
                    assert not set(term.key.split()) & set(key.key.split())
                    # not in the question's passage, so not in its sentence either
                    assert not re.search(rf"(?<!\w){re.escape(term.key)}(?!\w)", passage)
                    # nor is its head noun an echo of the stem
                    assert not re.search(
                        rf"(?<!\w){re.escape(term.head)}s?(?!\w)", slot.prompt, re.I
                    )
    assert checked > 50


def test_distractors_agree_in_number_when_enough_do(bank: QuestionBank) -> None:
    slot = slot_with(bank, "variables")
    for seed in range(10):
        distractors = bank.distractors.pick(slot, 3, Random(seed))
        assert len(distractors) == 3
        assert all(bank.terms.terms[d.lower()].plural for d in distractors)


def test_a_synonym_of_the_key_is_never_a_distractor() -> None:
    def seen(embed) -> set[str]:
        bank = QuestionBank.build(MATERIALS, TOPICS, embed=embed)
        slot = slot_with(bank, "linear regression", "b")
        return {d for seed in range(40) for d in bank.distractors.pick(slot, 3, Random(seed))}

    assert "k-means clustering" in seen(fake_embed())
    similar = fake_embed(similar=(("linear regression", "k-means clustering"),))
    vectors = similar(["linear regression", "k-means clustering"])
    assert float(vectors[0] @ vectors[1]) > SYNONYM_COSINE
    assert "k-means clustering" not in seen(similar)


def test_two_distractors_that_are_synonyms_are_not_both_chosen() -> None:
    pair = {"reward shaping", "principal component analysis"}
    plain = QuestionBank.build(MATERIALS, TOPICS, embed=fake_embed())
    slot = slot_with(plain, "linear regression", "b")
    assert any(pair <= set(plain.distractors.pick(slot, 3, Random(seed))) for seed in range(40))
    bank = QuestionBank.build(MATERIALS, TOPICS, embed=fake_embed(similar=(tuple(pair),)))
    for seed in range(40):
        assert not pair <= set(bank.distractors.pick(slot, 3, Random(seed)))


def test_without_an_embedder_the_lexical_rules_still_hold() -> None:
    bank = QuestionBank.build(MATERIALS, TOPICS)
    questions = all_questions(bank, "mc")
    assert questions
    for q in questions:
        assert len({o.lower() for o in q.options}) == 4 and q.answer in q.options


def test_the_vocabulary_is_embedded_once_in_one_batch() -> None:
    embed = fake_embed()
    bank = QuestionBank.build(MATERIALS, TOPICS, embed=embed)
    assert len(embed.calls) == 1
    assert len(embed.calls[0]) == len({t.lower() for t in embed.calls[0]}) > 10
    all_questions(bank, "mc")
    all_questions(bank, "tf")
    assert len(embed.calls) == 1  # every key and distractor was in that batch


# --- determinism, kinds, exclusion ----------------------------------------------------


def test_same_corpus_and_seed_give_the_same_questions() -> None:
    def run(seed: int) -> list[dict]:
        bank = QuestionBank.build(list(reversed(MATERIALS)), TOPICS, embed=fake_embed())
        return [q.model_dump() for q in all_questions(bank, "mixed", seed)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert {q["kind"] for q in first} == {"mc", "tf", "cloze"}


def test_true_false_states_the_sentence_or_swaps_the_key(bank: QuestionBank) -> None:
    slot = slot_with(bank, "mlflow", "e")
    answers = set()
    for seed in range(20):
        q = bank._true_false(slot, Random(seed))
        assert q is not None and q.kind == "tf" and q.options == ["True", "False"]
        assert slot.sentence in q.explanation
        answers.add(q.answer)
        if q.answer == "True":
            assert q.prompt == f"True or false? {slot.sentence}"
        else:
            statement = q.prompt.removeprefix("True or false? ")
            assert "mlflow" not in statement.lower()
            swapped = [t for t in bank.terms.terms.values() if t.text in statement]
            # the false term is a name too, from another topic than the question's
            assert any(t.kind == "name" and "tools" not in t.topics for t in swapped)
            pattern = re.escape(slot.sentence).replace("MLflow", ".+")
            assert re.fullmatch(pattern, statement)
    assert answers == {"True", "False"}


def test_true_false_skips_plain_words_and_list_items(bank: QuestionBank) -> None:
    assert bank._true_false(slot_with(bank, "variables"), Random(0)) is None
    listed = slot_with(bank, "models", "e")  # "Access to tables, _____ and files ..."
    assert bank._true_false(listed, Random(0)) is None


def test_short_falls_back_to_cloze_offline(bank: QuestionBank) -> None:
    questions = bank.questions_for("e", "short", Random(0))
    assert questions and all(q.kind == "cloze" and not q.options for q in questions)
    for q in questions:
        assert q.prompt.count(BLANK) >= 1
        assert q.answer in bank.materials["e"].text


def test_excluded_questions_are_not_repeated(bank: QuestionBank) -> None:
    first = bank.make("a", "cloze", Random(0))
    assert first is not None
    second = bank.make("a", "cloze", Random(0), exclude={first.id})
    assert second is not None and second.id != first.id
    every = bank.questions_for("a", "cloze", Random(0))
    assert len({q.id for q in every}) == len(every)
    assert bank.questions_for("a", "cloze", Random(0), exclude={q.id for q in every}) == []
    asked: set[str] = set()
    while (q := bank.for_topic("rl", "mixed", Random(len(asked)), exclude=asked)) is not None:
        assert q.id not in asked and q.topic == "rl"
        asked.add(q.id)
    assert len(asked) >= 3


# --- passages and topics --------------------------------------------------------------


def test_unreadable_sentences_are_never_asked() -> None:
    text = (
        "# Decision trees and linear regression\n\n"
        "It is the reason decision trees stay readable for every single auditor.\n\n"
        "- Decision trees: linear regression and labelled data\n\n"
        "Why do decision trees split labelled data into branching pathways so often?\n\n"
        "Decision trees.\n\n"
        "Teams still use decision trees because branching pathways stay readable today."
    )
    bank = QuestionBank.build([*MATERIALS, Material("z", text, ("ml",), "z.md")], TOPICS)
    sentences = {s.sentence for s in bank.slots["z"]}
    assert sentences == {
        "Teams still use decision trees because branching pathways stay readable today."
    }


def test_a_named_term_is_asked_under_the_topic_that_names_it() -> None:
    extra = Material(
        "z",
        "Analysts log every clustering experiment with MLflow so that results stay "
        "comparable across teams.",
        ("unsup",),
        "z.md",
    )
    bank = QuestionBank.build([*MATERIALS, extra], TOPICS)
    by_key = {s.key: s.topic for s in bank.slots["z"]}
    assert by_key["mlflow"] == "tools"


def test_a_passage_outside_the_bank_can_be_asked_about(bank: QuestionBank) -> None:
    extra = Material(
        "new",
        "Careful teams compare linear regression against k-means clustering before choosing.",
        ("ml",),
        "new.md § x (line 1)",
    )
    questions = bank.questions_for(extra, "cloze", Random(0))
    assert questions and questions[0].chunk_id == "new" and questions[0].source == extra.citation


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
