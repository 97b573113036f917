"""What a passage can be asked: its readable sentences, each with a key term to blank.

A slot is one sentence and one key term of it: a cloze as it stands, and the stem of a
multiple-choice or true/false question. It is asked under the topic that names its term.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tutor.corpus.sentences import split_sentences
from tutor.corpus.topics import TopicMap
from tutor.quiz.cloze import BLANK, build_check
from tutor.quiz.terms import KeyTerms, Material, Occurrence, term_candidates
from tutor.quiz.wording import content_runs, ends_phrase, head_noun, nounish, readable

MIN_STEM_WORDS = 6
"""The stem must keep this many words besides the blank to say what it asks."""
KEYS_PER_SENTENCE = 2
"""A sentence offers at most this many blanks (best first), so one passage is not drilled
on every noun of one sentence."""


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


class SlotFinder(Mapping[str, list[Slot]]):
    """What each passage of a corpus can be asked, best first, by chunk id (in sorted
    order); `find` works it out for any passage.

    A chunk's slots are worked out when first looked up: building the bank then costs one
    pass over the text, and a quiz on one topic never reads the rest."""

    def __init__(
        self, terms: KeyTerms, topics: TopicMap | None, materials: Mapping[str, Material]
    ) -> None:
        self.terms = terms
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
        """The (sentence, key term) pairs of a passage that make a sensible cloze, best
        first (names and phrases before words), at most `KEYS_PER_SENTENCE` per sentence."""
        scores = self.terms.chunk_scores.get(material.chunk_id)
        if scores is None:  # a passage the bank was not built from: score by idf alone
            scores = {k: t.score for k, t in self.terms.terms.items()}
        slots: list[Slot] = []
        for raw in split_sentences(material.text):
            sentence = readable(raw)
            if sentence is None:
                continue
            keys = self._keys_in(sentence, scores)
            taken = 0
            for key, surface in keys:
                slot = self._slot(material, sentence, key, surface, scores[key])
                if slot is not None:
                    slots.append(slot)
                    taken += 1
                    if taken == KEYS_PER_SENTENCE:
                        break
        # Names and phrases first: "_____ manages the lifecycle of models" asks about the
        # material; a plain word of its prose ("the _____ of deploying AI") is easier to
        # confuse with another. Stable: sentence order breaks ties.
        slots.sort(key=lambda s: (self.terms.terms[s.key].kind == "word", -s.score))
        return slots

    def _keys_in(self, sentence: str, scores: dict[str, float]) -> list[tuple[str, str]]:
        """Key terms of the sentence, best first; at each place the longest term wins, so
        "support vector machines" is blanked whole, never as "support vector _____"."""
        chosen: list[Occurrence] = []
        used: set[tuple[int, int]] = set()
        runs = content_runs(sentence)
        occurrences = [
            o for o in term_candidates(runs) if o.key in scores and ends_phrase(runs[o.run], o.end)
        ]
        for occ in sorted(occurrences, key=lambda o: (-(o.end - o.start), -scores[o.key])):
            span = {(occ.run, i) for i in range(occ.start, occ.end + 1)}
            if span & used:
                continue
            used |= span
            chosen.append(occ)
        inside_longer = {o.key for o in chosen for p in chosen if o.key != p.key and o.key in p.key}
        # A lone noun right after another noun is the tail of a compound ("memory
        # _____"): blanking it tests nothing.
        tails = {
            o.key
            for o in chosen
            if " " not in o.key
            and o.start > 0
            and (runs[o.run][o.start - 1].name or nounish(runs[o.run][o.start - 1].low))
        }
        ranked = sorted(
            (o for o in chosen if o.key not in inside_longer | tails),
            key=lambda o: -scores[o.key],
        )
        first: dict[str, str] = {}
        for o in ranked:
            first.setdefault(o.key, o.surface)
        return list(first.items())

    def _slot(
        self, material: Material, sentence: str, key: str, surface: str, score: float
    ) -> Slot | None:
        topic = self._topic_for(key, material)
        if topic is None:
            return None
        check = build_check(
            sentence,
            topic=topic,
            source=material.citation,
            chunk_id=material.chunk_id,
            keywords=[surface],
        )
        # build_check owns the rules of a readable cloze; it must also blank our term.
        if check is None or check.answer.lower() != key:
            return None
        if len(check.prompt.replace(BLANK, " ").split()) < MIN_STEM_WORDS:
            return None
        if re.search(rf"-{BLANK}|{BLANK}-", check.prompt):
            return None  # part of a hyphenated word ("_____-based")
        return Slot(material, sentence, key, check.answer, check.prompt, score, topic)

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
