"""The key terms of a corpus: candidates cut from its sentences, kept if they behave like terms.

Every chunk's sentences are cut into runs of content words (`tutor.quiz.wording`). Within a
run, sequences of 1-4 words ending in a noun-like word are candidates. A candidate is a
*name* (acronym or product: MLflow, RLHF, GANs, LangChain, Unity Catalog), a *phrase* (a
multiword concept: decision trees) or a *word* (a single noun: interpretability). Phrases
must recur (in two chunks, or twice in one) or be a topic-map keyword, words must recur and
not be everywhere, and a sequence only ever seen inside a longer term is a fragment
("principal component"). Terms are scored per chunk by TF-IDF, boosted for topic keywords,
names and phrases.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from tutor.corpus.catalog import ChunkRecord
from tutor.corpus.sentences import split_sentences
from tutor.corpus.topics import TopicMap
from tutor.quiz.cloze import TOO_COMMON
from tutor.quiz.wording import (
    DETERMINERS,
    GENERIC,
    META,
    VAGUE,
    Token,
    content_runs,
    ends_phrase,
    head_noun,
    is_plural,
    name_like,
    nounish,
    title_like,
)
from tutor.text import STOPWORDS, citation

TermKind = Literal["name", "phrase", "word"]

MAX_TERM_WORDS = 4
MAX_WORD_DF_SHARE = 0.3
"""A single word found in more chunks than this share says nothing particular ("models")."""
DISTRACTOR_VOCABULARY = 4000
"""Distractors come from the corpus's best-scored terms only; these are embedded once, in
one batch, when the bank is built (a few seconds at most on a large corpus). Keys outside
it are embedded when first asked about."""


# --- passages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    """A passage to ask about: a chunk's id, text, topics and citation."""

    chunk_id: str
    text: str
    topics: tuple[str, ...]
    citation: str

    @classmethod
    def of(cls, record: ChunkRecord) -> Material:
        return cls(record.id, record.text, tuple(record.topics), citation_of(record))


def citation_of(record: ChunkRecord) -> str:
    """The chunk's citation exactly as search results print it."""
    return citation(
        record.source, record.heading, (record.span_start, record.span_end), record.span_unit
    )


# --- candidates -----------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """A candidate term where it stands in a sentence."""

    key: str
    """The candidate lowercased: the identity of a term."""
    surface: str
    initial: bool
    determined: bool
    """A determiner comes right before it (the Markov Decision Process, a GAN)."""
    run: int
    start: int
    end: int
    """Its place: which run of the sentence, first and last token."""


def term_candidates(runs: list[list[Token]]) -> list[Occurrence]:
    """Every sequence of 1-4 words of a run that could be a term: it ends in a noun-like
    word or a name, starts with neither a vague qualifier nor a generic noun, names no
    part of the exam's wrapping, and does not cut a capitalised name (Unity Catalog) in
    two."""
    found: list[Occurrence] = []
    for r, run in enumerate(runs):
        for end, last in enumerate(run):
            if not (last.name or nounish(last.low)):
                continue
            if last.name and end + 1 < len(run) and run[end + 1].name:
                continue
            for start in range(end, max(-1, end - MAX_TERM_WORDS), -1):
                first = run[start]
                if first.low in META or first.low in TOO_COMMON:
                    break  # every longer sequence contains it too
                if first.low in VAGUE or first.low in GENERIC:
                    continue
                if first.name and start > 0 and run[start - 1].name:
                    continue
                words = run[start : end + 1]
                found.append(
                    Occurrence(
                        " ".join(w.low for w in words),
                        " ".join(w.text for w in words),
                        first.initial,
                        first.prev in DETERMINERS,
                        r,
                        start,
                        end,
                    )
                )
    return found


def _ing_evidence(runs: list[list[Token]], pairs: Counter[str], nouns: set[str]) -> None:
    """Collect signs that an -ing word is a noun (the training, model training) rather
    than a verb (building systems, engineers preparing)."""
    for run in runs:
        for i, token in enumerate(run):
            if not token.low.endswith("ing") or len(token.low) <= 4:
                continue
            if token.prev in DETERMINERS:
                if ends_phrase(run, i):  # "the training", not "the beating heart"
                    nouns.add(token.low)
            elif i > 0:
                before = run[i - 1].low
                if nounish(before) and not is_plural(before) and not before.endswith("ing"):
                    pairs[f"{before} {token.low}"] += 1


