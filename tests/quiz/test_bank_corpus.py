"""Offline questions on the real corpus, with the real MiniLM: items come from what the
material states, the audit's flawed items are never made, and every kind is asked."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from random import Random

import pytest

from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import Embedder
from tutor.corpus.sentences import CachedEmbed
from tutor.corpus.topics import load_topics
from tutor.quiz.bank import QuestionBank
from tutor.quiz.cloze import BLANK
from tutor.quiz.distractors import SYNONYM_COSINE
from tutor.quiz.questions import Question


def _bank(settings: Settings, embed) -> QuestionBank:
    """The bank as the app builds it (`graphs/context.py`): over every chunk of the catalog."""
    catalog = Catalog.open_for_reading(settings.catalog_path)
    assert catalog is not None
    try:
        records = catalog.records(catalog.chunk_ids())
    finally:
        catalog.close()
    return QuestionBank.build(records.values(), load_topics(settings.topics_path), embed=embed)


@pytest.fixture(scope="module")
def embed(embedder: Embedder) -> CachedEmbed:
    """The real embedder, remembering vectors so a second bank costs nothing."""
    return CachedEmbed(embedder.embed, size=20_000)


@pytest.fixture(scope="module")
def bank(indexed_data_dir: Path, embed: CachedEmbed) -> QuestionBank:
    return _bank(Settings(data_dir=indexed_data_dir, corpus_dir=PROJECT_CORPUS), embed)


@pytest.fixture(scope="module")
def questions(bank: QuestionBank) -> dict[str, list[Question]]:
    """Every question of each offline kind over the whole corpus."""
    found: dict[str, list[Question]] = {}
    for kind in ("cloze", "mc", "tf", "short"):
        rng = Random(0)
        found[kind] = [q for c in sorted(bank.materials) for q in bank.questions_for(c, kind, rng)]
    return found


def _contains(text: str, term: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE))


def _every(questions: dict[str, list[Question]]) -> list[Question]:
    return [q for kind in questions.values() for q in kind]


def _from(questions, fragment: str) -> list[Question]:
    """The questions made from the sentence holding `fragment`."""
    return [q for q in _every(questions) if fragment.lower() in q.sentence.lower()]


def test_the_app_can_build_the_bank_from_the_index(indexed_settings: Settings, embed) -> None:
    bank = _bank(indexed_settings, embed)
    assert len(bank.materials) >= 50 and len(bank.terms.terms) >= 100
    question = bank.for_topic("unity-catalog-governance", "mc", Random(0))
    assert question is not None and question.topic == "unity-catalog-governance"
    assert re.fullmatch(r".+\.md § .+ \(lines? \d+(-\d+)?\)", question.source)


def test_enough_items_over_the_corpus_and_each_is_sourced(bank, questions) -> None:
    items = _every(questions)
    assert len(items) >= 120
    for q in items:
        passage = " ".join(bank.materials[q.chunk_id].text.split())
        assert q.sentence in passage
        assert bank.checker.flaws(q) == []


# --- the audit's flawed items (issue 13) -------------------------------------------------


def test_generic_blanks_are_never_made(questions) -> None:
    assert not _from(questions, "Recurrent neural networks bring another layer")
    assert not _from(questions, "True readiness emerges not from memorization")
    assert all(q.answer.lower() not in ("layer", "readiness") for q in _every(questions))


def test_stems_every_option_fits_are_never_made(questions) -> None:
    assert not _from(questions, "the importance of deep learning cannot be overstated")


def test_rhetoric_is_never_asked(questions) -> None:
    assert not _from(questions, "The crescendo of complexity arrives with deep learning")
    assert not _from(questions, "it is the very theater where AI, governance")


def test_a_pronoun_without_antecedent_is_never_asked(questions) -> None:
    assert not _from(questions, "it is the infrastructure of accountability")
    for q in _every(questions):
        assert not re.match(r"(?:It|They|This|These|Its|Their)\b", q.prompt)


def test_no_cue_in_the_stem(bank, questions) -> None:
    # "... integration of reinforcement learning with human feedback, commonly known as RLHF"
    for q in _every(questions):
        if q.kind == "tf" or "acronym" in q.prompt:
            continue
        alias = bank.aliases.get(q.answer.lower())
        assert not _contains(q.prompt, q.answer)
        assert alias is None or not _contains(q.prompt, alias), q.prompt


def test_a_true_statement_is_never_made_false(questions) -> None:
    # "... refine model behavior through structured prompt engineering": swapping in
    # "model training" is still true.
    for q in _from(questions, "refine model behavior through structured prompt engineering"):
        assert "model training" not in q.prompt


def test_no_swap_across_kinds(bank, questions) -> None:
    # CNNs (an architecture) swapped for supervised learning (a method).
    statements = [q.prompt for q in questions["tf"]]
    assert not any(
        s.startswith("True or false? Convolutional neural networks thrive") for s in statements
    )
    for q in questions["tf"]:
        if q.answer == "False":
            real, fake = re.match(
                r'The material says this of "(.+?)", not "(.+?)"', q.explanation
            ).groups()
            assert bank.categories[real.lower()] == bank.categories[fake.lower()] is not None
            claim = q.prompt.removeprefix("True or false? ")
            assert not bank.support.says(fake, claim.replace(fake, " "), besides=real)
    for q in questions["mc"]:
        kinds = {
            bank.categories.get(o.lower()) or bank.categories.get(bank.aliases.get(o.lower(), ""))
            for o in q.options
        }
        assert len(kinds) == 1 and None not in kinds, q.options


def test_short_answers_are_questions_not_a_cloze_in_disguise(questions) -> None:
    shorts = questions["short"]
    assert len(shorts) >= 30
    assert all(BLANK not in q.prompt and q.prompt.endswith("?") for q in shorts)
    prompts = {q.prompt: q.answer for q in shorts}
    assert (
        prompts["What is the acronym RLHF short for?"]
        == "reinforcement learning with human feedback"
    )
    assert prompts["What does MLflow manage with transparency?"] == "the lifecycle of models"
    assert prompts["What does Unity Catalog track?"] == "lineage"


def test_one_sentence_yields_one_question_per_quiz(bank, questions) -> None:
    by_sentence = Counter(q.sentence for q in _every(questions))
    sentence, _ = by_sentence.most_common(1)[0]
    asked = next(q for q in _every(questions) if q.sentence == sentence)
    for kind in ("mc", "tf", "short", "cloze"):
        again = bank.questions_for(asked.chunk_id, kind, Random(0), exclude={asked.sentence_id})
        assert all(q.sentence != sentence for q in again)


# --- coverage -------------------------------------------------------------------------


def test_kind_counts_cover_the_topics_whose_material_allows(bank) -> None:
    counts = bank.kind_counts()
    topics = load_topics(PROJECT_CORPUS / "topics.toml").ids()
    assert set(counts) <= set(topics)
    # `--kind tf --topic unity-catalog-governance` used to ask nothing.
    assert counts["unity-catalog-governance"]["tf"] >= 3
    for topic in ("reinforcement-learning", "unsupervised-learning"):
        assert all(counts[topic][k] >= 3 for k in ("mc", "tf", "short", "cloze")), counts[topic]
    assert sum(1 for row in counts.values() if row["short"] >= 1) >= 12


def test_multiple_choice_distractors_are_not_synonyms_of_the_key(
    questions, embedder: Embedder
) -> None:
    pairs = {(q.answer, o) for q in questions["mc"] for o in q.options if o != q.answer}
    texts = sorted({t for pair in pairs for t in pair})
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    assert max(float(vectors[a] @ vectors[b]) for a, b in pairs) < SYNONYM_COSINE


def test_the_same_seed_gives_the_same_questions_on_the_corpus(
    indexed_data_dir: Path, embed
) -> None:
    def run() -> list[dict]:
        bank = _bank(Settings(data_dir=indexed_data_dir, corpus_dir=PROJECT_CORPUS), embed)
        rng = Random(42)
        return [
            q.model_dump()
            for c in sorted(bank.materials)
            for q in bank.questions_for(c, "mixed", rng)
        ]

    assert run() == run()


def test_the_study_page_header_is_not_asked(questions) -> None:
    """The page's fact list ("Exam Questions: 92", "Last Updated: …") describes the web page
    and a practice set, not what the exam tests: no item is made from it."""
    header = ("Exam Code:", "Exam Title:", "Vendor:", "Exam Questions:", "Last Updated:")
    assert not [q for q in _every(questions) if q.sentence.startswith(header)]
    assert not [q for q in _every(questions) if q.answer in ("92", "September 1st, 2025")]
