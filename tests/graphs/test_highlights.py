"""The sentences an offline answer highlights state the answer: what the asked term is, its
parts, how it works; not the passage's most striking line about the subject."""

from __future__ import annotations

import pytest

from graphs.chat.highlights import highlights
from graphs.chat.offline import offline_answer
from graphs.chat.state import PassageRef, passage_ref
from tutor.corpus.glossary import Glossary
from tutor.corpus.search import Passage
from tutor.corpus.sentences import CachedEmbed


def passages(*texts: str) -> list[PassageRef]:
    return [
        passage_ref(
            Passage(n, f"c{n}", text, "guide.md", f"Part {n}", (n, n), "lines", [], 1, 1), n
        )
        for n, text in enumerate(texts, start=1)
    ]


@pytest.fixture(scope="module")
def embed(embedder):
    return CachedEmbed(embedder.embed)


GAN = passages(
    "Generative adversarial networks (GANs) are among the most striking ideas of deep "
    "learning. On the creative side, GANs directly fuel industries that thrive on "
    "imagination. GANs, after all, bring with them as many risks as rewards.",
    "The philosophical resonance of GANs is profound. A GAN consists of two networks: a "
    "generator that produces candidate samples and a discriminator that judges whether "
    "each sample is real or generated.",
)
RLHF = passages(
    "Reinforcement learning from human feedback (RLHF) has become central to large language "
    "models. For certification candidates, understanding RLHF is both a technical and "
    "philosophical imperative. In RLHF, human evaluators rank the model's outputs, and a "
    "reward model learns from those rankings to guide further training.",
)
LEARNING = passages(
    "If supervised learning embodies the discipline of guidance, unsupervised learning "
    "represents the freedom of discovery. Supervised learning trains a model on labelled "
    "examples, where every input comes with the expected output. Unsupervised learning "
    "finds structure such as clusters in unlabelled data.",
)


def glossary_of(found: list[PassageRef]) -> Glossary:
    return Glossary.build(p["text"] for p in found)


@pytest.mark.parametrize(
    "question, found, answer",
    [
        ("What is a GAN made of?", GAN, "a generator that produces candidate samples"),
        ("How do people take part in RLHF?", RLHF, "human evaluators rank the model's outputs"),
    ],
)
def test_the_first_highlight_states_the_answer(embed, question, found, answer) -> None:
    picked = highlights(question, found, embed=embed, glossary=glossary_of(found))
    assert answer in picked[0].text


def test_a_comparison_highlights_both_definitions(embed) -> None:
    question = "supervised vs unsupervised learning"
    picked = highlights(question, LEARNING, embed=embed, glossary=glossary_of(LEARNING))
    shown = " ".join(s.text for s in picked)
    assert "trains a model on labelled examples" in shown
    assert "structure such as clusters in unlabelled data" in shown
    assert "discipline of guidance" not in shown


def test_rhetoric_about_the_subject_is_not_highlighted_first(embed) -> None:
    picked = highlights("What is a GAN made of?", GAN, embed=embed, glossary=glossary_of(GAN))
    assert "thrive on imagination" not in picked[0].text
    assert "philosophical resonance" not in " ".join(s.text for s in picked)


def test_highlights_cite_the_passage_they_come_from(embed) -> None:
    _text, quoted, shown = offline_answer(
        "What is a GAN made of?", GAN, "Offline.", embed=embed, glossary=glossary_of(GAN)
    )
    assert quoted == GAN and 1 <= len(shown) <= 3
    for highlight in shown:
        assert set(highlight) == {"text", "n"}
        assert highlight["text"] in " ".join(GAN[highlight["n"] - 1]["text"].split())


def test_without_an_embedder_shared_words_pick_the_sentences() -> None:
    picked = highlights("What does a discriminator judge in a GAN?", GAN, embed=None, glossary=None)
    assert "discriminator that judges" in picked[0].text


MLFLOW = passages(
    "MLflow is the backbone of transparency. It allows candidates to log every experiment, "
    "track hyperparameters, and measure performance metrics across time. Every experiment "
    "tracked with MLflow is not simply a log entry but a rehearsal of professional discipline.",
    "Candidates preparing for the exam should treat MLflow as a habit of mind.",
)


def test_a_sentence_that_says_it_is_read_with_the_one_naming_the_subject(embed) -> None:
    question = "What does MLflow let you keep track of?"
    picked = highlights(question, MLFLOW, embed=embed, glossary=glossary_of(MLFLOW))
    assert picked[0].text.startswith("It allows candidates to log every experiment")
