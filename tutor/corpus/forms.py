"""The form of a term, so that two ways of writing one term compare equal: case, articles,
plurals, hyphens, British or American spelling, and function words in an expansion.

Pure string functions, shared by the glossary (`tutor.corpus.glossary`) and the answer judge
(`tutor.quiz.answers`).
"""

from __future__ import annotations

import re

FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "from", "with", "and", "to", "for", "in", "on", "by", "through"}
)
"""Left out when an answer is compared with an expansion: reinforcement learning *with*
human feedback and *from* human feedback are one term."""

_SPELLING = (
    (re.compile(r"isation$"), "ization"),
    (re.compile(r"is(e|ed|es|ing)$"), r"iz\1"),
    (re.compile(r"ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"our$"), "or"),
    (re.compile(r"ogue$"), "og"),
    (re.compile(r"ll(ed|ing|er)$"), r"l\1"),
    (re.compile(r"tre$"), "ter"),
)
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercase words of the text; hyphens and punctuation separate words."""
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("'s", ""))


def stem(word: str) -> str:
    """The word without a plural ending, in American spelling ("catalogues" -> "catalog")."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and re.search(r"(ss|x|ch|sh)es$", word):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not re.search(r"(ss|us|is)$", word):
        word = word[:-1]
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


def norm(text: str) -> str:
    """The term's comparable form: stemmed words, without a leading article."""
    found = [stem(w) for w in words(text)]
    while found and found[0] in ("a", "an", "the"):
        found = found[1:]
    return " ".join(found)


def squashed(text: str) -> str:
    """`norm` without spaces: "Q learning", "Q-learning" and "Qlearning" are one form."""
    return norm(text).replace(" ", "")


def expansion_key(text: str) -> str:
    """An expansion's comparable form: `norm` without function words."""
    return " ".join(w for w in norm(text).split() if w not in FUNCTION_WORDS)


def acronym_key(text: str) -> str:
    """An acronym's comparable form: "LLMs" and "llm" -> "llm"; "TF-IDF" -> "tfidf"."""
    bare = re.sub(r"[^A-Za-z0-9]", "", text)
    if len(bare) > 2 and bare.endswith("s") and bare[-2].isupper():
        bare = bare[:-1]
    return bare.lower()


def looks_like_acronym(text: str) -> bool:
    """One short word with two or more capitals (RAG, LLMs, MLOps, LoRA), or typed in
    lowercase as one short word the caller knows is an acronym."""
    bare = text.strip()
    return (
        bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{1,7}", bare))
        and sum(c.isupper() for c in bare) >= 2
    )


def initials(text: str) -> str:
    """First letters of the content words (two or more), else ""."""
    found = expansion_key(text).split()
    return "".join(w[0] for w in found) if len(found) >= 2 else ""


def same_word(a: str, b: str) -> bool:
    """One word in two forms (plural, spelling)."""
    return stem(a) == stem(b)
