"""What a typed reply says besides its terms: a pass, "I don't know", a paste or a list,
fillers ("I think it's"), a negation ("not PCA") or a hedge ("CNNs or RNNs").

Pure functions over the reply's text; `tutor.quiz.answers` decides the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tutor.corpus.forms import words

MAX_REPLY_WORDS = 12
"""Room for a term and a hedge ("I think it's Unity Catalog"); a longer key gets more."""

# What separates the items of a typed or pasted list: punctuation, line breaks, "or", and
# bullets ("-", "*", "•" standing alone, as they do once a pasted list's line breaks are
# made spaces). Not "and", which joins the parts of one answer ("warehouses and lakes").
_LIST_SEPARATOR = re.compile(r"[,;/|\n\u2022]|\bor\b|(?<!\S)[-*](?!\S)", re.IGNORECASE)

_PASS = re.compile(r"^(skip|pass|next)[\s?!.]*$")
_GIVE_UP = re.compile(r"^(no idea|i don'?t know|i do not know|idk|dunno|not sure)[\s?!.]*$")

_UNSURE = (
    r"(?:(?:i'?m |i am )?not (?:100% |entirely |quite |really |completely )?(?:sure|certain)"
    r"|(?:i have |i've )?no idea|i don'?t know|not a clue)"
)
_LEADING = re.compile(
    rf"^\s*(?:(?:{_UNSURE}|i think|i believe|i guess|i'?d say|i would say|probably|maybe|"
    r"perhaps|possibly|it'?s|it is|it was|that'?s|that is|that would be|the answer is|"
    r"answer|my answer is|i'?m (?:fairly |pretty |quite )?sure|i am (?:fairly |pretty )?sure|"
    r"hmm+|umm*|uh|well|so|ok|okay)\b[,:;.!]?\s*(?:but\b|that\b)?\s*|(?:yes|no|nope)[,:;.!]\s*)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    rf"(?:[,;]?\s*(?:{_UNSURE}|i think|i believe|i guess|maybe|probably|perhaps|right|"
    r"i'?m (?:fairly |pretty )?sure)\b)+\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|except|excluding|cannot|anything but|all but|"
    r"other than|rather than|\w+n't|isnt|arent|wasnt|werent|doesnt|dont|didnt)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[,;]|(?<!anything )(?<!all )\bbut\b", re.IGNORECASE)
_HEDGE = re.compile(r"\band\s*/\s*or\b|\bor\b|\beither\b|\bvs\b\.?|\bversus\b|/|[()]", re.I)
_JOINED = re.compile(r"\band\b|&|,|;", re.IGNORECASE)
_PLACEHOLDER = "\x00"


def _plain(reply: str) -> str:
    return " ".join(reply.lower().replace("\u2019", "'").split())


def is_pass(reply: str) -> bool:
    """The learner passes on a check: no evidence either way."""
    return bool(_PASS.match(_plain(reply)))


def is_give_up(reply: str) -> bool:
    """The learner says they do not know: honest evidence, graded wrong."""
    return bool(_GIVE_UP.match(_plain(reply)))


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


def without_fillers(reply: str) -> str:
    """The reply without hedging words around the answer ("I think it's X, right?")."""
    text = " ".join(reply.replace("\u2019", "'").split())
    for _ in range(3):
        shorter = _TRAILING.sub("", _LEADING.sub("", text)).strip(" .!?")
        if shorter == text or not shorter:
            break
        text = shorter
    return text


def negated(reply: str, answer: str) -> bool:
    """The reply negates its answer: more negating words than the key itself has, unless
    the key stands in a clause of its own that negates nothing ("Unity Catalog, not
    MLflow": what is negated there is another answer)."""
    if _count(_NEGATION, reply) <= _count(_NEGATION, answer):
        return False
    holding = [c for c in _CLAUSE.split(reply) if answer.lower() in c.lower()]
    return not holding or any(_count(_NEGATION, c) > _count(_NEGATION, answer) for c in holding)


def negative(text: str, is_word: Callable[[str], bool] = lambda w: False) -> bool:
    """Whether the text says something is not so: a negating word, "without", or a word
    negated by un-/non- ("unlabelled") whose stem is a word."""
    if _NEGATION.search(text) or re.search(r"\b(?:without|lacks?|lacking)\b", text, re.I):
        return True
    for word in words(text):
        for prefix in ("non", "un"):
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 4 and is_word(rest):
                return True
    return False


def hedged_parts(reply: str, answer: str, is_term: Callable[[str], bool]) -> list[str]:
    """The candidate answers a reply hedges between ("X or Y", "either X or Y", "X and/or
    Y", "X / Y", "X vs Y"; "X and Y" or "X, Y" when each is a term), else [reply].
    The key's own words never split it ("structured and unstructured data")."""
    text = re.sub(re.escape(answer), _PLACEHOLDER, reply, flags=re.IGNORECASE)
    parts = [p.strip(" .,;:!?") for p in _HEDGE.split(text)]
    parts = [p for p in parts if _PLACEHOLDER in p or words(p)]
    if len(parts) < 2:
        parts = [p.strip(" .:!?") for p in _JOINED.split(text)]
        parts = [p for p in parts if _PLACEHOLDER in p or words(p)]
        back = [p.replace(_PLACEHOLDER, answer) for p in parts]
        if len(parts) < 2 or not all(is_term(p) for p in back):
            return [reply]
    return [p.replace(_PLACEHOLDER, answer) for p in parts]


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text.replace("\u2019", "'")))
