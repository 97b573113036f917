"""Does the material say this about that term? The check behind every swapped term.

A false statement made by swapping a term ("LangChain manages the lifecycle of models") is
only false if the material never says it of the swapped-in term; a wrong option is only
wrong if the stem is not true of it too. Both are checked here, lexically: a claim is
*supported* for a term when a clause of the material whose subject is that term (its
acronym or expansion counts), or a sentence naming it but not the original term, holds at
least `SUPPORTED_SHARE` of the claim's content words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tutor.corpus.sentences import split_sentences
from tutor.quiz.facts import Fact, content_words
from tutor.quiz.terms import Material

SUPPORTED_SHARE = 0.4
"""A claim counts as said of a term when this share of its content words is said with it.
Low on purpose: a swap the material might support is dropped, never asked."""


@dataclass(frozen=True)
class _Sentence:
    text: str
    words: frozenset[str]


def _mentions(text: str, names: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(n)}s?(?!\w)", lowered) for n in names)


class Support:
    """The material's sentences and facts, to check claims about terms against."""

    def __init__(
        self,
        materials: Iterable[Material],
        facts: Iterable[Fact],
        aliases: Mapping[str, str],
    ) -> None:
        self.aliases = aliases
        self.sentences = [
            _Sentence(s, frozenset(content_words(s)))
            for m in materials
            for s in split_sentences(m.text)
        ]
        self.facts: dict[str, list[frozenset[str]]] = {}
        for fact in facts:
            self.facts.setdefault(fact.key, []).append(frozenset(content_words(fact.claim)))

    def names(self, term: str) -> set[str]:
        """The term's spellings to look for: itself, its acronym or expansion, singular."""
        key = term.lower()
        names = {key, self.aliases.get(key, key)}
        return names | {n[:-1] for n in names if n.endswith("s") and len(n) > 3}

    def claim_words(self, claim: str, *terms: str) -> set[str]:
        """The claim's content words, less the words of the terms it is about."""
        own = set().union(*(content_words(n) for t in terms for n in self.names(t)))
        return content_words(claim) - own

    def says(self, term: str, claim: str, *, besides: str = "") -> bool:
        """Whether the material says `claim` of `term`; sentences that also name `besides`
        (the claim's own subject) are not evidence about `term`."""
        words = self.claim_words(claim, term, besides)
        if not words:
            return True  # nothing checkable: it may well be true
        need = SUPPORTED_SHARE * len(words)
        names = self.names(term)
        for name in names:
            for fact_words in self.facts.get(name, []):
                if len(words & fact_words) >= need:
                    return True
        others = self.names(besides) if besides else set()
        for sentence in self.sentences:
            if len(words & sentence.words) < need:
                continue
            if _mentions(sentence.text, names) and not (
                others and _mentions(sentence.text, others)
            ):
                return True
        return False

    def shared(self, term: str, claim: str, *, besides: str = "") -> int:
        """The most content words of `claim` any sentence naming `term` (and not
        `besides`) has: how close the material comes to saying it of `term`."""
        words = self.claim_words(claim, term, besides)
        names, others = self.names(term), self.names(besides) if besides else set()
        return max(
            (
                len(words & s.words)
                for s in self.sentences
                if _mentions(s.text, names) and not (others and _mentions(s.text, others))
            ),
            default=0,
        )
