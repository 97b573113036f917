"""Quiz questions without a model: cloze, multiple choice and true/false from key terms.

Offline, the quiz still needs questions that read like an exam's. They are built from the
material alone, deterministically:

1. Key terms (`KeyTerms`). Every chunk's sentences are cut into runs of content words:
   stopwords, punctuation, verbs and adverbs end a run, found by cheap rules (a closed verb
   list, a word followed by a determiner, a word after a modal or "to", a bare word after
   a plural subject). Within a run, sequences of 1-4 words ending in a noun-like word are
   candidates. A candidate is a *name* (acronym or product: MLflow, RLHF, GANs,
   LangChain, Unity Catalog), a *phrase* (a multiword concept: decision trees) or a
   *word* (a single noun: interpretability). Phrases must recur (in two chunks, or twice
   in one) or be a topic-map keyword, words must recur and not be everywhere, and a
   sequence only ever seen inside a longer term is a fragment ("principal component").
   Terms are scored per chunk by TF-IDF, boosted for topic keywords, names and phrases.
2. Questions (`QuestionBank`). A sentence of a chunk with its best key term blanked is a
   cloze (`tutor.quiz.cloze.build_check` decides whether the sentence reads alone). Multiple
   choice adds three distractors: terms of the same kind from other passages, sharing no
   word with the key or each other, neither part of the other, agreeing with the blank's
   grammar, and not synonyms (MiniLM cosine below `SYNONYM_COSINE`). True/false states the
   sentence as written, or with the key swapped for a distractor from another topic.

Randomness only ever comes from the `random.Random` the caller passes in, and every
candidate list is sorted first, so the same corpus and seed give the same questions.
Building costs one pass over the text plus one embedding batch of the distractor
vocabulary; what each chunk can be asked is worked out when first needed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from random import Random
from typing import Literal

import numpy as np

from tutor.corpus.catalog import Catalog, ChunkRecord
from tutor.corpus.sentences import CachedEmbed, Embed, split_sentences
from tutor.corpus.topics import TopicMap
from tutor.quiz.cloze import BLANK, TOO_COMMON, build_check
from tutor.quiz.questions import TRUE_FALSE, Question, QuestionKind
from tutor.text import STOPWORDS, citation

TermKind = Literal["name", "phrase", "word"]
Requested = QuestionKind | Literal["mixed"]

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
MIN_STEM_WORDS = 6
"""The stem must keep this many words besides the blank to say what it asks."""
MAX_TERM_WORDS = 4
OPTIONS = 4
KEYS_PER_SENTENCE = 2
"""A sentence offers at most this many blanks (best first), so one passage is not drilled
on every noun of one sentence."""
MAX_WORD_DF_SHARE = 0.3
"""A single word found in more chunks than this share says nothing particular ("models")."""
POOL_SAME_TOPIC, POOL = 16, 64
"""Distractor candidates considered per question: up to 16 from the question's topic, the
rest from anywhere, best scored first. Only these are embedded, so a question costs one
small batch whatever the size of the corpus."""
DISTRACTOR_VOCABULARY = 4000
"""Distractors come from the corpus's best-scored terms only; these are embedded once, in
one batch, when the bank is built (a few seconds at most on a large corpus). Keys outside
it are embedded when first asked about."""
PLAUSIBLE = 8
"""Distractors are drawn from the this many candidates most similar to the key (below the
synonym line): near enough to be plausible, chosen at random among them for variety."""

# --- words ----------------------------------------------------------------------------


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|\d[\d.,]*|[^\sA-Za-z\d]")
# Function words beyond the catalog's stopwords: prepositions, quantifiers, connectives and
# the pieces of contractions ("don't" is tokenised as don ' t).
_FUNCTION = STOPWORDS | {
    "upon", "within", "without", "among", "amongst", "across", "toward", "towards", "beyond",
    "via", "per", "like", "unlike", "despite", "around", "behind", "beneath", "alongside",
    "inside", "outside", "throughout", "against", "along", "between", "beside", "amid",
    "onto", "whether", "rather", "even", "yet", "thus", "therefore", "however", "hence",
    "may", "might", "must", "shall", "cannot", "one", "ones", "another", "many", "much",
    "every", "several", "less", "least", "often", "never", "ever", "already", "instead",
    "etc", "e", "g", "ie", "eg", "vs", "also", "still", "whose", "whatever", "whichever",
    "either", "neither", "though", "although", "unless", "since", "else", "indeed",
    "perhaps", "almost", "always", "sometimes", "merely", "simply", "quite", "far", "well",
    "don", "doesn", "isn", "aren", "wasn", "weren", "won", "couldn", "shouldn", "wouldn",
    "didn", "hasn", "haven", "s", "t", "ll", "re", "ve", "d", "m", "someone", "something",
    "anything", "everything", "nothing", "everyone", "anyone", "none", "first", "second",
    "last", "next", "let", "lets", "makes", "make", "made", "become", "becomes", "became",
    "before", "alone", "themselves", "ourselves", "yourself", "himself", "herself",
}  # fmt: skip
_DETERMINERS = frozenset(
    {"the", "a", "an", "this", "these", "those", "its", "their", "our", "your", "his", "her",
     "every", "each", "any"}
)  # fmt: skip
# After these, a word is a verb (they manage, to craft, can generate, does not measure).
_VERB_CUES = frozenset(
    {"to", "can", "cannot", "must", "will", "may", "might", "should", "would", "could",
     "shall", "not", "does", "do", "did", "it", "they", "we", "which", "who"}
)  # fmt: skip
# Verbs that are rarely nouns; their -s/-ed forms are derived. "-ing" forms are left out
# on purpose: learning, clustering, prompting and engineering are what the material is
# about. Verbs that are as often nouns (design, search, balance, model) are left out too:
# the position rules catch them when they act as verbs.
_VERB_BASES = _wordset(
    """
