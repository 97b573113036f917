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
    assert len(items) >= 110  # usable ones: the flaw checker has dropped the rest
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
        if q.answer == "False" and q.explanation.startswith("The material says this of"):
            real, fake = re.match(
                r'The material says this of "(.+?)", not "(.+?)"', q.explanation
            ).groups()
            assert bank.categories[real.lower()] == bank.categories[fake.lower()] is not None
            claim = q.prompt.removeprefix("True or false? ")
            assert not bank.support.says(fake, claim.replace(fake, " "), besides=real)
    for q in questions["mc"]:
        if q.prompt.startswith("Which of these is a technique of"):
            continue  # which paradigm: methods and models alike (below)
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
        prompts["What does the acronym RLHF stand for?"]
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
    assert all(counts["unsupervised-learning"][k] >= 3 for k in ("mc", "tf", "short", "cloze"))
    # Reinforcement learning's other claims read as about other terms (see below).
    assert all(counts["reinforcement-learning"][k] >= 1 for k in ("mc", "tf", "short", "cloze"))
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


# --- stems that single out their key ---------------------------------------------------


def test_a_claim_that_reads_as_about_another_term_is_never_asked(bank, questions) -> None:
    # True of k-means in the material, but a learner reads it as supervised learning; and
    # "optimize retrieval strategies" as retrieval-augmented generation.
    rivals = bank.checker.rivals
    stem = "_____ can provide labelled insights for a supervised classifier."
    claim = "can provide labelled insights for a supervised classifier"
    assert rivals.rival("k-means clustering", claim, stem) == "supervised learning"
    prompts = [q.prompt for q in _every(questions)]
    for claim in (
        "provide labelled insights for a supervised classifier",
        "optimize retrieval strategies",
        "liberates generative workflows",  # a figure of speech: nothing PCA does
        "liberate generative workflows",
    ):
        assert not any(claim in p for p in prompts), claim


def test_a_claim_that_points_to_its_key_is_still_asked(bank, questions) -> None:
    for fragment in (
        "tracks lineage, secures access",
        "designed to handle sequences, remembering past states",
        "orchestration of reasoning chains, memory systems",
        "manages the lifecycle of models",
    ):
        kinds = {q.kind for q in _from(questions, fragment)}
        assert {"cloze", "short"} <= kinds, fragment


def test_people_are_never_the_answer(questions) -> None:
    # "What does retrieval-augmented generation teach?" keyed "candidates".
    assert all(q.answer.lower() not in ("candidates", "engineers") for q in _every(questions))
    assert all("teach?" not in q.prompt for q in questions["short"])


def test_a_frame_s_noun_reads_for_them(questions) -> None:
    # "In an era where datasets contain ... variables, PCA condenses them into ..."
    [short] = [q for q in _from(questions, "PCA condenses them") if q.kind == "short"]
    assert "which technique condenses the variables into smaller representations" in short.prompt
    assert short.answer == "PCA"


def test_definitions_by_where_and_by_contrast_are_asked(questions) -> None:
    zero_shot = _from(questions, "zero-shot prompting, where no examples guide the model")
    assert {q.answer for q in zero_shot if q.kind == "cloze"} == {"zero-shot prompting"}
    generator = _from(questions, "A generator strives to produce data indistinguishable")
    assert [q.prompt for q in generator if q.kind == "cloze"] == [
        "A _____ strives to produce data indistinguishable from reality."
    ]
    unlike = _from(questions, "Unlike model-based approaches, Q-learning")
    assert {q.kind for q in unlike} == {"cloze"}  # negated: no options, no false swap


# --- which paradigm a method belongs to ------------------------------------------------


def test_which_paradigm_a_method_belongs_to_is_asked(bank, questions) -> None:
    members = {p.key: set(p.members) for p in bank.paradigms.paradigms}
    assert {"k-means clustering", "principal component analysis"} <= members[
        "unsupervised learning"
    ]
    assert {"decision trees", "linear regression"} <= members["supervised learning"]
    assert members["reinforcement learning"] == {"q-learning"}
    asked = [q for q in questions["mc"] if q.prompt.startswith("Which of these is a technique of")]
    assert len(asked) >= 5
    for q in asked:
        paradigm = next(p for p in members if q.prompt.endswith(f" of {p}?"))
        assert q.answer.lower() in members[paradigm]
        # every wrong option is a method of another paradigm
        for option in q.options:
            if option != q.answer:
                assert any(option.lower() in m for p, m in members.items() if p != paradigm)


def test_a_paradigm_statement_is_true_only_of_its_own(bank) -> None:
    members = {m: p.key for p in bank.paradigms.paradigms for m in p.members}
    seen = {"True": 0, "False": 0}
    for seed in range(6):
        rng = Random(seed)
        for chunk_id in sorted(bank.materials):
            for q in bank.paradigms.for_material(bank.materials[chunk_id], "tf", rng):
                prompt = q.prompt.lower()
                member = next(m for m in members if prompt.startswith(f"true or false? {m} "))
                said = prompt.endswith(f" to {members[member]}.")
                assert q.answer == ("True" if said else "False"), q.prompt
                # the feedback states the truth either way
                assert f"to {members[member]}" in q.explanation.lower()
                seen[q.answer] += 1
    assert seen["True"] > 0 and seen["False"] > 0
