"""What a question asks about, in the material's own terms: the terms it names and their
other names (an acronym's expansion, an expansion's acronym), so that "RAG pipeline" finds
the text's "retrieval-augmented generation pipelines"; and which sentences define a term.

Search expands the query with the other names and prefers passages that define an asked
term; offline answers prefer sentences that state something about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.corpus.forms import FUNCTION_WORDS, acronym_key, norm
from tutor.corpus.glossary import Glossary

_ACRONYM_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z-]*[A-Z][A-Za-z-]*s?\b|\b[A-Z]{2,}s?\b")
MIN_EXPANSION_CHARS = 7
"""An expansion shorter than this ("AI" in "AI's") is too loose to stand for an acronym."""
DEFINING_VERBS = (
    r"(?:is|are|was|were|refers? to|means?|consists? of|comprises?|describes?|denotes?|"
    r"involves?|uses?|works? by|relies? on|combines?|stands? for|represents?|formali[sz]es?|"
    r"learns?|trains?|pits?|generates?|produces?|enables?|allows?|helps?|splits?|stores?|"
    r"maps?|predicts?|groups?|finds?)"
)
"""Verbs that, right after a term, make the sentence say what it is or does."""
DASHES = "\u2014|\u2013"
NAMED_AS = r"(?:commonly\s+|also\s+|often\s+|usually\s+)?(?:known\s+as|called|referred\s+to\s+as)\b"


_ASKS_WHAT = re.compile(
    r"^\s*(?:what(?:'s|\s+is|\s+are|\s+was|\s+were)\b|define\b|"
    r"explain\s+what\b|meaning\s+of\b|what\s+(?:is|are)\s+meant\b|who\s+or\s+what\b)"
    r"|\b(?:made\s+of|consists?\s+of|stands?\s+for|mean(?:s|t)?\b)",
    re.IGNORECASE,
)
"""Questions that ask what something is (or is made of, or stands for)."""


@dataclass(frozen=True)
class QueryTerms:
    asked: tuple[str, ...]
    """The terms the question names, lowercase, with their other names."""
    other_names: tuple[str, ...]
    """The asked terms' other names that the question does not use itself."""
    asks_what: bool = False
    """Whether the question asks what a term is: the passage defining it should lead."""

    def expanded(self, query: str) -> str:
        """The query with the other names added (for word search and a second embedding)."""
        return " ".join([query, *self.other_names]) if self.other_names else query


def query_terms(query: str, glossary: Glossary) -> QueryTerms:
    asked: dict[str, None] = {}
    others: dict[str, None] = {}
    said = norm(query)
    for token in _ACRONYM_TOKEN.findall(query):
        key = acronym_key(token)
        for expansion in sorted(glossary.expansions.get(key, ())):
            shown = glossary.shown.get(expansion, expansion)
            asked |= {token.lower().rstrip("s"): None, shown.lower(): None}
            if norm(shown) not in said:
                others[shown] = None
    for acronym, expansions in sorted(glossary.expansions.items()):
        for expansion in sorted(expansions):
            shown = glossary.shown.get(expansion, expansion)
            if len(shown) >= MIN_EXPANSION_CHARS and _says(said, norm(shown)):
                name = glossary.shown.get(acronym, acronym)
                asked |= {shown.lower(): None, name.lower(): None}
                if acronym_key(name) not in {acronym_key(t) for t in query.split()}:
                    others[name] = None
    for known in sorted(glossary.known_terms):
        if len(known) > 3 and _says(said, known):
            asked[glossary.shown.get(known, known).lower()] = None
    return QueryTerms(tuple(asked), tuple(others), bool(_ASKS_WHAT.search(query)))


_SIDE = r"([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3}?)"  # with re.I
_COMPARED = (
    re.compile(
        rf"\b{_SIDE}\s+(?:vs\.?|versus|compared\s+(?:to|with))\s+{_SIDE}(?=\s*(?:[-:?,.;]|$))",
        re.I,
    ),
    re.compile(rf"\bbetween\s+{_SIDE}\s+and\s+{_SIDE}(?=\s*(?:[-:?,.;]|$))", re.I),
)
_LEADING = re.compile(r"^(?:(?:what|how|is|are|the|a|an|in|so|and|explain|compare)\s+)+", re.I)


def compared(question: str) -> tuple[str, ...]:
    """The two things a question compares ("supervised vs unsupervised learning",
    "the difference between CNNs and RNNs"), as written; () when it compares nothing."""
    said = " ".join(question.split())
    for pattern in _COMPARED:
        match = pattern.search(said)
        if match:
            sides = tuple(_LEADING.sub("", side).strip() for side in match.groups())
            if all(sides) and sides[0].lower() != sides[1].lower():
                return sides
    return ()


def _says(said: str, term: str) -> bool:
    return bool(term) and f" {term} " in f" {said} "


_LEAD = r"(?:(?!\w+ing\b)[\w'-]+,?\s+)"
"""A few words may lead the subject ("In practice, a GAN ..."), but not a gerund: in
"understanding RLHF is ..." the subject is the understanding, not RLHF."""
_LAST_LEAD = (
    r"(?:[\w'-]+,\s+|(?!(?:\w+ing|of|in|for|with|about|to|from|on|by|between|among|than|"
    r"like|behind|within)\b)[\w'-]+\s+)"
)
"""Nor a preposition right before it: in "the resonance of GANs is ..." the subject is the
resonance."""


_FUNCTION_WORD = "(?:" + "|".join(sorted(FUNCTION_WORDS)) + ")"


def _term_pattern(term: str) -> str:
    """The term as a pattern in which its function words may vary, as the glossary treats
    them: reinforcement learning *from* human feedback is written *with* too."""
    return r"\s+".join(
        _FUNCTION_WORD if word in FUNCTION_WORDS else re.escape(word) for word in term.split()
    )


def defines(sentence: str, terms: tuple[str, ...]) -> bool:
    """Whether the sentence says what one of the terms is or does: the term as its subject
    followed by a defining verb ("A GAN consists of ...", "Q-learning learns ..."), or set
    off by an apposition ("the lakehouse model—a hybrid architecture ...")."""
    lowered = " ".join(sentence.lower().split())
    for term in terms:
        name = _term_pattern(term)
        subject = rf"^(?:{_LEAD}{{0,3}}?{_LAST_LEAD})?(?:the\s+|an?\s+)?{_LAST_LEAD}?{name}(?:e?s)?"
        aside = r"(?:\s*\([^)]*\))?,?\s+(?:\w+\s+)?"
        # "The lakehouse is not a metaphorical abstraction" says what it is not: rhetoric.
        if re.search(subject + aside + DEFINING_VERBS + r"\b(?!\s+not\b)", lowered):
            return True
        apposition = (
            rf"{name}(?:e?s)?(?:\s+\w+)?(?:\s*\([^)]*\))?\s*(?:{DASHES}|:|,| - )\s*(?:an?|the)\s"
        )
        if re.search(apposition, lowered):
            return True
        # Naming it: "reinforcement learning with human feedback, commonly known as RLHF".
        if re.search(rf"{name}(?:e?s)?,?\s+{NAMED_AS}", lowered):
            return True
    return False