accept achieve adapt add allow analyse analyze anticipate appear apply arrive ask assess
assign assume avoid begin believe belong bind blend bring build calculate carry choose
collapse combine compare compete compose compute consider consist constitute contain
continue contribute convert create decide define deliver demonstrate depend deploy derive
describe detect determine develop differ discover distinguish diverge elevate embed embody
embrace emerge employ enable encode encourage enforce engage enhance ensure enshrine
enrich establish evaluate evolve examine exist expand expect explain explore express
extend extract extrapolate fabricate fail feel find flourish follow foster gain generate
give go govern grow guarantee happen harness help hold identify illuminate imagine impose
improve include incorporate increase indicate inform inherit insist integrate intend
interact interpret introduce invent involve isolate keep know lead learn leave lie live
look lose maintain manage manifest master mean meet mimic miss move notice observe obtain
occur offer open operate optimise optimize organise organize overcome perceive perform
permit pit play predict prefer prepare present preserve prevent produce promote protect
prove provide pursue push put raise reach read realise realize recall receive recognise
recognize recombine reconfigure reduce refine reflect regard reinforce relate release
rely remain remember remind remove render repeat replace represent require reshape
resolve respond retain retrieve return reveal rise satisfy say see seek seem select send
serve show simulate solve speak spit stand start stay steer stop stumble succeed suggest
sustain synthesize synthesise take talk teach tell tend thrive transform translate treat
try turn uncover understand unify unite uphold validate vary want watch weave write yield
accelerate minimize minimise sharpen liberate condense discard simplify situate wield
empower augment fuel capture emphasize emphasise fuse tailor craft imbue quantify
cultivate engrain intersect mature symbolize symbolise encapsulate formalize formalise
balance alter redefine improvise
"""
)
_IRREGULAR = _wordset(
    """