# --- terms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A key term of the material."""

    text: str
    """How it is usually written (lowercase unless it is a name)."""
    kind: TermKind
    head: str
    plural: bool
    df: int
    """How many chunks use it."""
    score: float
    """Its best TF-IDF in any chunk."""
    topics: tuple[str, ...]
    """The topics of the chunks that use it."""
    determined: bool = False
    """It usually follows a determiner ("the Markov Decision Process", "a neural network"),
    unlike "LangChain" or "anomaly detection": a distractor must fit the blank's grammar."""

    @property
    def key(self) -> str:
        return self.text.lower()


@dataclass
class KeyTerms:
    """The key terms of a corpus, with their kinds, scores and the chunks that use them."""

    terms: dict[str, Term]
    by_kind: dict[TermKind, list[str]]
    """Keys of each kind, best scored first (ties by key), the `DISTRACTOR_VOCABULARY`
    best in all: where distractors come from."""
    by_kind_topic: dict[tuple[TermKind, str], list[str]]
    chunk_scores: dict[str, dict[str, float]]
    """Per chunk, the score of each key term it uses."""

    @classmethod
    def build(cls, materials: Iterable[Material], topics: TopicMap | None) -> KeyTerms:
        """Count candidates per chunk and keep those that behave like terms.

        One pass over the text. TF-IDF is computed by hand: the candidates come from rules
        over sentences, not from a vectorizer's tokenisation, and a Counter per chunk is
        all it takes (no extra dependency, linear in the corpus).
        """
        keywords = {k for t in topics.topics for k in t.keywords} if topics else set()
        materials = list(materials)
        n = max(len(materials), 1)
        tf: dict[str, Counter[str]] = {}
        spellings: Counter[tuple[str, bool]] = Counter()
        determined: Counter[str] = Counter()
        alone: Counter[str] = Counter()
        covered: Counter[tuple[str, tuple[str, ...]]] = Counter()
        ing_pairs: Counter[str] = Counter()
        # -ing words the corpus uses as nouns (learning, clustering); others are verbs.
        ing_nouns = {w for k in keywords for w in k.split() if w.endswith("ing")}
        for material in materials:
            counts: Counter[str] = Counter()
            for sentence in _sentences(material.text):
                runs = content_runs(sentence)
                _ing_evidence(runs, ing_pairs, ing_nouns)
                found = term_candidates(runs)
                for occ in found:
                    counts[occ.key] += 1
                    spellings[(occ.surface, occ.initial)] += 1
                    determined[occ.key] += occ.determined
                    if not ends_phrase(runs[occ.run], occ.end):
                        continue  # a modifier here ("the reinforcement process")
                    # Which longer candidates hold this one here: if none of them turns out
                    # to be a term, this is a use of its own.
                    holders = tuple(sorted(o.key for o in found if _holds(o, occ)))
                    if holders:
                        covered[(occ.key, holders)] += 1
                    else:
                        alone[occ.key] += 1
            tf[material.chunk_id] = counts
        ing_nouns |= {pair.split()[1] for pair, count in ing_pairs.items() if count >= 2}
        # ... or after two different modifiers: "zero-shot prompting", "few-shot prompting"
        modifiers: dict[str, set[str]] = defaultdict(set)
        for pair in ing_pairs:
            modifiers[pair.split()[1]].add(pair.split()[0])
        ing_nouns |= {word for word, mods in modifiers.items() if len(mods) >= 2}
        df: Counter[str] = Counter()
        max_tf: Counter[str] = Counter()
        uses: Counter[str] = Counter()
        for counts in tf.values():
            df.update(counts.keys())
            uses.update(counts)
            for key, count in counts.items():
                max_tf[key] = max(max_tf[key], count)
        surfaces: dict[str, Counter[tuple[str, bool]]] = defaultdict(Counter)
        for (surface, initial), count in spellings.items():
            surfaces[surface.lower()][(surface, initial)] = count

        kinds: dict[str, tuple[str, TermKind]] = {}
        for key in sorted(df):
            text = _canonical(surfaces[key])
            name = all(name_like(w, False) for w in text.split())
            kind: TermKind = "name" if name else ("phrase" if " " in key else "word")
            verbs = [w for w in key.split() if w.endswith("ing") and w not in ing_nouns]
            if not verbs and _acceptable(key, kind, df[key], max_tf[key], n, keywords):
                kinds[key] = (text, kind)
        # A sequence never used on its own, only inside a longer term ("principal
        # component" of "principal component analysis"), is a fragment, not a term.
        for (key, holders), count in covered.items():
            if key in kinds and not any(h in kinds for h in holders):
                alone[key] += count
        kinds = {k: v for k, v in kinds.items() if alone[k] > 0}

        chunk_scores: dict[str, dict[str, float]] = {}
        best: dict[str, float] = defaultdict(float)
        term_topics: dict[str, set[str]] = defaultdict(set)
        for material in materials:
            scores = {}
            for key, count in tf[material.chunk_id].items():
                if key not in kinds:
                    continue
                idf = math.log((1 + n) / (1 + df[key])) + 1  # sklearn's smooth idf
                boost = {"name": 1.25, "phrase": 1.2, "word": 1.0}[kinds[key][1]]
                if key in keywords:
                    boost *= 1.5
                scores[key] = count * idf * boost
                best[key] = max(best[key], scores[key])
                term_topics[key].update(material.topics)
            chunk_scores[material.chunk_id] = scores
        terms = {
            key: Term(
                text=text,
                kind=kind,
                head=head_noun(key),
                plural=is_plural(text),
                df=df[key],
                score=best[key],
                topics=tuple(sorted(term_topics[key])),
                determined=determined[key] * 2 > uses[key],
            )
            for key, (text, kind) in kinds.items()
        }
        by_kind: dict[TermKind, list[str]] = defaultdict(list)
        by_kind_topic: dict[tuple[TermKind, str], list[str]] = defaultdict(list)
        for key in sorted(terms, key=lambda k: (-terms[k].score, k))[:DISTRACTOR_VOCABULARY]:
            term = terms[key]
            by_kind[term.kind].append(key)
            for topic in term.topics:
                by_kind_topic[(term.kind, topic)].append(key)
        return cls(terms, dict(by_kind), dict(by_kind_topic), chunk_scores)


