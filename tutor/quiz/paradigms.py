"""Which paradigm a method belongs to: "Which of these is a technique of unsupervised
learning?", "True or false? Decision trees belong to reinforcement learning."

An exam asks this of every method it names, and the material files each under one
paradigm: the topic map has a topic per paradigm ("Supervised Learning", "Unsupervised
Learning", "Reinforcement Learning, MDPs and Q-Learning", "Prompt Engineering") whose
keywords name its methods (k-means, PCA, decision trees, Q-learning, prompt chaining).
Paradigms are told apart by definition, so a method of one is a fair wrong option for
another. A method two paradigms name is asked under neither; of the names of one method
(PCA, principal component analysis; clustering, k-means clustering) only the one of most
words is asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from random import Random

from tutor.corpus.sentences import split_sentences
from tutor.corpus.topics import TopicMap
from tutor.quiz.categories import Category, related, title_head
from tutor.quiz.questions import Question
from tutor.quiz.terms import Material
from tutor.quiz.wording import is_plural, whole_word

_KINDS_OF_METHOD = ("method", "model")
_GENERIC_HEADS = frozenset({"model", "models", "method", "methods", "technique", "techniques"})
"""A term ending so names a sort of method ("regression models"), not a method."""


@dataclass(frozen=True)
class Paradigm:
    """A learning paradigm of the topic map with the methods the material files under it."""

    key: str
    """The paradigm's term ("unsupervised learning")."""
    topic: str
    members: tuple[str, ...]


def find_paradigms(
    topics: TopicMap | None,
    concepts: Iterable[str],
    categories: Mapping[str, Category | None],
    aliases: Mapping[str, str],
    naming: Callable[[str], list[str]],
) -> list[Paradigm]:
    """The topics titled by a method of the material ("Unsupervised Learning", "Prompt
    Engineering"), each with its methods: terms of a method's sort whose topic keywords
    are that topic's alone."""
    if topics is None:
        return []
    concepts = set(concepts)
    titled = {t.id: title_head(t.title).strip() for t in topics.topics}
    heads = {t: h for t, h in titled.items() if h in concepts and categories.get(h) == "method"}
    found = []
    for topic_id, head in sorted(heads.items()):
        members = [
            k
            for k in sorted(concepts)
            if categories.get(k) in _KINDS_OF_METHOD
            and k.split()[-1] not in _GENERIC_HEADS
            and [t for t in naming(k) if t in heads] == [topic_id]
            and not any(related(k, h, aliases) for h in heads.values())
        ]
        specific = [
            k
            for k in members
            if not any(m != k and related(k, m, aliases) and _rank(m) > _rank(k) for m in members)
        ]
        found.append(Paradigm(head, topic_id, tuple(specific)))
    return [p for p in found if p.members]


def _rank(term: str) -> tuple[int, int]:
    """Which of two names of one method is asked: the one of more words ("k-means
    clustering" over "clustering", "principal component analysis" over "pca")."""
    return len(term.split()), -len(term)


class ParadigmQuestions:
    """Multiple-choice and true/false questions on which paradigm each method belongs to."""

    def __init__(
        self,
        paradigms: list[Paradigm],
        texts: Mapping[str, str],
        categories: Mapping[str, Category | None],
        materials: Mapping[str, Material],
        said_of: Callable[[str, str, str], bool] = lambda term, claim, key: False,
    ) -> None:
        """`said_of(term, claim, key)`: whether the material says the claim of the term
        too (`Support.says`); such a term is no wrong option."""
        self.paradigms = paradigms
        self.said_of = said_of
        self.texts = texts
        self.categories = categories
        self._homes = {
            member: home
            for p in paradigms
            for member in p.members
            if (home := _home(member, p.key, p.topic, texts.get(member, member), materials))
        }

    def for_material(self, material: Material, kind: str, rng: Random) -> Iterator[Question]:
        """The questions asked from this passage (each method is asked from one passage:
        the first of its paradigm's that names it)."""
        for paradigm in self.paradigms:
            others = [m for p in self.paradigms if p is not paradigm for m in p.members]
            for member in paradigm.members:
                home = self._homes.get(member)
                if home is None or home[0] != material.chunk_id:
                    continue
                question = self._question(paradigm, member, others, kind, rng, material, home[1])
                if question is not None:
                    yield question

    def _question(
        self,
        paradigm: Paradigm,
        member: str,
        others: list[str],
        kind: str,
        rng: Random,
        material: Material,
        sentence: str,
    ) -> Question | None:
        written = self.texts.get(member, member)
        belongs = "belong" if is_plural(written) else "belongs"
        truth = f"{written[:1].upper()}{written[1:]} {belongs} to {paradigm.key}"
        base = {
            "topic": paradigm.topic,
            "chunk_id": material.chunk_id,
            "source": material.citation,
            "origin": "offline",
            "sentence": sentence,
            "explanation": f'{truth}; the material covers it with {paradigm.key}: "{sentence}"',
        }
        if kind == "mc":
            # "a technique of", not "a ... model": no sort in the stem that only the key has
            prompt = f"Which of these is a technique of {paradigm.key}?"
            wrong = [self.texts.get(o, o) for o in sorted(others)]
            wrong = [w for w in wrong if not self.said_of(w, prompt, written)]
            if len(wrong) < 3:
                return None
            options = [written, *rng.sample(wrong, 3)]
            rng.shuffle(options)
            return Question(kind="mc", prompt=prompt, options=options, answer=written, **base)
        if kind == "tf":
            rivals = sorted(p.key for p in self.paradigms if p is not paradigm)
            if not rivals:
                return None  # "True" alone would give it away
            said, answer = paradigm.key, "True"
            if rng.random() < 0.5:
                said, answer = rng.choice(rivals), "False"
                base["explanation"] = base["explanation"].replace(
                    truth, f"{truth}, not to {said}", 1
                )
            statement = f"{written[:1].upper()}{written[1:]} {belongs} to {said}."
            return Question(
                kind="tf",
                prompt=f"True or false? {statement}",
                options=["True", "False"],
                answer=answer,
                **base,
            )
        return None


def _home(
    member: str, paradigm: str, topic: str, written: str, materials: Mapping[str, Material]
) -> tuple[str, str] | None:
    """The passage of the paradigm's topic to ask from, and the sentence to show: the
    first naming the method with the paradigm ("K-means clustering, perhaps the most widely
    recognized unsupervised model, ..."), else the first naming the method."""
    pattern, word = whole_word(written), re.compile(rf"\b{re.escape(paradigm.split()[0])}", re.I)
    found: list[tuple[str, str]] = []
    for chunk_id in sorted(materials):
        material = materials[chunk_id]
        if topic not in material.topics:
            continue
        for sentence in split_sentences(material.text):
            if pattern.search(sentence):
                found.append((chunk_id, " ".join(sentence.split())))
    both = [f for f in found if word.search(pattern.sub("", f[1]))]
    return (both or found or [None])[0]


def _a(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"