became begun began brought built chose chosen did drove driven fell felt found gave given
gone went grew grown held kept knew known laid led left lost made meant met paid ran said
saw seen sent shown spoke stood taken took taught thought told understood wrote written
arose arisen lies lay wove woven
"""
)


def _inflections(base: str) -> set[str]:
    forms = {base, base + "s", base + "es", base + "ed", base + "d"}
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", base):  # pit -> pitted
        forms.add(base + base[-1] + "ed")
    return forms


_VERBS = frozenset({f for base in _VERB_BASES for f in _inflections(base)} | set(_IRREGULAR))
# Vague qualifiers: never the first word of a term, never its last.
_VAGUE = _wordset(
    """
    various different other certain entire whole new old real true key main major minor
    mere sheer great greater greatest larger largest smaller vast broad broader high higher
    low lower good better best important essential crucial critical vital central
    fundamental powerful simple clear specific particular same similar distinct unique
    modern early further final full own possible relevant significant effective efficient
    rich genuine deeper deepest profound dependent independent consistent apparent
    inherent coherent transparent evident sufficient excellent frequent recent present
    absent constant abundant dominant redundant elegant vibrant resilient urgent emergent
    fluent competent prominent persistent silent ancient confident convenient distant
    brilliant generic realistic holistic enormous massive immense capable valuable
    reliable invaluable indispensable rigid crude lifelike imaginative pragmatic practical
    successful unsuccessful entire contemporary sophisticated available ready aware alive
    subtle average longer stronger faster wider easier harder newer older closer clearer
    simpler today apart together ahead away back forth account rote prime
    """
)
# Adjectives that may open a term (deep learning, random forests, large language models)
# but never end one.
_ADJECTIVES = _VAGUE | _wordset(
    """
    deep human hidden linear neural recurrent convolutional random large small raw
    synthetic latent static dynamic structured unstructured labelled unlabelled advanced
    basic single isolated intelligent complex robust small-scale large-scale long-term
    short-term real-world high-quality end-to-end
    """
)
# Nouns that look like adjectives, adverbs or participles by their ending.
_NOUN_EXCEPTIONS = _wordset(
    """
    family anomaly assembly supply monopoly ally italy july butterfly retrieval signal
    potential proposal interval material approval journal arrival rival trial terminal
    manual tutorial capital hospital animal individual professional festival removal
    renewal referral survival withdrawal disposal denial goal deal meal seal topic logic
    metric traffic music public epic graphic mechanic clinic rhetoric critic arithmetic
    magic fabric mosaic heuristic analytic objective initiative alternative narrative
    perspective incentive directive detective archive executive representative variable
    table cable vegetable need seed speed feed bed red shed hundred embed
    """
)
_NOT_A_NOUN = re.compile(r"(?:ly|ous|ical|ive|ful|less|able|ible|ed|[iut]al|[nr]al|ic|atory)$")
# Words that name the exam or its wrapping rather than a concept of the material.
_META = frozenset(
    {"databricks", "exam", "exams", "certification", "certifications", "certified",
     "candidate", "candidates", "associate", "guide", "credential", "credentials"}
)  # fmt: skip
# Nouns so general that blanking them tests nothing.
_GENERIC = _wordset(
    """
    way ways part parts kind kinds sort type types thing things sense time times place
    level levels role roles world life lot end fact case cases point number amount area
    areas aspect aspects example examples instance instances form forms field fields
    step steps term terms question questions answer answers side sides line lines
    something heart essence matter matters humans
    """
)
_PLURAL_EXCEPTIONS = frozenset(
    {"bias", "chaos", "ethics", "analytics", "mathematics", "physics", "economics", "series",
     "species", "news", "lens", "gas", "canvas", "atlas", "alias", "process", "loss",
     "means", "k-means"}
)  # fmt: skip


def _name_like(token: str, initial: bool) -> bool:
    """An acronym or product-style token (RLHF, MLflow, GANs, LangChain), or a capitalised
    word inside a sentence (Unity, Catalog)."""
    rest = token[1:]
    if rest != rest.lower() or (token.isupper() and len(token) >= 2):
        return True
    return token[0].isupper() and not initial


@functools.lru_cache(maxsize=1 << 16)
def _nounish(word: str) -> bool:
    """Could this (lowercased) word end a noun phrase? Cheap suffix rules, no tagger."""
    if word in _NOUN_EXCEPTIONS:
        return True
    if word in _ADJECTIVES or word in _VERBS or word in _GENERIC:
        return False
    return not _NOT_A_NOUN.search(word)


def _head(key: str) -> str:
    """The last word, de-pluralised crudely: distractors sharing it give the answer away."""
    word = key.split()[-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _is_plural(text: str) -> bool:
    word = text.split()[-1]
    if word.lower() in _PLURAL_EXCEPTIONS:
        return False
    if re.fullmatch(r"[A-Z]{2,}s", word):  # GANs, LLMs
        return True
    return word.endswith("s") and not word.lower().endswith(("ss", "us", "is"))


def _article(text: str) -> str:
    """The indefinite article the text takes ("an RLHF", "a model"), by its first sound."""
    first = text.split()[0]
    if re.fullmatch(r"[A-Z]{2,}s?", first):
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[0].lower() in "aeiou" else "a"


def _whole(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


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


# --- term extraction ------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str
    low: str
    initial: bool
    """It opens the sentence, so a capital letter says nothing about it."""
    name: bool
    prev: str
    """The token before it, lowercased ("" at the start)."""


@dataclass(frozen=True)
class _Occurrence:
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


_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]?$")
_ENDS_STATEMENT = re.compile(r"\.[\"')\]]?$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z][\w-]*")


def _title_like(sentence: str) -> bool:
    """A heading or key-value line ("Exam Title: ..."): capitals there mark no names."""
    if _ENDS_SENTENCE.search(sentence):
        return False
    words = [w for w in _WORD.findall(sentence) if w.lower() not in STOPWORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _runs(sentence: str) -> list[list[_Token]]:
    """Runs of content words: stopwords, punctuation, numbers, verbs and adverbs end one."""
    tokens = _TOKEN.findall(sentence)
    lowered = [t.lower() for t in tokens]
    opening = 0
    while opening < len(tokens) and not tokens[opening][0].isalnum():
        opening += 1  # a list marker or quote before the first word
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    for i, token in enumerate(tokens):
        low = lowered[i]
        is_word = token[0].isalpha() and len(token) >= 2 and low not in _FUNCTION
        name = is_word and _name_like(token, i == opening)
        verb = (
            is_word
            and not name
            and (
                low in _VERBS
                or (low.endswith("ly") and low not in _NOUN_EXCEPTIONS)
                # "harnessing these algorithms", "forms the baseline"
                or (i + 1 < len(tokens) and lowered[i + 1] in _DETERMINERS)
                # "to craft", "can generate", "they demand"
                or (i > 0 and lowered[i - 1] in _VERB_CUES and not low.endswith("ing"))
                # a plural subject, then a bare word with an object: "trees bring clarity"
                or (
                    bool(current)
                    and _is_plural(current[-1].low)
                    and not current[-1].name
                    and not _is_plural(low)
                    and not low.endswith("ing")
                    and i + 1 < len(tokens)
                    and tokens[i + 1][0].isalpha()
                    and lowered[i + 1] not in _FUNCTION
                )
            )
        )
        if not is_word or verb:
            if current:
                runs.append(current)
            current = []
            continue
        current.append(_Token(token, low, i == opening, name, lowered[i - 1] if i else ""))
    if current:
        runs.append(current)
    return runs


def _candidates(runs: list[list[_Token]]) -> list[_Occurrence]:
    """Every sequence of 1-4 words of a run that could be a term: it ends in a noun-like
    word or a name, starts with neither a vague qualifier nor a generic noun, names no
    part of the exam's wrapping, and does not cut a capitalised name (Unity Catalog) in
    two."""
    found: list[_Occurrence] = []
    for r, run in enumerate(runs):
        for end, last in enumerate(run):
            if not (last.name or _nounish(last.low)):
                continue
            if last.name and end + 1 < len(run) and run[end + 1].name:
                continue
            for start in range(end, max(-1, end - MAX_TERM_WORDS), -1):
                first = run[start]
                if first.low in _META or first.low in TOO_COMMON:
                    break  # every longer sequence contains it too
                if first.low in _VAGUE or first.low in _GENERIC:
                    continue
                if first.name and start > 0 and run[start - 1].name:
                    continue
                words = run[start : end + 1]
                found.append(
                    _Occurrence(
                        " ".join(w.low for w in words),
                        " ".join(w.text for w in words),
                        first.initial,
                        first.prev in _DETERMINERS,
                        r,
                        start,
                        end,
                    )
                )
    return found


def _ing_evidence(runs: list[list[_Token]], pairs: Counter[str], nouns: set[str]) -> None:
    """Collect signs that an -ing word is a noun (the training, model training) rather
    than a verb (building systems, engineers preparing)."""
    for run in runs:
        for i, token in enumerate(run):
            if not token.low.endswith("ing") or len(token.low) <= 4:
                continue
            if token.prev in _DETERMINERS:
                if _ends_phrase(run, i):  # "the training", not "the beating heart"
                    nouns.add(token.low)
            elif i > 0:
                before = run[i - 1].low
                if _nounish(before) and not _is_plural(before) and not before.endswith("ing"):
                    pairs[f"{before} {token.low}"] += 1


def _readable(sentence: str) -> str | None:
    """The sentence without a list marker, if it is a plain statement (ends with a full
    stop: questions and key-value lines make poor stems)."""
    sentence = _LIST_MARKER.sub("", " ".join(sentence.split()))
    return sentence if _ENDS_STATEMENT.search(sentence) else None


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


@dataclass(frozen=True)
class Slot:
    """A sentence of a chunk with one key term to blank in it: one cloze, and the stem of
    a multiple-choice or true/false question."""

    material: Material
    sentence: str
    key: str
    surface: str
    """The term as written in the sentence."""
    prompt: str
    """The sentence with the term blanked."""
    score: float
    topic: str


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

    ing_nouns: frozenset[str] = frozenset()
    """-ing words the corpus uses as nouns (learning, clustering); others are verbs."""

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
        ing_nouns = {w for k in keywords for w in k.split() if w.endswith("ing")}
        for material in materials:
            counts: Counter[str] = Counter()
            for sentence in _sentences(material.text):
                runs = _runs(sentence)
                _ing_evidence(runs, ing_pairs, ing_nouns)
                found = _candidates(runs)
                for occ in found:
                    counts[occ.key] += 1
                    spellings[(occ.surface, occ.initial)] += 1
                    determined[occ.key] += occ.determined
                    if not _ends_phrase(runs[occ.run], occ.end):
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
            name = all(_name_like(w, False) for w in text.split())
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
                head=_head(key),
                plural=_is_plural(text),
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
        return cls(terms, dict(by_kind), dict(by_kind_topic), chunk_scores, frozenset(ing_nouns))


def _sentences(text: str) -> Iterator[str]:
    """The sentences of a passage that can hold terms (not headings or key-value lines)."""
    for sentence in split_sentences(text):
        if not _title_like(sentence):
            yield sentence


def _holds(outer: _Occurrence, inner: _Occurrence) -> bool:
    """`outer` is a longer candidate at the same place that contains `inner`."""
    return (
        outer.run == inner.run
        and outer.start <= inner.start
        and outer.end >= inner.end
        and outer.end - outer.start > inner.end - inner.start
    )


def _ends_phrase(run: list[_Token], end: int) -> bool:
    """The word at `end` is the head of its noun phrase, not a modifier of the next noun
    ("reinforcement" in "the reinforcement process")."""
    if end + 1 == len(run):
        return True
    following = run[end + 1]
    return not (following.name or _nounish(following.low))


def _canonical(surfaces: Counter[tuple[str, bool]]) -> str:
    """The commonest spelling inside sentences. A term only ever seen opening one loses its
    capital, unless its first word is an acronym or camel-case name (LangChain)."""
    inside = [(count, s) for (s, initial), count in surfaces.items() if not initial]
    if inside:
        return max(inside)[1]
    text = max((count, s) for (s, _), count in surfaces.items())[1]
    first = text.split()[0]
    if _name_like(first, True):
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


# --- the bank -------------------------------------------------------------------------


class QuestionBank:
    """Offline questions on the material: build once per corpus, then ask for questions.

    `embed` (texts -> unit vectors, e.g. `Embedder.embed`) enables the synonym filter and
    ranks distractors by plausibility; without it distractors are ranked by topic and
    score only.
    """

    def __init__(
        self,
        terms: KeyTerms,
        topics: TopicMap | None,
        materials: Iterable[Material],
        embed: Embed | None = None,
    ) -> None:
        self.terms = terms
        self.topics = topics
        self.materials = {m.chunk_id: m for m in materials}
        self.slots: Mapping[str, list[Slot]] = _LazySlots(self)
        """Per chunk id (in sorted order), what can be asked on it, best first."""
        self._by_topic: dict[str, list[Slot]] | None = None
        self._topic_matches: dict[str, list[str]] = {}
        self.embed: Embed | None = None
        if embed is not None:
            vocabulary = sorted({k for keys in terms.by_kind.values() for k in keys})
            self.embed = CachedEmbed(embed, size=len(vocabulary) + 4096)
            # One batch for every possible distractor: a call into the model has a fixed
            # cost that dwarfs a few short texts, so embedding per question is slower.
            self.embed([terms.terms[k].text for k in vocabulary])

    @classmethod
    def build(
        cls,
        records: Iterable[ChunkRecord | Material],
        topics: TopicMap | None,
        embed: Embed | None = None,
    ) -> QuestionBank:
        """The bank for a corpus, e.g. `catalog.records(catalog.chunk_ids()).values()`."""
        materials = [r if isinstance(r, Material) else Material.of(r) for r in records]
        materials.sort(key=lambda m: m.chunk_id)
        return cls(KeyTerms.build(materials, topics), topics, materials, embed)

    @classmethod
    def from_catalog(
        cls, catalog: Catalog, topics: TopicMap | None, embed: Embed | None = None
    ) -> QuestionBank:
        """The bank for everything indexed in the catalog."""
        return cls.build(catalog.records(catalog.chunk_ids()).values(), topics, embed)

    # --- what can be asked ------------------------------------------------------------

    def by_topic(self) -> dict[str, list[Slot]]:
        """Every slot of the corpus by the topic its question is about."""
        if self._by_topic is None:
            self._by_topic = defaultdict(list)
            for chunk_id in sorted(self.materials):
                for slot in self.slots[chunk_id]:
                    self._by_topic[slot.topic].append(slot)
        return self._by_topic

    def _slots_of(self, material: Material) -> list[Slot]:
        """The (sentence, key term) pairs of a passage that make a sensible cloze, best
        first (names and phrases before words), at most `KEYS_PER_SENTENCE` per sentence."""
        scores = self.terms.chunk_scores.get(material.chunk_id)
        if scores is None:  # a passage the bank was not built from: score by idf alone
            scores = {k: t.score for k, t in self.terms.terms.items()}
        slots: list[Slot] = []
        for raw in split_sentences(material.text):
            sentence = _readable(raw)
            if sentence is None:
                continue
            keys = self._keys_in(sentence, scores)
            taken = 0
            for key, surface in keys:
                slot = self._slot(material, sentence, key, surface, scores[key])
                if slot is not None:
                    slots.append(slot)
                    taken += 1
                    if taken == KEYS_PER_SENTENCE:
                        break
        # Names and phrases first: "_____ manages the lifecycle of models" asks about the
        # material; a plain word of its prose ("the _____ of deploying AI") is easier to
        # confuse with another. Stable: sentence order breaks ties.
        slots.sort(key=lambda s: (self.terms.terms[s.key].kind == "word", -s.score))
        return slots

    def _keys_in(self, sentence: str, scores: dict[str, float]) -> list[tuple[str, str]]:
        """Key terms of the sentence, best first; at each place the longest term wins, so
        "support vector machines" is blanked whole, never as "support vector _____"."""
        chosen: list[_Occurrence] = []
        used: set[tuple[int, int]] = set()
        runs = _runs(sentence)
        occurrences = [
            o for o in _candidates(runs) if o.key in scores and _ends_phrase(runs[o.run], o.end)
        ]
        for occ in sorted(occurrences, key=lambda o: (-(o.end - o.start), -scores[o.key])):
            span = {(occ.run, i) for i in range(occ.start, occ.end + 1)}
            if span & used:
                continue
            used |= span
            chosen.append(occ)
        inside_longer = {o.key for o in chosen for p in chosen if o.key != p.key and o.key in p.key}
        # A lone noun right after another noun is the tail of a compound ("memory
        # _____"): blanking it tests nothing.
        tails = {
            o.key
            for o in chosen
            if " " not in o.key
            and o.start > 0
            and (runs[o.run][o.start - 1].name or _nounish(runs[o.run][o.start - 1].low))
        }
        ranked = sorted(
            (o for o in chosen if o.key not in inside_longer | tails),
            key=lambda o: -scores[o.key],
        )
        first: dict[str, str] = {}
        for o in ranked:
            first.setdefault(o.key, o.surface)
        return list(first.items())

    def _slot(
        self, material: Material, sentence: str, key: str, surface: str, score: float
    ) -> Slot | None:
        topic = self._topic_for(key, material)
        if topic is None:
            return None
        check = build_check(
            sentence,
            topic=topic,
            source=material.citation,
            chunk_id=material.chunk_id,
            keywords=[surface],
        )
        # build_check owns the rules of a readable cloze; it must also blank our term.
        if check is None or check.answer.lower() != key:
            return None
        if len(check.prompt.replace(BLANK, " ").split()) < MIN_STEM_WORDS:
            return None
        if re.search(rf"-{BLANK}|{BLANK}-", check.prompt):
            return None  # part of a hyphenated word ("_____-based")
        return Slot(material, sentence, key, check.answer, check.prompt, score, topic)

    def _topic_for(self, key: str, material: Material) -> str | None:
        """The passage's topic whose keywords name the term; else, for a specific term (a
        name or a phrase: MLflow, reinforcement learning), any topic whose keywords name it;
        else the passage's first topic. A lone word ("agents") is too loose to move a
        question away from what its passage is about."""
        if self.topics is not None:
            naming = self._naming(key)
            own = [t for t in material.topics if t in naming]
            if own:
                return own[0]
            if naming and self.terms.terms[key].kind != "word":
                return naming[0]
        return material.topics[0] if material.topics else None

    def _naming(self, key: str) -> list[str]:
        """The topics whose keywords name the term ("data lakes" is named by "data lake")."""
        if key not in self._topic_matches:
            forms = {key, " ".join([*key.split()[:-1], _head(key)])}
            self._topic_matches[key] = [
                t.id
                for t in (self.topics.topics if self.topics else ())
                if any(t.matches_heading(f) for f in forms)
            ]
        return self._topic_matches[key]

    def _chunks_about(self, topic: str) -> list[str]:
        """The chunks that may hold questions on the topic: those tagged with it, and those
        using a name or phrase its keywords name. Saves working out every chunk's slots."""
        naming = {
            k for k, t in self.terms.terms.items() if t.kind != "word" and topic in self._naming(k)
        }
        scores = self.terms.chunk_scores
        return [
            c
            for c in sorted(self.materials)
            if topic in self.materials[c].topics or not naming.isdisjoint(scores[c])
        ]

    # --- questions --------------------------------------------------------------------

    def questions_for(
        self,
        chunk: ChunkRecord | Material | str,
        kind: Requested,
        rng: Random,
        exclude: Collection[str] = (),
    ) -> list[Question]:
        """Every question of this kind the passage offers (best first), minus `exclude`d
        ids. "short" is a model's job; offline it falls back to cloze. "mixed" picks a kind
        per sentence at random."""
        return list(self._iter(self._material(chunk), kind, rng, exclude))

    def make(
        self,
        chunk: ChunkRecord | Material | str,
        kind: Requested,
        rng: Random,
        exclude: Collection[str] = (),
    ) -> Question | None:
        """The passage's best question of this kind not in `exclude`, or None."""
        return next(self._iter(self._material(chunk), kind, rng, exclude), None)

    def for_topic(
        self, topic: str, kind: Requested, rng: Random, exclude: Collection[str] = ()
    ) -> Question | None:
        """A question on the topic from any passage, or None: chosen at random among the
        names and phrases first, then among plain words."""
        if self._by_topic is not None:
            slots = list(self._by_topic.get(topic, []))
        else:
            chunks = self._chunks_about(topic)
            slots = [s for c in chunks for s in self.slots[c] if s.topic == topic]
        words = [s for s in slots if self.terms.terms[s.key].kind == "word"]
        terms = [s for s in slots if self.terms.terms[s.key].kind != "word"]
        rng.shuffle(terms)
        rng.shuffle(words)
        for slot in terms + words:
            question = self._question(slot, kind, rng)
            if question is not None and question.id not in exclude:
                return question
        return None

    def topic_counts(self) -> dict[str, int]:
        """How many sentence-and-term slots (each at least a cloze) each topic has."""
        return {topic: len(slots) for topic, slots in sorted(self.by_topic().items())}

    def _material(self, chunk: ChunkRecord | Material | str) -> Material:
        if isinstance(chunk, str):
            return self.materials[chunk]
        return chunk if isinstance(chunk, Material) else Material.of(chunk)

    def _iter(
        self, material: Material, kind: Requested, rng: Random, exclude: Collection[str]
    ) -> Iterator[Question]:
        if self.materials.get(material.chunk_id) == material:
            slots = self.slots[material.chunk_id]
        else:  # a passage the bank was not built from
            slots = self._slots_of(material)
        seen = set(exclude)
        for slot in slots:
            question = self._question(slot, kind, rng)
            if question is not None and question.id not in seen:
                seen.add(question.id)  # two blanks of one sentence state it the same way
                yield question

    def _question(self, slot: Slot, kind: Requested, rng: Random) -> Question | None:
        if kind == "mixed":
            kind = rng.choice(["mc", "tf", "cloze"])
            return self._question(slot, kind, rng) or self._question(slot, "cloze", rng)
        if kind == "mc":
            return self._multiple_choice(slot, rng)
        if kind == "tf":
            return self._true_false(slot, rng)
        return self._cloze(slot)  # cloze, and short offline

    def _base(self, slot: Slot) -> dict:
        return {
            "explanation": f'The material says: "{slot.sentence}"',
            "topic": slot.topic,
            "chunk_id": slot.material.chunk_id,
            "source": slot.material.citation,
            "origin": "offline",
        }

    def _cloze(self, slot: Slot) -> Question:
        return Question(kind="cloze", prompt=slot.prompt, answer=slot.surface, **self._base(slot))

    def _multiple_choice(self, slot: Slot, rng: Random) -> Question | None:
        distractors = self.distractors(slot, OPTIONS - 1, rng)
        if len(distractors) < OPTIONS - 1:
            return None
        key = self.terms.terms[slot.key].text
        options = [key, *distractors]
        rng.shuffle(options)
        prompt = f"{slot.prompt}\nWhich term fills the blank?"
        return Question(kind="mc", prompt=prompt, options=options, answer=key, **self._base(slot))

    def _true_false(self, slot: Slot, rng: Random) -> Question | None:
        """The sentence as written (true) or with its key term swapped for a distractor
        (false), with even odds. Only on names and phrases: swapping a plain word of the
        material's prose ("success" for "ability") makes statements no one can call false.
        Nor on an item of a list ("combine prompt engineering, retrieval augmentation and
        governance"): another item there may well be true too. A slot that cannot be made
        false is not asked at all, so "True" is never the giveaway."""
        if self.terms.terms[slot.key].kind == "word" or _in_list(slot.prompt):
            return None
        # The false term comes from another topic: one of the same family ("support vector
        # machines" for "regression models" in "supervised learning manifests in ...") may
        # make a statement that is true after all.
        swap = self.distractors(slot, 1, rng, other_topics=True)
        if not swap:
            return None  # it could never be false: asking it would favour "True"
        statement, answer = slot.sentence, "True"
        base = self._base(slot)
        if rng.random() < 0.5:
            statement = _swap(slot.sentence, slot.surface, swap[0])
            answer = "False"
            base["explanation"] = (
                f'The material says "{self.terms.terms[slot.key].text}", not '
                f'"{swap[0]}": "{slot.sentence}"'
            )
        return Question(
            kind="tf",
            prompt=f"True or false? {statement}",
            options=list(TRUE_FALSE),
            answer=answer,
            **base,
        )

    # --- distractors ------------------------------------------------------------------

    def distractors(
        self, slot: Slot, count: int, rng: Random, *, other_topics: bool = False
    ) -> list[str]:
        """Up to `count` terms that could fill the slot's blank but are wrong there; with
        `other_topics`, only terms never used in a passage on the slot's topic."""
        key = self.terms.terms[slot.key]
        passage = slot.material.text.lower()
        pool = self._pool(key, slot.topic, passage)
        # "clustering, _____, and association rule mining" does not take "k-means
        # clustering", nor "deep learning's power lies in _____" "deep learning pipelines":
        # an option repeating the stem's noun or two of its words reads as an echo.
        words = re.findall(r"[\w-]+", slot.prompt.lower())
        heads = {_head(w) for w in words}
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
        determined = previous in _DETERMINERS
        agreeing = [
            t
            for t in pool
            if t.plural == key.plural
            and (previous not in ("a", "an") or _article(t.text) == previous)
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
            if all(_distinct(term, other) for other in chosen) and not self._synonyms(term, chosen):
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
                if _whole(candidate_key).search(passage):
                    continue  # in the question's own passage: it may well be right there
                pool[candidate_key] = candidate
        return list(pool.values())

    def _similarities(self, key: Term, pool: list[Term]) -> np.ndarray | None:
        if self.embed is None:
            return None
        vectors = self.embed([key.text] + [t.text for t in pool])
        return vectors[1:] @ vectors[0]

    def _synonyms(self, term: Term, chosen: list[Term]) -> bool:
        """Two distractors that mean the same would both be wrong for the same reason."""
        if self.embed is None or not chosen:
            return False
        vectors = self.embed([term.text] + [t.text for t in chosen])
        return bool(np.any(vectors[1:] @ vectors[0] >= SYNONYM_COSINE))


class _LazySlots(Mapping[str, list[Slot]]):
    """A chunk's slots, worked out when first looked up: building the bank then costs one
    pass over the text, and a quiz on one topic never reads the rest."""

    def __init__(self, bank: QuestionBank) -> None:
        self._bank = bank
        self._found: dict[str, list[Slot]] = {}

    def __getitem__(self, chunk_id: str) -> list[Slot]:
        if chunk_id not in self._found:
            self._found[chunk_id] = self._bank._slots_of(self._bank.materials[chunk_id])
        return self._found[chunk_id]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._bank.materials))

    def __len__(self) -> int:
        return len(self._bank.materials)


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
    return {_head(w) for w in re.split(r"[\s-]+", key) if w not in STOPWORDS}


def _in_list(prompt: str) -> bool:
    """The blank is an item of an enumeration: "A, _____, and C", "_____ and B"."""
    before, _, after = prompt.partition(BLANK)
    return bool(re.search(r"(,|\band|\bor)\s*$", before) or re.match(r"\s*(,|and\b|or\b)", after))


def _swap(sentence: str, surface: str, replacement: str) -> str:
    """The sentence with the term replaced; capitalised if it opens the sentence."""

    def repl(match: re.Match[str]) -> str:
        if match.start() == 0 and replacement[:1].islower():
            return replacement[:1].upper() + replacement[1:]
        return replacement

    return _whole(surface).sub(repl, sentence)