def _sentences(text: str) -> Iterator[str]:
    """The sentences of a passage that can hold terms (not headings or key-value lines)."""
    for sentence in split_sentences(text):
        if not title_like(sentence):
            yield sentence


def _holds(outer: Occurrence, inner: Occurrence) -> bool:
    """`outer` is a longer candidate at the same place that contains `inner`."""
    return (
        outer.run == inner.run
        and outer.start <= inner.start
        and outer.end >= inner.end
        and outer.end - outer.start > inner.end - inner.start
    )


def _canonical(surfaces: Counter[tuple[str, bool]]) -> str:
    """The commonest spelling inside sentences. A term only ever seen opening one loses its
    capital, unless its first word is an acronym or camel-case name (LangChain)."""
    inside = [(count, s) for (s, initial), count in surfaces.items() if not initial]
    if inside:
        return max(inside)[1]
    text = max((count, s) for (s, _), count in surfaces.items())[1]
    first = text.split()[0]
    if name_like(first, True):
        return text
    return text[:1].lower() + text[1:]


def _acceptable(key: str, kind: TermKind, df: int, max_tf: int, n: int, keywords: set[str]) -> bool:
    words = key.split()
    if len(key) < 3 or key in TOO_COMMON or all(w in TOO_COMMON | STOPWORDS for w in words):
        return False
    if kind == "word":
        # Too common a word names no particular idea, one used once is no key term of the
        # material, and short lowercase words are mostly not terms (a cloze keyword needs 4
        # letters, see tutor.quiz.cloze.pick_term).
        return (
            len(key) >= 4
            and df <= max(3, MAX_WORD_DF_SHARE * n)
            and (df >= 2 or max_tf >= 2 or key in keywords)
        )
    if kind == "phrase":
        # A multiword sequence seen once is usually an accident of syntax ("trees bring").
        return df >= 2 or max_tf >= 2 or key in keywords
    return True  # a name is a term wherever it is used
