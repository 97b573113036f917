"""Does a stem single out its key? The check that another term of the material does not
fit the claim better.

Some facts of the material are true but ask nothing a learner could tell the key by:
"K-means clustering can provide labelled insights for a supervised classifier" reads as a
question about supervised learning; "reinforcement learning can optimize retrieval
strategies" as one about retrieval-augmented generation; "PCA liberates generative
workflows from computational bottlenecks" names nothing PCA does. A learner who knows the
material well would name another term, and be marked wrong.

Each term is profiled by its name (with its acronym or expansion) and the description of
the topic it is asked under (the topic map's words for the field: "Unity Catalog" alone
means little to MiniLM, "Unity Catalog" with the governance topic's description does). A
claim nearer (cosine) to another term's profile than to its key's by `MARGIN` or more
points to that term. Rivals are terms of the same sort (`tutor.quiz.categories`) that are
not another name, a part or a family of the key, and that the stem does not name itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping

import numpy as np

from tutor.corpus.sentences import Embed
from tutor.corpus.topics import TopicMap
from tutor.quiz.categories import Category, Families, related

MARGIN = 0.14
"""How much nearer (MiniLM cosine) a claim must be to another term than to its key to
point to that term. On the shipped material the claims that read as about another term
are 0.15-0.47 nearer to it; those a learner can answer at most 0.12."""


class Rivals:
    """The terms a claim could be about, to find the one it points to instead of its key."""

    def __init__(
        self,
        categories: Mapping[str, Category | None],
        aliases: Mapping[str, str],
        families: Families,
        topics: TopicMap | None,
        asked_under: Iterable[tuple[str, str]],
        naming: Callable[[str], list[str]],
        embed: Embed,
    ) -> None:
        """`categories`: the concept terms (lowercase key -> sort); `asked_under`: (term,
        topic) for every question the material offers on a term; `naming(term)`: the
        topics whose keywords name it (for a term never asked about)."""
        self.categories = {k: c for k, c in categories.items() if c is not None}
        self.aliases = aliases
        self.families = families
        self.embed = embed
        self._descriptions = (
            {t.id: f"{t.title}. {t.description}" for t in topics.topics} if topics else {}
        )
        homes: dict[str, Counter[str]] = {}
        for term, topic in asked_under:
            homes.setdefault(term, Counter())[topic] += 1
        self._home = {term: counts.most_common(1)[0][0] for term, counts in homes.items()}
        for term in self.categories:
            named = naming(term)
            if term not in self._home and named:
                self._home[term] = named[0]
        self._profiles: dict[str, np.ndarray] | None = None

    def rival(
        self, key: str, claim: str, stem: str, among: Collection[str] | None = None
    ) -> str | None:
        """The term `claim` (the stem without its blank) points to instead of `key`, if
        any; None when the key is not a term with a sort, or nothing else fits better.
        `among`: the terms a learner chooses from (a multiple choice's options), if not
        every term of the material."""
        key = key.lower()
        if key not in self.categories:
            return None
        choices = None if among is None else {a.lower() for a in among}
        candidates = [
            t
            for t in self.categories
            if (choices is None or t in choices) and self._rivals(key, t, stem)
        ]
        if not candidates:
            return None
        profiles = self._profiles_once()
        vector = np.asarray(self.embed([claim]))[0]
        own = float(vector @ profiles[key])
        score, best = max((float(vector @ profiles[t]), t) for t in sorted(candidates))
        return best if score - own >= MARGIN else None

    def _rivals(self, key: str, term: str, stem: str) -> bool:
        return (
            term != key
            and self.categories[term] == self.categories[key]
            and not related(key, term, self.aliases)
            and not self.families.related(key, term, self.aliases)
            and not any(_names(stem, n) for n in {term, self.aliases.get(term, term)})
        )

    def _profiles_once(self) -> dict[str, np.ndarray]:
        if self._profiles is None:
            terms = sorted(self.categories)
            labels = [_label(t, self.aliases.get(t)) for t in terms]
            vectors = np.asarray(self.embed(labels))
            topics = sorted(self._descriptions)
            described = dict(
                zip(topics, self.embed([self._descriptions[t] for t in topics]), strict=True)
            )
            self._profiles = {}
            for term, vector in zip(terms, vectors, strict=True):
                home = self._home.get(term)
                if home in described:
                    vector = vector + described[home]
                self._profiles[term] = vector / np.linalg.norm(vector)
        return self._profiles


def _label(term: str, alias: str | None) -> str:
    return f"{term} ({alias})" if alias else term


def _names(stem: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}s?(?!\w)", stem, re.IGNORECASE) is not None
