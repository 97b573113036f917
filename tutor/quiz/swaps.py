"""Terms to put in a fact's place: wrong options and the subjects of false statements.

A swap is fair only when the swapped-in term is of the same sort as the fact's subject
(`tutor.quiz.categories`: a product for a product, a method for a method), is not part or
another name of it (RLHF for "reinforcement learning"), agrees with it in number, means
something else (MiniLM cosine below `SYNONYM_COSINE`), and the material does not say the
fact's claim of it too (`tutor.quiz.support`): a swap that is also true is never made.
"""

from __future__ import annotations

from collections.abc import Mapping
from random import Random

import numpy as np

from tutor.quiz.categories import BROAD, Category, Families, acronym_core, related
from tutor.quiz.cloze import BLANK
from tutor.quiz.distractors import PLAUSIBLE, SYNONYM_COSINE, Distractors
from tutor.quiz.facts import content_words
from tutor.quiz.flaws import LENGTH_RATIO
from tutor.quiz.slots import Slot
from tutor.quiz.support import Support
from tutor.quiz.terms import KeyTerms, Term
from tutor.quiz.wording import is_plural, whole_word

FALSE_SWAP_SHARED = 0
"""A false statement's swapped-in term appears in no sentence sharing more than this many
content words with the statement's claim."""


class Swaps:
    """Same-sort, unsupported replacements for a slot's subject."""

    def __init__(
        self,
        terms: KeyTerms,
        categories: Mapping[str, Category | None],
        aliases: Mapping[str, str],
        support: Support,
        distractors: Distractors,
        families: Families | None = None,
    ) -> None:
        self.terms = terms
        self.families = families
        self.aliases = aliases
        self.support = support
        self.distractors = distractors
        self.categories = categories
        ranked = sorted(terms.terms.values(), key=lambda t: (-t.score, t.key))
        self.by_category: dict[Category, list[Term]] = {}
        for term in ranked:
            category = categories.get(term.key)
            if category is not None:
                self.by_category.setdefault(category, []).append(term)

    def candidates(self, slot: Slot) -> list[Term]:
        """Every fair replacement for the slot's subject, most plausible first."""
        category = self.categories.get(slot.key)
        if category is None or slot.fact is None:
            return []
        plural = is_plural(slot.surface)
        pool = [
            t
            for t in self.by_category.get(category, [])
            if t.key != slot.key
            and t.key not in BROAD
            and not related(t.key, slot.key, self.aliases)
            and not (self.families and self.families.related(t.key, slot.key, self.aliases))
            and is_plural(t.text) == plural
            and not whole_word(t.text).search(slot.sentence)
        ]
        # An option echoing the stem ("retrieval-augmented generation" for "_____ can
        # optimize retrieval strategies") reads as the answer; and a swap the material
        # says too is no false statement.
        stem = _parts(slot.prompt.replace(BLANK, " ")) - _parts(slot.surface)
        pool = [
            t
            for t in pool
            if not (_parts(t.text) & stem)
            and not self.support.says(t.text, slot.fact.claim, besides=slot.key)
        ]
        if not pool:
            return []
        similar = self._similarities(slot.surface, pool)
        if similar is not None:
            keep = similar < SYNONYM_COSINE
            pool = [t for t, ok in zip(pool, keep, strict=True) if ok]
            order = np.argsort(-similar[keep], kind="stable")
            pool = [pool[i] for i in order]
        # The key's form first: an acronym among spelled-out terms stands out, and so
        # does a key much shorter or longer than the rest.
        acronym = acronym_core(slot.surface) is not None
        pool.sort(
            key=lambda t: (
                (acronym_core(self.written(t)) is not None) != acronym,
                abs(len(self.written(t)) - len(slot.surface)) > len(slot.surface),
            )
        )
        return pool

    def written(self, term: Term) -> str:
        """How a term is offered: as its acronym when the material has one for it."""
        alias = self.aliases.get(term.key)
        if alias and acronym_core(term.text) is None:
            shown = self.terms.terms.get(alias)
            if shown is not None and acronym_core(shown.text):
                return shown.text
        return term.text

    def options(self, slot: Slot, count: int, rng: Random) -> list[str]:
        """Up to `count` wrong options, no two of them one concept or synonyms."""
        pool = self.candidates(slot)
        plausible, rest = pool[:PLAUSIBLE], pool[PLAUSIBLE:]
        rng.shuffle(plausible)
        chosen = self._choose(slot, plausible + rest, count)
        if len(chosen) < count:  # chance left no option near the key's length: nearest first
            nearest = sorted(pool, key=lambda t: abs(len(self.written(t)) - len(slot.surface)))
            chosen = self._choose(slot, nearest, count)
        acronym = acronym_core(slot.surface) is not None
        return [self.written(t) if acronym else t.text for t in chosen]

    def _choose(self, slot: Slot, ordered: list[Term], count: int) -> list[Term]:
        chosen: list[Term] = []
        for term in ordered:
            if any(self._kin(term.key, c.key) for c in chosen):
                continue
            if self.distractors.synonyms(term, chosen):
                continue
            if len(chosen) == count - 1 and not any(self._near(c, slot) for c in [*chosen, term]):
                continue  # the key would be far longer or shorter than every option
            chosen.append(term)
            if len(chosen) == count:
                break
        return chosen

    def _near(self, term: Term, slot: Slot) -> bool:
        """Near the key in length: within the flaw checker's `LENGTH_RATIO` of it."""
        shown, key = len(self.written(term)), len(slot.surface)
        return key < LENGTH_RATIO * shown and shown < LENGTH_RATIO * key

    def _kin(self, a: str, b: str) -> bool:
        """One concept, or a family and its member: never two options side by side."""
        return related(a, b, self.aliases) or bool(
            self.families and self.families.related(a, b, self.aliases)
        )

    def false_subject(self, slot: Slot, rng: Random) -> str | None:
        """A term that makes the slot's fact false, or None if there is none."""
        # Stricter than an option: a statement is judged whole, so the material must not
        # even come near saying it of the swapped-in term ("clustering can be woven into
        # workflows ..." is half true: the material weaves clustering into workflows).
        claim = slot.fact.claim if slot.fact else slot.sentence
        pool = [
            t
            for t in self.candidates(slot)
            if self.support.shared(t.text, claim, besides=slot.key) <= FALSE_SWAP_SHARED
        ][:PLAUSIBLE]
        return rng.choice(pool).text if pool else None

    def swapped(self, slot: Slot, replacement: str) -> str:
        """The slot's statement with its subject replaced (capitalised if it opens it)."""

        def repl(match) -> str:
            if match.start() == 0 and replacement[:1].islower():
                return replacement[:1].upper() + replacement[1:]
            return replacement

        return whole_word(slot.surface).sub(repl, slot.sentence, count=1)

    def _similarities(self, text: str, pool: list[Term]) -> np.ndarray | None:
        if self.distractors.embed is None:
            return None
        vectors = self.distractors.embed([text] + [t.text for t in pool])
        return vectors[1:] @ vectors[0]


def _parts(text: str) -> set[str]:
    """Content words, hyphenated ones also in parts ("retrieval-augmented": "retrieval")."""
    words = content_words(text)
    return words | {p for w in words for p in w.split("-") if len(p) > 3}
