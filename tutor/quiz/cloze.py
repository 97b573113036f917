"""One-question checks: a key term of a passage blanked out, and a fair grader for replies.

Both halves are deterministic on purpose: the grade feeds the learner's memory, so it must
come from rules, never from a model's free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Literal

from tutor.text import STOPWORDS

BLANK = "_____"
MIN_WORDS, MAX_WORDS = 8, 45
"""A sentence shorter than this gives too little context to recall the term; a longer one
is a paragraph in disguise."""
FUZZY_MATCH = 0.8
"""A reply this similar (character level) to the key is a typo of it, not another answer."""
MAX_REPLY_WORDS = 12
"""Room for a term and a hedge ("I think it's Unity Catalog"); a longer key gets more."""

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

# What separates the items of a typed or pasted list: punctuation, line breaks, "or", and
# bullets ("-", "*", "•" standing alone, as they do once a pasted list's line breaks are
# made spaces). Not "and", which joins the parts of one answer ("warehouses and lakes").
_LIST_SEPARATOR = re.compile(r"[,;/|\n\u2022]|\bor\b|(?<!\S)[-*](?!\S)", re.IGNORECASE)

_PASS = re.compile(r"^(skip|pass|next)[\s?!.]*$")
_GIVE_UP = re.compile(r"^(no idea|i don'?t know|i do not know|idk|dunno|not sure)[\s?!.]*$")

CheckResult = Literal["right", "wrong", "skipped"]


def _plain(reply: str) -> str:
    return " ".join(reply.lower().replace("\u2019", "'").split())


def is_pass(reply: str) -> bool:
    """The learner passes on a check: no evidence either way."""
    return bool(_PASS.match(_plain(reply)))


def is_give_up(reply: str) -> bool:
    """The learner says they do not know: honest evidence, graded wrong."""
    return bool(_GIVE_UP.match(_plain(reply)))


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


def reply_problem(reply: str, answer: str) -> str | None:
    """Why a reply cannot be right whatever it contains, or None.

    A reply is graded by whether it holds the key, so a pasted passage or a list of
    candidate terms would hold it without the learner recalling anything: a reply far
    longer than the key needs, or naming more items than the key has plus one (room for
    "Unity Catalog, I think"), does not count.
    """
    if len(reply.split()) > max(MAX_REPLY_WORDS, 2 * len(answer.split()) + 8):
        return "far too long for this answer: give just the term, in a few words"
    if len(_items(reply)) > len(_items(answer)) + 1:
        return "a list of terms: give one answer"
    return None


def _items(text: str) -> list[str]:
    return [item for item in _LIST_SEPARATOR.split(text) if item.strip(" .!?\t")]


def grade_reply(reply: str, answer: str) -> CheckResult:
    """Right, wrong or skipped, forgiving case, articles, plurals, typos and acronyms.
    A pasted passage or a list of terms is wrong (`reply_problem` says why)."""
    return judge_reply(reply, answer)[0]


def judge_reply(reply: str, answer: str) -> tuple[CheckResult, str]:
    """`grade_reply`'s verdict and, in a few words, why."""
    if is_pass(reply):
        return "skipped", "skipped"
    if is_give_up(reply):
        return "wrong", "no answer given"
    problem = reply_problem(reply, answer)
    if problem is not None:
        return "wrong", problem
    given, key = _normalise(reply), _normalise(answer)
    if not given:
        return "wrong", "no answer given"
    if given == key:
        return "right", "matches the key"
    if f" {key} " in f" {given} ":
        return "right", "names the key"
    if len(key) >= 5 and SequenceMatcher(None, given, key).ratio() >= FUZZY_MATCH:
        return "right", "the key, misspelt"
    if _initials(key) == given.replace(" ", "") or _initials(given) == key.replace(" ", ""):
        return "right", "the key's acronym or expansion"
    return "wrong", "does not match the key"


def _normalise(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    while words and words[0] in ("a", "an", "the"):
        words = words[1:]
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def _initials(phrase: str) -> str:
    words = phrase.split()
    return "".join(w[0] for w in words) if len(words) >= 2 else ""
