"""What a passage can be asked: its facts (`tutor.quiz.facts`), each with its subject blanked.

A slot is one claim of the material about one key term: a cloze with the term blanked,
the stem of a multiple-choice question, a true/false statement, and the source of a
short-answer question. It is asked under the topic that names its term.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from tutor.corpus.topics import TopicMap
from tutor.quiz.cloze import BLANK, MAX_WORDS
from tutor.quiz.facts import Fact, FactFinder
from tutor.quiz.terms import KeyTerms, Material
from tutor.quiz.wording import FUNCTION_WORDS, head_noun, nounish, whole_word

MIN_FACT_WORDS = 6
"""A claim this short still says something ("MLflow manages the lifecycle of models")."""
MIN_STEM_WORDS = 5
"""The stem must keep this many words besides the blank to say what it asks."""


@dataclass(frozen=True)
class Slot:
    """A sentence of a chunk with one key term to blank in it: one cloze, and the stem of
    a multiple-choice or true/false question."""

    material: Material
    sentence: str
    key: str
    surface: str
    """The term as written in the sentence."""
    prompt: str
    """The sentence with the term blanked."""
    score: float
    topic: str
    fact: Fact | None = None
    """The claim of the material the slot asks about."""
    role: Literal["subject", "object"] = "subject"
    """What is blanked: the fact's subject, or a key term of its claim."""

    @property
    def source(self) -> str:
        """The sentence of the material the slot comes from."""
        return self.fact.sentence if self.fact is not None else self.sentence


