"""What sort of thing a key term names, and which terms are one thing under two names.

A wrong option or a false statement is only fair when it swaps a term for one of the same
sort: a method for a method (supervised learning / reinforcement learning), a product for a
product (MLflow / Unity Catalog), an architecture for an architecture (CNNs / RNNs). A swap
across sorts ("convolutional neural networks thrive where data has been labelled", for
supervised learning) is either a giveaway or nonsense. The sort is read off the term's
head noun (an acronym's off its expansion); a term whose head is in no table has no sort,
and is never swapped.

Aliases are an acronym and its expansion (RLHF / reinforcement learning with human
feedback, CNNs / convolutional neural networks), both used in the material: a stem naming
one gives the other away, and a claim about one is a claim about the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

Category = str

CATEGORY_NOUNS: Mapping[Category, str] = {
    "product": "tool",
    "method": "technique",
    "architecture": "architecture",
    "model": "model",
    "formalism": "formalism",
}
"""What a question calls a term of each sort ("Which tool ...?")."""

_HEADS: Mapping[str, Category] = {
    **dict.fromkeys(
        [
            "network",
            "networks",
            "gan",
            "gans",
            "cnn",
            "cnns",
            "rnn",
            "rnns",
            "lstm",
            "lstms",
            "transformer",
            "transformers",
            "autoencoder",
            "autoencoders",
            "units",
            "architecture",
            "architectures",
        ],
        "architecture",
    ),
    **dict.fromkeys(
        [
            "regression",
            "trees",
            "tree",
            "forests",
            "forest",
            "machines",
            "classifier",
            "classifiers",
            "models",
        ],
        "model",
    ),
    **dict.fromkeys(
        [
            "learning",
            "clustering",
            "analysis",
            "mining",
            "prompting",
            "engineering",
            "chaining",
            "generation",
            "reduction",
            "augmentation",
            "fine-tuning",
            "q-learning",
            "rlhf",
            "pca",
        ],
        "method",
    ),
    **dict.fromkeys(["search", "catalog", "mlflow", "langchain", "registry"], "product"),
    **dict.fromkeys(["process"], "formalism"),
}
BROAD = frozenset({
    "machine learning", "artificial intelligence", "generative ai", "deep learning models",
    "neural architectures", "language models", "large language models", "neural networks",
    "regression models", "generative models", "ai systems", "learning models",
    "unsupervised models", "supervised models", "classification algorithms",
})  # fmt: skip
"""Names of a whole family, true of any member: never a wrong option or a false swap."""
_SKIPPED_IN_INITIALS = frozenset({"with", "of", "and", "for", "the", "from", "to", "in"})


def initials(phrase: str) -> str:
    """The acronym a phrase would have: "reinforcement learning with human feedback" ->
    "rlhf", "convolutional neural networks" -> "cnn"."""
    words = [w for w in re.split(r"[\s-]+", phrase.lower()) if w]
    return "".join(w[0] for w in words if w not in _SKIPPED_IN_INITIALS)


def acronym_core(term: str) -> str | None:
    """The letters of an acronym ("GANs" -> "gan", "RLHF" -> "rlhf"), or None."""
    match = re.fullmatch(r"([A-Z]{2,})s?", term.strip())
    return match.group(1).lower() if match else None


def find_aliases(terms: Iterable[str]) -> dict[str, str]:
    """Acronym <-> expansion pairs among the terms (lowercase keys), both ways: an acronym
    ("PCA", as written) whose letters are the initials of a multiword term of the material
    ("principal component analysis")."""
    texts = sorted(set(terms))
    expansions: dict[str, list[str]] = {}
    for text in texts:
        words = text.split()
        if len(words) >= 2 and not acronym_core(text):
            expansions.setdefault(initials(text), []).append(text.lower())
    aliases: dict[str, str] = {}
    for text in texts:
        core = acronym_core(text)
        if core is None or core not in expansions:
            continue
        plural = text.endswith("s")
        found = sorted(expansions[core], key=lambda e: (e.endswith("s") != plural, -len(e), e))
        aliases[text.lower()] = found[0]
        aliases.setdefault(found[0], text.lower())
    return aliases


def category_of(text: str, aliases: Mapping[str, str] | None = None) -> Category | None:
    """The sort of thing a term names, from its head noun (an acronym's expansion's), or
    None when that is not known. A product-style name (MLflow, LangChain, Unity Catalog)
    counts as a product when its head says nothing else."""
    key = text.lower()
    expansion = (aliases or {}).get(key)
    if acronym_core(text) and expansion:
        key = expansion
    # "reinforcement learning with human feedback" is a kind of learning
    head_part = re.split(r"\s+(?:with|of|for|from)\s+", key)[0]
    head = head_part.split()[-1] if head_part.split() else key
    if head in _HEADS:
        return _HEADS[head]
    if re.search(r"[a-z][A-Z]", text) or (len(text.split()) >= 2 and text.istitle()):
        return "product"
    return None


def related(a: str, b: str, aliases: Mapping[str, str]) -> bool:
    """Whether one term is part of, or another name of, the other ("reinforcement learning"
    and RLHF, PCA and "principal component analysis"): never a fair swap."""
    names_a = {a.lower(), aliases.get(a.lower(), a.lower())}
    names_b = {b.lower(), aliases.get(b.lower(), b.lower())}
    return any(
        re.search(rf"(?<!\w){re.escape(x)}(?!\w)", y)
        or re.search(rf"(?<!\w){re.escape(y)}(?!\w)", x)
        for x in names_a
        for y in names_b
    )


_KNOWN_AS = re.compile(
    r"([A-Za-z][\w -]{4,90}?),?\s+(?:commonly\s+|also\s+|often\s+)?(?:known|referred\s+to)\s+as\s+"
    r"([A-Z]{2,}s?)\b|([A-Za-z][\w -]{4,90}?)\s+\(([A-Z]{2,}s?)\)"
)


def spelled_out(text: str) -> dict[str, str]:
    """Acronyms the text spells out ("reinforcement learning with human feedback, commonly
    known as RLHF", "principal component analysis (PCA)"): acronym (lowercase) -> the
    expansion's words whose initials it is."""
    found: dict[str, str] = {}
    for m in _KNOWN_AS.finditer(text):
        before, acronym = (m.group(1), m.group(2)) if m.group(2) else (m.group(3), m.group(4))
        core = acronym_core(acronym)
        words = before.split()
        for n in range(1, len(words) + 1):
            if initials(" ".join(words[-n:])) == core:
                found[acronym.lower()] = " ".join(words[-n:]).lower()
                break
    return found


class Families:
    """Which terms name a family and a member of it ("dimensionality reduction" and PCA,
    "unsupervised learning" and k-means clustering): the claim of one is often true of
    the other, so they are never swapped for each other.

    Two sources: the material's own words ("dimensionality reduction techniques like
    principal component analysis", "ensemble methods such as random forests"), and the
    topic map: a term in a topic's title ("Unsupervised Learning") names the family of
    the terms that topic's keywords name (`topics_of(key)`).
    """

    def __init__(
        self,
        texts: Iterable[str],
        keys: Iterable[str],
        titles: Mapping[str, str],
        topics_of: Callable[[str], list[str]],
    ) -> None:
        self.topics_of = topics_of
        self.titles = {t: title_head(title) for t, title in titles.items()}
        self.pairs: set[frozenset[str]] = set()
        keys = sorted(set(keys), key=len, reverse=True)
        for text in texts:
            lowered = " ".join(text.lower().split())
            present = [k for k in keys if _word(k).search(lowered)]
            for a in present:
                for b in present:
                    member = rf"(?:\s+[\w-]+)?\s+(?:such as|like|including)\s+{re.escape(b)}"
                    if a != b and re.search(re.escape(a) + member, lowered):
                        self.pairs.add(frozenset((a, b)))

    def related(self, a: str, b: str, aliases: Mapping[str, str] | None = None) -> bool:
        names_a = {a, (aliases or {}).get(a, a)}
        names_b = {b, (aliases or {}).get(b, b)}
        if any(frozenset((x, y)) in self.pairs for x in names_a for y in names_b):
            return True
        return self._heads(a, b) or self._heads(b, a)

    def _heads(self, family: str, member: str) -> bool:
        """`family` is in the title of a topic `member` belongs to."""
        return any(
            _word(family).search(self.titles.get(t, ""))
            and not _word(member).search(self.titles.get(t, ""))
            for t in self.topics_of(member)
        )


def title_head(title: str) -> str:
    """The family a topic's title names: "Unsupervised Learning", "Deep Learning
    Architectures" (of "Deep Learning Architectures: CNNs, RNNs and LSTMs")."""
    return re.split(r"[:,(]|\band\b", title.lower())[0]


def _word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase.lower())}s?(?![\w-])")
