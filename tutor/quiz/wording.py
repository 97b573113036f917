"""Word lists and cheap grammar rules: which words are verbs, nouns, names or plurals.

No tagger: a closed verb list, suffix rules and a word's neighbours (a determiner after it,
a modal or "to" before it, a plural subject before a bare word) are enough to cut the
material's sentences into runs of content words, and to make a distractor agree with its
blank in number and article.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tutor.text import STOPWORDS

# --- word lists -----------------------------------------------------------------------


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
FUNCTION_WORDS = _FUNCTION
"""Stopwords, prepositions, quantifiers and connectives: no content of their own."""
DETERMINERS = frozenset(
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
VERBS = _VERBS
"""Verbs that are rarely nouns, in every form (a term's predicate starts with one)."""


def verb_forms(bases: str) -> frozenset[str]:
    """Every form of these base verbs (whitespace-separated)."""
    return frozenset(f for base in bases.split() for f in _inflections(base))


# Vague qualifiers: never the first word of a term, never its last.
VAGUE = _wordset(
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
_ADJECTIVES = VAGUE | _wordset(
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
META = frozenset(
    {"databricks", "exam", "exams", "certification", "certifications", "certified",
     "candidate", "candidates", "associate", "guide", "credential", "credentials"}
)  # fmt: skip
# Nouns so general that blanking them tests nothing.
GENERIC = _wordset(
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


# --- words ----------------------------------------------------------------------------


def name_like(token: str, initial: bool) -> bool:
    """An acronym or product-style token (RLHF, MLflow, GANs, LangChain), or a capitalised
    word inside a sentence (Unity, Catalog)."""
    rest = token[1:]
    if rest != rest.lower() or (token.isupper() and len(token) >= 2):
        return True
    return token[0].isupper() and not initial


@functools.lru_cache(maxsize=1 << 16)
def nounish(word: str) -> bool:
    """Could this (lowercased) word end a noun phrase? Cheap suffix rules, no tagger."""
    if word in _NOUN_EXCEPTIONS:
        return True
    if word in _ADJECTIVES or word in _VERBS or word in GENERIC:
        return False
    return not _NOT_A_NOUN.search(word)


def head_noun(key: str) -> str:
    """The last word, de-pluralised crudely: distractors sharing it give the answer away."""
    word = key.split()[-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def is_plural(text: str) -> bool:
    """Does the text end in a plural (models, GANs; not bias, analytics)?"""
    word = text.split()[-1]
    if word.lower() in _PLURAL_EXCEPTIONS:
        return False
    if re.fullmatch(r"[A-Z]{2,}s", word):  # GANs, LLMs
        return True
    return word.endswith("s") and not word.lower().endswith(("ss", "us", "is"))


def indefinite_article(text: str) -> str:
    """The indefinite article the text takes ("an RLHF", "a model"), by its first sound."""
    first = text.split()[0]
    if re.fullmatch(r"[A-Z]{2,}s?", first):
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[0].lower() in "aeiou" else "a"


def whole_word(term: str) -> re.Pattern[str]:
    """The term as a whole word or words, in any case."""
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


# --- sentences ------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A word of a sentence, with what its neighbours and capitals say about it."""

    text: str
    low: str
    initial: bool
    """It opens the sentence, so a capital letter says nothing about it."""
    name: bool
    prev: str
    """The token before it, lowercased ("" at the start)."""


_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]?$")
_ENDS_STATEMENT = re.compile(r"\.[\"')\]]?$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z][\w-]*")


def title_like(sentence: str) -> bool:
    """A heading or key-value line ("Exam Title: ..."): capitals there mark no names."""
    if _ENDS_SENTENCE.search(sentence):
        return False
    words = [w for w in _WORD.findall(sentence) if w.lower() not in STOPWORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def content_runs(sentence: str) -> list[list[Token]]:
    """Runs of content words: stopwords, punctuation, numbers, verbs and adverbs end one."""
    tokens = _TOKEN.findall(sentence)
    lowered = [t.lower() for t in tokens]
    opening = 0
    while opening < len(tokens) and not tokens[opening][0].isalnum():
        opening += 1  # a list marker or quote before the first word
    runs: list[list[Token]] = []
    current: list[Token] = []
    for i, token in enumerate(tokens):
        low = lowered[i]
        is_word = token[0].isalpha() and len(token) >= 2 and low not in _FUNCTION
        name = is_word and name_like(token, i == opening)
        verb = (
            is_word
            and not name
            and (
                low in _VERBS
                or (low.endswith("ly") and low not in _NOUN_EXCEPTIONS)
                # "harnessing these algorithms", "forms the baseline"
                or (i + 1 < len(tokens) and lowered[i + 1] in DETERMINERS)
                # "to craft", "can generate", "they demand"
                or (i > 0 and lowered[i - 1] in _VERB_CUES and not low.endswith("ing"))
                # a plural subject, then a bare word with an object: "trees bring clarity"
                or (
                    bool(current)
                    and is_plural(current[-1].low)
                    and not current[-1].name
                    and not is_plural(low)
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
        current.append(Token(token, low, i == opening, name, lowered[i - 1] if i else ""))
    if current:
        runs.append(current)
    return runs


def readable(sentence: str) -> str | None:
    """The sentence without a list marker, if it is a plain statement (ends with a full
    stop: questions and key-value lines make poor stems)."""
    sentence = _LIST_MARKER.sub("", " ".join(sentence.split()))
    return sentence if _ENDS_STATEMENT.search(sentence) else None


def ends_phrase(run: list[Token], end: int) -> bool:
    """The word at `end` is the head of its noun phrase, not a modifier of the next noun
    ("reinforcement" in "the reinforcement process")."""
    if end + 1 == len(run):
        return True
    following = run[end + 1]
    return not (following.name or nounish(following.low))