class SlotFinder(Mapping[str, list[Slot]]):
    """What each passage of a corpus can be asked, best first, by chunk id (in sorted
    order); `find` works it out for any passage.

    A chunk's slots are worked out when first looked up: building the bank then costs one
    pass over the text, and a quiz on one topic never reads the rest."""

    def __init__(
        self,
        terms: KeyTerms,
        topics: TopicMap | None,
        materials: Mapping[str, Material],
        facts: FactFinder,
    ) -> None:
        self.terms = terms
        self.facts = facts
        self.topics = topics
        self._materials = materials
        self._found: dict[str, list[Slot]] = {}
        self._topic_matches: dict[str, list[str]] = {}

    def __getitem__(self, chunk_id: str) -> list[Slot]:
        if chunk_id not in self._found:
            self._found[chunk_id] = self.find(self._materials[chunk_id])
        return self._found[chunk_id]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._materials))

    def __len__(self) -> int:
        return len(self._materials)

    def find(self, material: Material) -> list[Slot]:
        """The facts of a passage, each with its subject blanked, best scored first (names
        and phrases before words); a fact whose subject has no topic is left out."""
        scores = self.terms.chunk_scores.get(material.chunk_id)
        if scores is None:  # a passage the bank was not built from: score by idf alone
            scores = {k: t.score for k, t in self.terms.terms.items()}
        slots: list[Slot] = []
        for fact in self.facts.find(material):
            slot = self._slot(fact, scores.get(fact.key, 0.0))
            if slot is not None:
                slots.append(slot)
                extra = self._object_slot(slot, scores)
                if extra is not None:
                    slots.append(extra)
        slots.sort(key=lambda s: (self.terms.terms[s.key].kind == "word", -s.score))
        return slots

    def _slot(self, fact: Fact, score: float) -> Slot | None:
        topic = self._topic_for(fact.key, fact.material)
        words = len(fact.statement.split())
        if topic is None or not MIN_FACT_WORDS <= words <= MAX_WORDS:
            return None
        prompt = _blanked(fact.statement, fact.surface)
        if prompt is None:
            return None
        return Slot(
            fact.material, fact.statement, fact.key, fact.surface, prompt, score, topic, fact
        )

    def _object_slot(self, slot: Slot, scores: dict[str, float]) -> Slot | None:
        """The fact with the best key term of its claim blanked ("MLflow manages the
        _____ of models"): a cloze, and the source of a "What does MLflow manage?"."""
        fact = slot.fact
        if fact is None or not fact.verb:
            return None
        claim = fact.predicate.lower()
        found = [
            k
            for k in self.terms.terms
            if k in claim
            and k != fact.key
            and (self.terms.terms[k].kind != "word" or self._naming(k))
            and whole_word(k).search(fact.predicate)
        ]
        if not found:
            return None
        key = max(found, key=lambda k: (len(k.split()), scores.get(k, 0.0), k))
        surface = whole_word(key).search(fact.predicate).group(0)
        at = fact.statement.rfind(fact.predicate)
        prompt = _blanked(fact.statement[at:], surface)
        if prompt is None or _in_list(prompt) or _modifies(prompt) or _loose(prompt):
            return None  # a list item or a modifier: another word may fit the blank as well
        prompt = fact.statement[:at] + prompt
        return Slot(
            fact.material,
            fact.statement,
            key,
            surface,
            prompt,
            scores.get(key, 0.0),
            slot.topic,
            fact,
            role="object",
        )

    def topic_of(self, key: str, material: Material) -> str | None:
        """The topic a question on the term from this passage is asked under."""
        return self._topic_for(key, material)

    def _topic_for(self, key: str, material: Material) -> str | None:
        """The passage's topic whose keywords name the term; else, for a specific term (a
        name or a phrase: MLflow, reinforcement learning), any topic whose keywords name it;
        else the passage's first topic. A lone word ("agents") is too loose to move a
        question away from what its passage is about."""
        if self.topics is not None:
            naming = self._naming(key)
            own = [t for t in material.topics if t in naming]
            if own:
                return own[0]
            if naming and self.terms.terms[key].kind != "word":
                return naming[0]
        return material.topics[0] if material.topics else None

    def naming(self, key: str) -> list[str]:
        """The topics whose keywords name the term."""
        return self._naming(key)

    def _naming(self, key: str) -> list[str]:
        """The topics whose keywords name the term ("data lakes" is named by "data lake")."""
        if key not in self._topic_matches:
            forms = {key, " ".join([*key.split()[:-1], head_noun(key)])}
            self._topic_matches[key] = [
                t.id
                for t in (self.topics.topics if self.topics else ())
                if any(t.matches_heading(f) for f in forms)
            ]
        return self._topic_matches[key]

    def chunks_about(self, topic: str) -> list[str]:
        """The chunks that may hold questions on the topic: those tagged with it, and those
        using a name or phrase its keywords name. Saves working out every chunk's slots."""
        naming = {
            k for k, t in self.terms.terms.items() if t.kind != "word" and topic in self._naming(k)
        }
        scores = self.terms.chunk_scores
        return [
            c
            for c in sorted(self._materials)
            if topic in self._materials[c].topics or not naming.isdisjoint(scores[c])
        ]


def _blanked(statement: str, surface: str) -> str | None:
    """The statement with the term blanked, if what is left says enough."""
    prompt = whole_word(surface).sub(BLANK, statement, count=1)
    if BLANK not in prompt or len(prompt.replace(BLANK, " ").split()) < MIN_STEM_WORDS:
        return None
    if re.search(rf"-{BLANK}|{BLANK}-", prompt):
        return None  # part of a hyphenated word ("_____-based")
    return prompt


def _in_list(prompt: str) -> bool:
    """The blank is an item of an enumeration: "A, _____, and C", "_____ and B"."""
    before, _, after = prompt.partition(BLANK)
    return bool(re.search(r"(,|\band|\bor)\s*$", before) or re.match(r"\s*(,|and\b|or\b)", after))


def _modifies(prompt: str) -> bool:
    """The blank modifies the noun after it ("housed in a _____ environment")."""
    after = prompt.partition(BLANK)[2].split()
    word = after[0].lower().strip(".,;:") if after else ""
    return word.isalpha() and word not in FUNCTION_WORDS and nounish(word)


def _loose(prompt: str) -> bool:
    """The blank is a loose complement ("integrates memory and retrieval into _____"): many
    phrases would fit it."""
    before = prompt.partition(BLANK)[0].split()
    return bool(before) and before[-1].lower() in ("into", "to", "for", "across", "in", "on")
