"""Offline questions on the real corpus, with the real MiniLM: blanks are real terms and
multiple-choice distractors are not synonyms of the key."""

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
from tutor.text import STOPWORDS

MC_PROMPT_TAIL = "\nWhich term fills the blank?"


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
    for kind in ("cloze", "mc", "tf"):
        rng = Random(0)
        found[kind] = [q for c in sorted(bank.materials) for q in bank.questions_for(c, kind, rng)]
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'\u2019-]+", text.replace(BLANK, " "))


def _contains(text: str, term: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE))


def test_the_app_can_build_the_bank_from_the_index(indexed_settings: Settings, embed) -> None:
    bank = _bank(indexed_settings, embed)
    assert len(bank.materials) >= 50 and len(bank.terms.terms) >= 100
    question = bank.for_topic("rlhf", "mc", Random(0))
    assert question is not None and question.topic == "rlhf"
    assert re.fullmatch(r".+\.md § .+ \(lines? \d+(-\d+)?\)", question.source)


def test_every_blank_is_a_real_term_of_its_passage(bank, questions) -> None:
    cloze_and_mc = questions["cloze"] + questions["mc"]
    assert len(questions["cloze"]) >= 200 and len(questions["mc"]) >= 200
    for q in cloze_and_mc:
        passage = bank.materials[q.chunk_id].text
        stem = q.prompt.removesuffix(MC_PROMPT_TAIL)
        if q.kind == "cloze":
            assert q.answer in passage  # verbatim, as written there
        assert _contains(passage, q.answer)
        assert q.answer.lower() in bank.terms.terms
        assert q.answer.lower() not in STOPWORDS and len(q.answer) >= 3
        assert BLANK in stem and not _contains(stem, q.answer)
        assert len(_words(stem)) >= 6
        sentence = re.search(r'"(.*)"$', q.explanation).group(1)  # the real sentence
        assert sentence in " ".join(passage.split())
        assert re.fullmatch(re.escape(stem).replace(re.escape(BLANK), ".+"), sentence)


def test_multiple_choice_distractors_are_not_synonyms_of_the_key(
    questions, embedder: Embedder
) -> None:
    pairs: set[tuple[str, str]] = set()
    for q in questions["mc"]:
        assert len(q.options) == 4 and len({o.lower() for o in q.options}) == 4
        assert q.answer in q.options
        stem = q.prompt.removesuffix(MC_PROMPT_TAIL)
        for option in q.options:
            if option != q.answer:
                assert not _contains(stem, option)
                assert not _contains(stem, option.split()[-1])
                pairs.add((q.answer, option))
    texts = sorted({t for pair in pairs for t in pair})
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    closest = max(float(vectors[a] @ vectors[b]) for a, b in pairs)
    assert closest < SYNONYM_COSINE


def test_the_synonym_threshold_separates_the_corpus_synonyms(embedder: Embedder) -> None:
    """The calibration (see SYNONYM_COSINE): synonyms found among the corpus's terms score
    at or above it, good distractor pairs below."""
    synonyms = [
        ("collaboration", "collaborators"),
        ("reasoning", "logic"),
        ("neural networks", "deep learning"),
        ("choices", "decisions"),
        ("compliance", "regulations"),
        ("search", "retrieval"),
        ("deep learning models", "neural architectures"),
        ("data", "records"),
    ]
    distinct = [
        ("CNNs", "RNNs"),
        ("MLflow", "LangChain"),
        ("decision trees", "k-means clustering"),
        ("RLHF", "PCA"),
        ("governance", "lakehouse"),
        ("prompt engineering", "anomaly detection"),
    ]

    def cosine(a: str, b: str) -> float:
        va, vb = embedder.embed([a, b])
        return float(va @ vb)

    assert all(cosine(a, b) >= SYNONYM_COSINE for a, b in synonyms)
    assert all(cosine(a, b) < SYNONYM_COSINE for a, b in distinct)


def test_most_topics_get_several_questions(bank, questions, embed) -> None:
    topics = load_topics(PROJECT_CORPUS / "topics.toml").ids()
    mc = Counter(q.topic for q in questions["mc"])
    cloze = Counter(q.topic for q in questions["cloze"])
    assert set(mc) <= set(topics)
    assert all(cloze[t] >= 1 for t in topics)
    assert sum(mc[t] >= 4 for t in topics) >= 12
    assert bank.topic_counts() == dict(sorted(cloze.items()))
    # Asking by topic (which looks only at the chunks that may hold the topic) reaches
    # every one of them.
    fresh = QuestionBank(bank.terms, bank.topics, bank.materials.values(), embed)
    for topic in topics:
        asked: set[str] = set()
        while (q := fresh.for_topic(topic, "cloze", Random(0), exclude=asked)) is not None:
            asked.add(q.id)
        assert len(asked) == cloze[topic]


def test_true_false_on_the_corpus(bank, questions) -> None:
    tf = questions["tf"]
    assert len(tf) >= 40
    assert 0.3 <= sum(q.answer == "True" for q in tf) / len(tf) <= 0.7
    for q in tf:
        statement = q.prompt.removeprefix("True or false? ")
        sentence = re.search(r'"([^"]*)"$', q.explanation).group(1)
        passage = " ".join(bank.materials[q.chunk_id].text.split())
        assert sentence in passage
        if q.answer == "True":
            assert statement == sentence
        else:
            real, fake = re.match(r'The material says "(.+?)", not "(.+?)"', q.explanation).groups()
            assert _contains(sentence, real) and not _contains(passage, fake)
            assert bank.terms.terms[fake.lower()].kind == bank.terms.terms[real.lower()].kind
            assert _contains(statement, fake)


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
