"""Wrong options for a blank: terms of the same kind and grammar, plausible but no synonyms.

Multiple choice takes three distractors: terms of the same kind from other passages,
sharing no word with the key or each other, neither part of the other, agreeing with the
blank's grammar, and not synonyms (MiniLM cosine below `SYNONYM_COSINE`). True/false takes
one, from another topic, to make its false statement.
"""

from __future__ import annotations

import itertools
import re
from random import Random

import numpy as np

from tutor.corpus.sentences import CachedEmbed, Embed
from tutor.quiz.cloze import BLANK
from tutor.quiz.slots import Slot
from tutor.quiz.terms import KeyTerms, Term
from tutor.quiz.wording import DETERMINERS, head_noun, indefinite_article, whole_word
from tutor.text import STOPWORDS

SYNONYM_COSINE = 0.52
"""A candidate distractor at least this close to the key (MiniLM cosine) means the same or
nearly, and is rejected. Calibrated on the corpus by ranking every pair of same-kind terms
by cosine and reading them: synonyms and near-synonyms all score 0.525 or more
(collaboration / collaborators 0.82, reasoning / logic 0.76, neural networks / deep
learning 0.76, choices / decisions 0.73, compliance / regulations 0.68, search / retrieval
0.65, deep learning models / neural architectures 0.63, data / records 0.56, feedback /
response 0.53, necessity / needs 0.525). Below 0.52 the pairs are different concepts
(GANs / CNNs 0.525 is the first good pair lost, CNNs / RNNs 0.46). Cosine does not
separate a family from its members (k-means clustering / unsupervised learning 0.48), so
true/false questions also take their false term from another topic."""
POOL_SAME_TOPIC, POOL = 16, 64
"""Distractor candidates considered per question: up to 16 from the question's topic, the
rest from anywhere, best scored first. Only these are embedded, so a question costs one
small batch whatever the size of the corpus."""
PLAUSIBLE = 8
"""Distractors are drawn from the this many candidates most similar to the key (below the
synonym line): near enough to be plausible, chosen at random among them for variety."""


class Distractors:
    """Picks the distractors of a slot from a corpus's key terms.

    `embed` (texts -> unit vectors, e.g. `Embedder.embed`) enables the synonym filter and
    ranks distractors by plausibility; without it distractors are ranked by topic and
    score only.
    """

    def __init__(self, terms: KeyTerms, embed: Embed | None = None) -> None:
        self.terms = terms
        self.embed: Embed | None = None
        if embed is not None:
            vocabulary = sorted({k for keys in terms.by_kind.values() for k in keys})
            self.embed = CachedEmbed(embed, size=len(vocabulary) + 4096)
            # One batch for every possible distractor: a call into the model has a fixed
            # cost that dwarfs a few short texts, so embedding per question is slower.
            self.embed([terms.terms[k].text for k in vocabulary])

    def pick(self, slot: Slot, count: int, rng: Random, *, other_topics: bool = False) -> list[str]:
        """Up to `count` terms that could fill the slot's blank but are wrong there; with
        `other_topics`, only terms never used in a passage on the slot's topic."""
        key = self.terms.terms[slot.key]
        passage = slot.material.text.lower()
        pool = self._pool(key, slot.topic, passage)
        # "clustering, _____, and association rule mining" does not take "k-means
        # clustering", nor "deep learning's power lies in _____" "deep learning pipelines":
        # an option repeating the stem's noun or two of its words reads as an echo.
        words = re.findall(r"[\w-]+", slot.prompt.lower())
        heads = {head_noun(w) for w in words}
        pairs = {f"{a} {b}" for a, b in itertools.pairwise(words)}
        pool = [
            t
            for t in pool
            if t.head not in heads
            and not any(f"{a} {b}" in pairs for a, b in itertools.pairwise(t.key.split()))
        ]
        if other_topics:
            pool = [t for t in pool if slot.topic not in t.topics]
        if not pool:
            return []
        # Grammar first: a distractor of another number, needing another article than the
        # blank's "a"/"an", or a singular one used with a determiner when the blank has none
        # ("training CNNs for neural network") or the reverse ("the LangChain"), gives
        # itself away. Fall back only if too few agree.
        before = slot.prompt.split(BLANK)[0].split()
        previous = before[-1].lower() if before else ""
        determined = previous in DETERMINERS
        agreeing = [
            t
            for t in pool
            if t.plural == key.plural
            and (previous not in ("a", "an") or indefinite_article(t.text) == previous)
            and (t.plural or t.determined == determined)
        ]
        if len(agreeing) >= count:
            pool = agreeing
        similar = self._similarities(key, pool)
        if similar is not None:
            keep = similar < SYNONYM_COSINE
            pool = [t for t, ok in zip(pool, keep, strict=True) if ok]
            similar = similar[keep]
            order = np.argsort(-similar, kind="stable")
            pool = [pool[i] for i in order]
        plausible, rest = pool[:PLAUSIBLE], pool[PLAUSIBLE:]
        rng.shuffle(plausible)
        chosen: list[Term] = []
        for term in plausible + rest:
            if all(_distinct(term, other) for other in chosen) and not self.synonyms(term, chosen):
                chosen.append(term)
                if len(chosen) == count:
                    break
        return [t.text for t in chosen]

    def _pool(self, key: Term, topic: str, passage: str) -> list[Term]:
        """Candidates for the key's distractors, before the synonym filter."""
        pool: dict[str, Term] = {}
        lists = [
            (self.terms.by_kind_topic.get((key.kind, topic), []), POOL_SAME_TOPIC),
            (self.terms.by_kind.get(key.kind, []), POOL),
        ]
        for keys, limit in lists:
            for candidate_key in keys:
                if len(pool) >= limit:
                    break
                candidate = self.terms.terms[candidate_key]
                if candidate_key in pool or not _distinct(candidate, key):
                    continue
                if whole_word(candidate_key).search(passage):
                    continue  # in the question's own passage: it may well be right there
                pool[candidate_key] = candidate
        return list(pool.values())

    def _similarities(self, key: Term, pool: list[Term]) -> np.ndarray | None:
        if self.embed is None:
            return None
        vectors = self.embed([key.text] + [t.text for t in pool])
        return vectors[1:] @ vectors[0]

    def synonyms(self, term: Term, chosen: list[Term]) -> bool:
        """Two distractors that mean the same would both be wrong for the same reason."""
        if not chosen:
            return False
        similar = self._similarities(term, chosen)
        return similar is not None and bool(np.any(similar >= SYNONYM_COSINE))


def _distinct(a: Term, b: Term) -> bool:
    """Different enough to stand side by side as options: same kind, neither part of the
    other, no word in common (so no shared head: "supervised learning" / "deep learning",
    and no shared modifier: "prompt engineering" / "prompt chaining", which would be
    two of a family where both might be right)."""
    return (
        a.kind == b.kind
        and a.head != b.head
        and a.key not in b.key
        and b.key not in a.key
        and not (_stems(a.key) & _stems(b.key))
    )


def _stems(key: str) -> set[str]:
    return {head_noun(w) for w in re.split(r"[\s-]+", key) if w not in STOPWORDS}
