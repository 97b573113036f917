"""One-question checks: a key term of a passage blanked out (the grader of replies is
`tutor.quiz.answers`, its names re-exported here).

Deterministic on purpose: the grade feeds the learner's memory, so it must come from
rules, never from a model's free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

# The grader of replies lives in tutor.quiz.answers and tutor.quiz.replies; its names stay
# importable from here for callers that judged checks through this module.
from tutor.quiz.answers import FUZZY_MATCH as FUZZY_MATCH
from tutor.quiz.answers import CheckResult as CheckResult
from tutor.quiz.answers import grade_reply as grade_reply
from tutor.quiz.answers import judge_reply as judge_reply
from tutor.quiz.replies import MAX_REPLY_WORDS as MAX_REPLY_WORDS
from tutor.quiz.replies import is_give_up as is_give_up
from tutor.quiz.replies import is_pass as is_pass
from tutor.quiz.replies import reply_problem as reply_problem
from tutor.text import STOPWORDS

BLANK = "_____"
MIN_WORDS, MAX_WORDS = 8, 45
"""A sentence shorter than this gives too little context to recall the term; a longer one
is a paragraph in disguise."""

# Words that are in the material everywhere, or name a section rather than a concept:
# blanking them tests nothing.
TOO_COMMON = frozenset(
    {
        "databricks",
        "exam",
        "certification",
        "candidates",
        "candidate",
        "generative ai",
        "ai",
        "preparation",
        "associate guide",
        "exam info",
        "platform",
        "ecosystem",
        "interplay",
        "fluency",
        "experimentation",
        "responsibility",
        "responsible",
    }
)
# Adverbs and most adjectives ("meticulously", "philosophical") make poor blanks: the
# sentence reads fine without them, so nothing is being recalled.
# A sentence opening with a pointer back ("This adaptability ...") means little alone.
_LEANS_BACK = frozenset(
    {"this", "it", "these", "they", "such", "that", "those", "its", "their", "he", "she"}
)
_NOT_A_NOUN = re.compile(r"(ly|ous|ical|ive|ful|less|able|ible)$")
_ACRONYM = re.compile(r"\b(?:[A-Z][a-z]?){1,}[A-Z][A-Za-z]*s?\b|\b[A-Z]{2,}s?\b")
_CAPITALISED_PHRASE = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b")
_LONG_WORD = re.compile(r"\b[a-z][a-z-]{7,}\b")


@dataclass(frozen=True)
class CheckQuestion:
    """A cloze question on one sentence of a cited passage."""

    prompt: str
    """The sentence with the key term replaced by a blank."""
    answer: str
    topic: str
    source: str
    """The citation of the passage it came from."""
    chunk_id: str
    sentence: str
    """The full sentence, shown as feedback."""

    def to_state(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state(cls, data: dict) -> CheckQuestion:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def pick_term(sentence: str, *, keywords: Iterable[str] = (), avoid: str = "") -> str | None:
    """The term of a sentence most worth recalling, as it is written there.

    Preference: a phrase from the topic map (longest first), then an acronym or
    product-style name (MLflow, RLHF), then a capitalised phrase inside the sentence
    (Unity Catalog), then the longest uncommon word. Terms whose words the learner already
    used in their question are skipped: blanking them would test reading, not recall.
    """
    avoided = set(re.findall(r"\w+", avoid.lower()))

    def usable(term: str) -> bool:
        words = re.findall(r"\w+", term.lower())
        return (
            bool(words)
            and term.lower() not in TOO_COMMON
            and not all(w in avoided or w in STOPWORDS for w in words)
        )

    for keyword in sorted(set(keywords), key=lambda k: (-len(k), k)):
        match = re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", sentence, re.IGNORECASE)
        if match and len(keyword) >= 4 and usable(match.group(0)):
            return match.group(0)
    for pattern in (_ACRONYM, _CAPITALISED_PHRASE):
        for match in pattern.finditer(sentence):
            if usable(match.group(0)):
                return match.group(0)
    words = sorted(
        (
            m.group(0)
            for m in _LONG_WORD.finditer(sentence)
            if usable(m.group(0)) and not _NOT_A_NOUN.search(m.group(0))
        ),
        key=lambda w: (-len(w), w),
    )
    return words[0] if words else None


def build_check(
    sentence: str,
    *,
    topic: str,
    source: str,
    chunk_id: str,
    keywords: Iterable[str] = (),
    avoid: str = "",
) -> CheckQuestion | None:
    """A cloze question on the sentence, or None when it would not read sensibly."""
    sentence = " ".join(sentence.split())
    if sentence.startswith("#"):  # a heading, not a statement
        return None
    if sentence.split()[0].lower().strip(",") in _LEANS_BACK:
        return None
    if not MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
        return None
    term = pick_term(sentence, keywords=keywords, avoid=avoid)
    if term is None:
        return None
    pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
    prompt = pattern.sub(BLANK, sentence)
    return CheckQuestion(prompt, term, topic, source, chunk_id, sentence)
