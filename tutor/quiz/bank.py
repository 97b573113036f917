"""Quiz questions without a model: cloze, multiple choice and true/false from key terms.

Offline, the quiz still needs questions that read like an exam's. They are built from the
material alone, deterministically:

1. Key terms (`tutor.quiz.terms`): names, phrases and words that recur in the material,
   found by cheap grammar rules (`tutor.quiz.wording`) and scored per chunk by TF-IDF.
2. Slots (`tutor.quiz.slots`): a sentence of a chunk with its best key term blanked is a
   cloze (`tutor.quiz.cloze.build_check` decides whether the sentence reads alone).
3. Questions (`QuestionBank`, here). Multiple choice adds three distractors
   (`tutor.quiz.distractors`). True/false states the sentence as written, or with the key
   swapped for a distractor from another topic.

Randomness only ever comes from the `random.Random` the caller passes in, and every
candidate list is sorted first, so the same corpus and seed give the same questions.
Building costs one pass over the text plus one embedding batch of the distractor
vocabulary; what each chunk can be asked is worked out when first needed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from random import Random
from typing import Literal

from tutor.corpus.catalog import ChunkRecord
from tutor.corpus.sentences import Embed
from tutor.corpus.topics import TopicMap
from tutor.quiz.cloze import BLANK
from tutor.quiz.distractors import Distractors
from tutor.quiz.questions import TRUE_FALSE, Question, QuestionKind
from tutor.quiz.slots import Slot, SlotFinder
from tutor.quiz.terms import KeyTerms, Material
from tutor.quiz.wording import whole_word

Requested = QuestionKind | Literal["mixed"]
Passage = ChunkRecord | Material | str
"""A passage to ask about: a chunk record, a `Material`, or the id of a chunk in the bank."""

OPTIONS = 4


class QuestionBank:
    """Offline questions on the material: build once per corpus, then ask for questions.

    `embed` (texts -> unit vectors, e.g. `Embedder.embed`) enables the synonym filter and
    ranks distractors by plausibility; without it distractors are ranked by topic and
    score only.
    """

    def __init__(
        self,
        terms: KeyTerms,
        topics: TopicMap | None,
        materials: Iterable[Material],
        embed: Embed | None = None,
    ) -> None:
        self.terms = terms
        self.topics = topics
        self.materials = {m.chunk_id: m for m in materials}
        self.slots = SlotFinder(terms, topics, self.materials)
        """Per chunk id (in sorted order), what can be asked on it, best first."""
        self.distractors = Distractors(terms, embed)
        self._by_topic: dict[str, list[Slot]] | None = None

    @classmethod
    def build(
        cls,
        records: Iterable[ChunkRecord | Material],
        topics: TopicMap | None,
        embed: Embed | None = None,
    ) -> QuestionBank:
        """The bank for a corpus, e.g. `catalog.records(catalog.chunk_ids()).values()`."""
        materials = [r if isinstance(r, Material) else Material.of(r) for r in records]
        materials.sort(key=lambda m: m.chunk_id)
        return cls(KeyTerms.build(materials, topics), topics, materials, embed)

    # --- what can be asked ------------------------------------------------------------

    def by_topic(self) -> dict[str, list[Slot]]:
        """Every slot of the corpus by the topic its question is about."""
        if self._by_topic is None:
            self._by_topic = defaultdict(list)
            for chunk_id in sorted(self.materials):
                for slot in self.slots[chunk_id]:
                    self._by_topic[slot.topic].append(slot)
        return self._by_topic

    # --- questions --------------------------------------------------------------------

    def questions_for(
        self,
        chunk: Passage,
        kind: Requested,
        rng: Random,
        exclude: Collection[str] = (),
    ) -> list[Question]:
        """Every question of this kind the passage offers (best first), minus `exclude`d
        ids. "short" is a model's job; offline it falls back to cloze. "mixed" picks a kind
        per sentence at random."""
        return list(self._iter(self._material(chunk), kind, rng, exclude))

    def make(
        self,
        chunk: Passage,
        kind: Requested,
        rng: Random,
        exclude: Collection[str] = (),
    ) -> Question | None:
        """The passage's best question of this kind not in `exclude`, or None."""
        return next(self._iter(self._material(chunk), kind, rng, exclude), None)

    def for_topic(
        self, topic: str, kind: Requested, rng: Random, exclude: Collection[str] = ()
    ) -> Question | None:
        """A question on the topic from any passage, or None: chosen at random among the
        names and phrases first, then among plain words."""
        if self._by_topic is not None:
            slots = list(self._by_topic.get(topic, []))
        else:
            chunks = self.slots.chunks_about(topic)
            slots = [s for c in chunks for s in self.slots[c] if s.topic == topic]
        words = [s for s in slots if self.terms.terms[s.key].kind == "word"]
        terms = [s for s in slots if self.terms.terms[s.key].kind != "word"]
        rng.shuffle(terms)
        rng.shuffle(words)
        for slot in terms + words:
            question = self._question(slot, kind, rng)
            if question is not None and question.id not in exclude:
                return question
        return None

    def topic_counts(self) -> dict[str, int]:
        """How many sentence-and-term slots (each at least a cloze) each topic has."""
        return {topic: len(slots) for topic, slots in sorted(self.by_topic().items())}

    def _material(self, chunk: Passage) -> Material:
        if isinstance(chunk, str):
            return self.materials[chunk]
        return chunk if isinstance(chunk, Material) else Material.of(chunk)

    def _iter(
        self, material: Material, kind: Requested, rng: Random, exclude: Collection[str]
    ) -> Iterator[Question]:
        if self.materials.get(material.chunk_id) == material:
            slots = self.slots[material.chunk_id]
        else:  # a passage the bank was not built from
            slots = self.slots.find(material)
        seen = set(exclude)
        for slot in slots:
            question = self._question(slot, kind, rng)
            if question is not None and question.id not in seen:
                seen.add(question.id)  # two blanks of one sentence state it the same way
                yield question

    def _question(self, slot: Slot, kind: Requested, rng: Random) -> Question | None:
        if kind == "mixed":
            kind = rng.choice(["mc", "tf", "cloze"])
            return self._question(slot, kind, rng) or self._question(slot, "cloze", rng)
        if kind == "mc":
            return self._multiple_choice(slot, rng)
        if kind == "tf":
            return self._true_false(slot, rng)
        return self._cloze(slot)  # cloze, and short offline

    def _base(self, slot: Slot) -> dict:
        return {
            "explanation": f'The material says: "{slot.sentence}"',
            "topic": slot.topic,
            "chunk_id": slot.material.chunk_id,
            "source": slot.material.citation,
            "origin": "offline",
        }

    def _cloze(self, slot: Slot) -> Question:
        return Question(kind="cloze", prompt=slot.prompt, answer=slot.surface, **self._base(slot))

    def _multiple_choice(self, slot: Slot, rng: Random) -> Question | None:
        distractors = self.distractors.pick(slot, OPTIONS - 1, rng)
        if len(distractors) < OPTIONS - 1:
            return None
        key = self.terms.terms[slot.key].text
        options = [key, *distractors]
        rng.shuffle(options)
        prompt = f"{slot.prompt}\nWhich term fills the blank?"
        return Question(kind="mc", prompt=prompt, options=options, answer=key, **self._base(slot))

    def _true_false(self, slot: Slot, rng: Random) -> Question | None:
        """The sentence as written (true) or with its key term swapped for a distractor
        (false), with even odds. Only on names and phrases: swapping a plain word of the
        material's prose ("success" for "ability") makes statements no one can call false.
        Nor on an item of a list ("combine prompt engineering, retrieval augmentation and
        governance"): another item there may well be true too. A slot that cannot be made
        false is not asked at all, so "True" is never the giveaway."""
        if self.terms.terms[slot.key].kind == "word" or _in_list(slot.prompt):
            return None
        # The false term comes from another topic: one of the same family ("support vector
        # machines" for "regression models" in "supervised learning manifests in ...") may
        # make a statement that is true after all.
        swap = self.distractors.pick(slot, 1, rng, other_topics=True)
        if not swap:
            return None  # it could never be false: asking it would favour "True"
        statement, answer = slot.sentence, "True"
        base = self._base(slot)
        if rng.random() < 0.5:
            statement = _swap(slot.sentence, slot.surface, swap[0])
            answer = "False"
            base["explanation"] = (
                f'The material says "{self.terms.terms[slot.key].text}", not '
                f'"{swap[0]}": "{slot.sentence}"'
            )
        return Question(
            kind="tf",
            prompt=f"True or false? {statement}",
            options=list(TRUE_FALSE),
            answer=answer,
            **base,
        )


def _in_list(prompt: str) -> bool:
    """The blank is an item of an enumeration: "A, _____, and C", "_____ and B"."""
    before, _, after = prompt.partition(BLANK)
    return bool(re.search(r"(,|\band|\bor)\s*$", before) or re.match(r"\s*(,|and\b|or\b)", after))


def _swap(sentence: str, surface: str, replacement: str) -> str:
    """The sentence with the term replaced; capitalised if it opens the sentence."""

    def repl(match: re.Match[str]) -> str:
        if match.start() == 0 and replacement[:1].islower():
            return replacement[:1].upper() + replacement[1:]
        return replacement

    return whole_word(surface).sub(repl, sentence)
