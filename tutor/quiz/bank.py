"""Quiz questions without a model: cloze, multiple choice, true/false and short answer.

Offline, the quiz still needs questions that read like an exam's. They are built from what
the material states, deterministically:

1. Key terms (`tutor.quiz.terms`): names, phrases and words that recur in the material.
2. Facts (`tutor.quiz.facts`): clauses whose subject is a key term, read as claims
   ("MLflow manages the lifecycle of models"); rhetoric and clauses that lean on the
   previous sentence are not facts. A slot (`tutor.quiz.slots`) is a fact with its subject
   blanked: a cloze as it stands.
3. Questions (`QuestionBank`, here). Multiple choice adds three distractors of the same
   sort as the key (`tutor.quiz.categories`) that the material does not say the stem of
   (`tutor.quiz.support`). True/false states the fact, or swaps its subject for a term
   of the same sort whose swap the material does not support. Short answer asks for the
   term the fact is about ("Which tool manages the lifecycle of models?"), or what an
   acronym the material spells out stands for.
4. Every question goes through the item-writing flaw checker (`tutor.quiz.flaws`); a
   flawed one is counted (`rejections`) and never returned.

Randomness only ever comes from the `random.Random` the caller passes in, and every
candidate list is sorted first, so the same corpus and seed give the same questions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from random import Random
from typing import Literal

from tutor.corpus.catalog import ChunkRecord
from tutor.corpus.sentences import Embed
from tutor.corpus.topics import TopicMap
from tutor.quiz.categories import Families, category_of, find_aliases, spelled_out
from tutor.quiz.cloze import BLANK
from tutor.quiz.distractors import Distractors
from tutor.quiz.facts import FactFinder
from tutor.quiz.flaws import ANOTHER_TERM_FITS, FlawChecker
from tutor.quiz.paradigms import ParadigmQuestions, find_paradigms
from tutor.quiz.questions import Question, QuestionKind, sentence_id
from tutor.quiz.rivals import Rivals
from tutor.quiz.short import (
    acronym_questions,
    forward_question,
    short_prompt,
)
from tutor.quiz.slots import Slot, SlotFinder
from tutor.quiz.support import Support
from tutor.quiz.swaps import Swaps
from tutor.quiz.terms import KeyTerms, Material

Requested = QuestionKind | Literal["mixed"]
Passage = ChunkRecord | Material | str
"""A passage to ask about: a chunk record, a `Material`, or the id of a chunk in the bank."""

OPTIONS = 4
KINDS: tuple[QuestionKind, ...] = ("mc", "tf", "short", "cloze")


class QuestionBank:
    """Offline questions on the material: build once per corpus, then ask for questions.

    `embed` (texts -> unit vectors, e.g. `Embedder.embed`) enables the synonym filter of
    distractors and the duplicate-stem check; without it those fall back to rules.
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
        keywords = {k for t in topics.topics for k in t.keywords} if topics else set()
        texts = [t.text for t in terms.terms.values()]
        self.aliases = find_aliases(texts)
        for material in self.materials.values():
            for acronym, expansion in spelled_out(material.text).items():
                self.aliases.setdefault(acronym, expansion)
                self.aliases.setdefault(expansion, acronym)
        self.categories = {k: category_of(t.text, self.aliases) for k, t in terms.terms.items()}
        concepts = {k for k, t in terms.terms.items() if t.kind != "word" or k in keywords}
        self.facts = FactFinder({k: t.text for k, t in terms.terms.items()}, concepts.__contains__)
        self.slots = SlotFinder(terms, topics, self.materials, self.facts)
        """Per chunk id (in sorted order), what can be asked on it, best first."""
        all_slots = [s for c in sorted(self.materials) for s in self.slots[c]]
        self.support = Support(
            self.materials.values(), [s.fact for s in all_slots if s.fact], self.aliases
        )
        self.distractors = Distractors(terms, embed)
        concept_categories = {k: c for k, c in self.categories.items() if k in concepts}
        families = Families(
            [m.text for m in self.materials.values()],
            [k for k, c in concept_categories.items() if c is not None],
            {t.id: t.title for t in topics.topics} if topics else {},
            self.slots.naming,
        )
        rivals = None
        if embed is not None:
            asked_under = [(s.key, s.topic) for s in all_slots if s.role == "subject"]
            rivals = Rivals(
                concept_categories, self.aliases, families, topics, asked_under,
                self.slots.naming, embed,
            )  # fmt: skip
        self.checker = FlawChecker(self.support, self.aliases, frozenset(concepts), embed, rivals)
        self.swaps = Swaps(
            terms, concept_categories, self.aliases, self.support, self.distractors, families
        )
        self.paradigms = ParadigmQuestions(
            find_paradigms(topics, concepts, self.categories, self.aliases, self.slots.naming),
            {k: t.text for k, t in terms.terms.items()},
            self.categories,
            self.materials,
            lambda term, claim, key: self.support.says(term, claim, besides=key),
        )
        """"Which of these is a technique of unsupervised learning?"."""
        self.rejections: dict[str, Counter[str]] = defaultdict(Counter)
        """Per kind, how many built questions the flaw checker rejected, by flaw."""
        self.rejected_examples: dict[str, list[str]] = defaultdict(list)
        """Per flaw, the first few prompts it rejected (for a person to check the checker)."""
        self.accepted: Counter[str] = Counter()
        """Per kind, how many built questions passed the flaw checker."""
        self._by_topic: dict[str, list[Slot]] | None = None
        self._kind_counts: dict[str, dict[str, int]] | None = None
        self._acronym_homes: dict[str, tuple[Question, bool]] | None = None

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

    def topic_counts(self) -> dict[str, int]:
        """How many facts (each at least a cloze) each topic has."""
        return {topic: len(slots) for topic, slots in sorted(self.by_topic().items())}

    def kind_counts(self) -> dict[str, dict[str, int]]:
        """Per topic, per kind (mc, tf, short, cloze), how many questions a quiz can ask:
        usable ones (built, and passed by the flaw checker), from different sentences (a
        quiz asks one question per sentence of the material)."""
        if self._kind_counts is None:
            sentences: dict[str, dict[str, set[str]]] = {}
            for chunk_id in sorted(self.materials):
                for kind in KINDS:
                    for q in self._iter(self.materials[chunk_id], kind, Random(0), ()):
                        row = sentences.setdefault(q.topic, {k: set() for k in KINDS})
                        row[kind].add(q.sentence_id or q.id)
            self._kind_counts = {
                topic: {kind: len(ids) for kind, ids in row.items()}
                for topic, row in sorted(sentences.items())
            }
        return self._kind_counts

    # --- questions --------------------------------------------------------------------

    def questions_for(
        self,
        chunk: Passage,
        kind: Requested,
        rng: Random,
        exclude: Collection[str] = (),
    ) -> list[Question]:
        """Every question of this kind the passage offers (best first), minus `exclude`d
        ones (by question id, or by `sentence_id` of the sentence it comes from). "mixed"
        picks a kind per fact at random."""
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
            if question is not None and not _excluded(question, exclude):
                return question
        return None

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
        candidates: list[Question | None] = [self._question(slot, kind, rng) for slot in slots]
        if kind == "short":  # "What does MLflow manage?", "What is RLHF short for?"
            candidates += [
                self._checked(self._forward(s))
                for s in slots
                if s.role == "subject" and not self._points_elsewhere(s)
            ]
            candidates += self._acronyms(material)
        if kind in ("mc", "tf"):  # which paradigm a method belongs to
            found = self.paradigms.for_material(material, kind, rng)
            candidates += [self._checked(q) for q in found]
        for question in candidates:
            if question is not None and not _excluded(question, seen):
                seen.add(question.id)
                yield question

    def _acronyms(self, material: Material) -> list[Question | None]:
        """What the acronyms spelled out in this passage stand for (each asked from one
        passage only: where the material spells it out, else where it first appears)."""
        if self._acronym_homes is None:
            self._acronym_homes = {}
            for chunk_id in sorted(self.materials):
                found = acronym_questions(
                    self.materials[chunk_id], self.aliases, self.slots.topic_of, self.terms
                )
                for q, spelled in found:  # one question per expansion (GAN, GANs)
                    home = self._acronym_homes.get(q.answer)
                    if home is None or (spelled and not home[1]):
                        self._acronym_homes[q.answer] = (q, spelled)
        return [
            self._checked(q)
            for q, _ in self._acronym_homes.values()
            if q.chunk_id == material.chunk_id
        ]

    def _question(self, slot: Slot, kind: Requested, rng: Random) -> Question | None:
        if kind == "mixed":
            kind = rng.choice(["mc", "tf", "short", "cloze"])
            return self._question(slot, kind, rng) or self._question(slot, "cloze", rng)
        if slot.role == "object":  # a term of the claim blanked: a cloze only
            question = self._cloze(slot) if kind == "cloze" else None
        elif kind in ("mc", "tf") and _negated(slot):
            # "... does not require complete knowledge of the environment" is true of
            # most other terms too: no wrong option or false swap can be made of it
            question = None
        elif kind == "mc":
            question = self._multiple_choice(slot, rng)
        elif kind == "tf":
            if self._points_elsewhere(slot):  # stated, or swapped, it misleads all the same
                self._reject("tf", [ANOTHER_TERM_FITS], f"True or false? {slot.sentence}")
                return None
            question = self._true_false(slot, rng)
        elif kind == "short":
            question = self._short(slot)
        else:
            question = self._cloze(slot)
        return self._checked(question)

    def _checked(self, question: Question | None) -> Question | None:
        """The question if it has no item-writing flaw (else counted, and None)."""
        if question is None:
            return None
        found = self.checker.flaws(question)
        if found:
            self._reject(question.kind, found, question.prompt)
            return None
        self.accepted[question.kind] += 1
        return question

    def _reject(self, kind: str, flaws: list[str], prompt: str) -> None:
        self.rejections[kind].update(flaws)
        for flaw in flaws:
            if len(self.rejected_examples[flaw]) < 5:
                self.rejected_examples[flaw].append(prompt)

    def _points_elsewhere(self, slot: Slot) -> bool:
        """The slot's claim reads as about another term than its subject."""
        rivals = self.checker.rivals
        claim = slot.prompt.replace(BLANK, " ")
        return rivals is not None and rivals.rival(slot.key, claim, slot.prompt) is not None

    def _base(self, slot: Slot) -> dict:
        return {
            "explanation": f'The material says: "{slot.sentence}"',
            "topic": slot.topic,
            "chunk_id": slot.material.chunk_id,
            "source": slot.material.citation,
            "origin": "offline",
            "sentence": slot.source,
        }

    def _cloze(self, slot: Slot) -> Question:
        return Question(kind="cloze", prompt=slot.prompt, answer=slot.surface, **self._base(slot))

    def _short(self, slot: Slot) -> Question | None:
        if slot.fact is None:
            return None
        prompt = short_prompt(slot, self.categories.get(slot.key))
        if prompt is None:
            return None
        return Question(kind="short", prompt=prompt, answer=slot.surface, **self._base(slot))

    def _forward(self, slot: Slot) -> Question | None:
        asked = forward_question(slot)
        if asked is None:
            return None
        prompt, key = asked
        return Question(kind="short", prompt=prompt, answer=key, **self._base(slot))

    def _multiple_choice(self, slot: Slot, rng: Random) -> Question | None:
        distractors = self.swaps.options(slot, OPTIONS - 1, rng)
        if len(distractors) < OPTIONS - 1:
            return None
        key = slot.surface
        options = [key, *distractors]
        rng.shuffle(options)
        prompt = f"{slot.prompt}\nWhich term fills the blank?"
        return Question(kind="mc", prompt=prompt, options=options, answer=key, **self._base(slot))

    def _true_false(self, slot: Slot, rng: Random) -> Question | None:
        """The fact as the material states it (true) or with its subject swapped for a
        term of the same sort the material does not say it of (false), with even odds. A
        fact with no such swap is not asked at all, so "True" is never the giveaway."""
        swap = self.swaps.false_subject(slot, rng)
        if swap is None:
            return None
        statement, answer = slot.sentence, "True"
        base = self._base(slot)
        if rng.random() < 0.5:
            statement = self.swaps.swapped(slot, swap)
            answer = "False"
            base["explanation"] = (
                f'The material says this of "{slot.surface}", not "{swap}": "{slot.sentence}"'
            )
        return Question(
            kind="tf",
            prompt=f"True or false? {statement}",
            options=["True", "False"],
            answer=answer,
            **base,
        )


def _negated(slot: Slot) -> bool:
    verb = slot.fact.verb.lower().split() if slot.fact else []
    return "not" in verb or "never" in verb


def _excluded(question: Question, exclude: Collection[str]) -> bool:
    return question.id in exclude or (bool(question.sentence) and question.sentence_id in exclude)


__all__ = ["KINDS", "OPTIONS", "QuestionBank", "sentence_id"]
