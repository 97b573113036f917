"""Short-answer questions without a model: a question, not a blank, keyed in the material's
words.

- From a fact, the term it is about: "_____ manages the lifecycle of models with
  transparency." becomes "Which tool manages the lifecycle of models with transparency?",
  a definition "The lakehouse model is a hybrid architecture ..." becomes "What is a hybrid
  architecture ... called?", and "In prompt chaining, outputs become the seeds of new
  inputs." becomes "What is the technique called in which outputs become the seeds of new
  inputs?".
- From an acronym the material spells out or uses beside its expansion: "What does the
  acronym RLHF stand for?", keyed with the expansion.

Answers are graded on meaning (`tutor.quiz.grading.grade(..., kind="short")`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from tutor.corpus.sentences import split_sentences
from tutor.quiz.categories import CATEGORY_NOUNS, Category, acronym_core
from tutor.quiz.cloze import BLANK
from tutor.quiz.questions import Question
from tutor.quiz.slots import Slot
from tutor.quiz.terms import KeyTerms, Material
from tutor.quiz.wording import is_plural, whole_word

_BLANK_SUBJECT = re.compile(rf"(?:\b[Tt]he\s+)?{re.escape(BLANK)}")


def short_prompt(slot: Slot, category: Category | None) -> str | None:
    """The question a fact answers with its subject, or None if it reads badly."""
    fact = slot.fact
    if fact is None:
        return None
    noun = CATEGORY_NOUNS.get(category or "", "term")
    plural = is_plural(slot.surface)
    if not fact.verb:  # "In X, <clause>."
        return f"What is the {noun} called in which {fact.predicate}?"
    if fact.verb in ("is", "are") and re.match(r"(?:a|an)\s", fact.predicate):
        return f"What is {fact.predicate} called?"
    if category is None:
        return None  # "Which terms are used to ...?" asks the learner to guess the sort too
    which = f"which {noun}{'s' if plural and not noun.endswith('s') else ''}"
    if not _BLANK_SUBJECT.search(slot.prompt):
        return None
    question = _BLANK_SUBJECT.sub(which, slot.prompt, count=1).rstrip(".")
    return question[:1].upper() + question[1:] + "?"


_OBJECT_END = re.compile(
    r",|;|\s(?:with|in|within|across|when|where|while|through|into|for|by|to|from|without|"
    r"that|which|so|as|under|on|at)\s"
)
_PREPOSITIONS = frozenset({"with", "in", "within", "across", "into", "for", "from", "under"})
_CAUSATIVES = frozenset({"allow", "enable", "help", "teach", "let", "empower", "give", "ask"})


def forward_question(slot: Slot) -> tuple[str, str] | None:
    """ "What does MLflow manage?" keyed "the lifecycle of models", from "MLflow manages
    the lifecycle of models with transparency": (question, key), or None when the verb
    takes no plain object, the object is one item of a list, or it would be vague."""
    fact = slot.fact
    if fact is None or not fact.verb:
        return None
    verbs = fact.verb.split()
    main = verbs[-1].lower()
    if main in _NOT_ASKABLE or any(v.lower() in _PASSIVE for v in verbs):
        return None
    if re.match(r"(?:in|into|on|at|with|for|by|from|to|through|as)\s", fact.predicate):
        return None  # "manifests in regression models": no object to ask for
    end = _OBJECT_END.search(fact.predicate)
    obj = fact.predicate[: end.start()] if end else fact.predicate
    rest = fact.predicate[end.end() :] if end else ""
    words = obj.split()
    if not 1 <= len(words) <= 6 or (end and end.group(0) == "," and not _verb_next(rest)):
        return None  # nothing, a clause, or one item of a list
    if main.rstrip("s") in _CAUSATIVES or main in _CAUSATIVES:
        return None  # "allows candidates to ...": the object is not the point
    subject = fact.surface
    plural = is_plural(subject)
    lead = fact.statement[: fact.statement.find(subject)] if subject in fact.statement else ""
    if subject[:1].isupper() and subject[1:] == subject[1:].lower() and " " in subject:
        subject = subject[:1].lower() + subject[1:]  # "Linear regression" opened a sentence
    if len(verbs) > 1:  # "can optimize" -> "What can X optimize?"
        question = f"What {verbs[0].lower()} {subject} {' '.join(verbs[1:])}?"
    else:
        question = f"What {'do' if plural else 'does'} {subject} {_base(main)}?"
    tail = fact.predicate[end.start() :].strip() if end else ""
    if end and end.group(0).strip() in _PREPOSITIONS and len(tail.split()) <= 8:
        question = question[:-1] + f" {tail}?"  # "What does X integrate into workflows?"
    if lead.strip():
        question = lead.strip().rstrip(",") + ", " + question[:1].lower() + question[1:]
    return question[:1].upper() + question[1:], obj.strip()


_PASSIVE = frozenset({"not", "be", "been", "being", "is", "are", "was", "were"})
_NOT_ASKABLE = frozenset({"is", "are", "becomes", "become", "remains", "remain", "has",
                          "have", "represents", "represent", "functions", "function",
                          "thrive", "thrives", "operate", "operates", "works", "work",
                          "learns", "learn"})  # fmt: skip


def _verb_next(text: str) -> bool:
    """The list after a comma goes on with verbs ("tracks lineage, secures access"), so
    the first object stands alone."""
    from tutor.quiz.wording import VERBS

    first = text.strip().split()[:1]
    return bool(first) and first[0].lower() in VERBS | {"secures", "ensures", "tracks"}


def _base(verb: str) -> str:
    """The base form of a third-person verb: manages -> manage, carries -> carry."""
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if re.search(r"(?:ss|sh|ch|x|zz)es$", verb):
        return verb[:-2]
    if verb.endswith("s") and not verb.endswith("ss"):
        return verb[:-1]
    return verb


def acronym_questions(
    material: Material,
    aliases: Mapping[str, str],
    topic_of: Callable[[str, Material], str | None],
    terms: KeyTerms,
) -> Iterator[tuple[Question, bool]]:
    """ "What does the acronym X stand for?" for each acronym the passage uses whose expansion
    the material gives, asked from the first sentence naming both (else the acronym's
    first); with whether the passage spells it out."""
    sentences = [" ".join(s.split()) for s in split_sentences(material.text)]
    asked: set[str] = set()
    for acronym, expansion in sorted(aliases.items()):
        written = _written(acronym, sentences)
        if written is None or acronym_core(written) is None or expansion in asked:
            continue
        both = [
            s
            for s in sentences
            if whole_word(written).search(s) and whole_word(expansion).search(s)
        ]
        source = (both or [s for s in sentences if whole_word(written).search(s)])[0]
        # The topic that names it (as written, spelled out, or the acronym), else the
        # passage's own.
        named = [
            topic_of(k, material) for k in (written.lower(), expansion, acronym) if k in terms.terms
        ]
        topic = next((t for t in named if t), None)
        topic = topic or (material.topics[0] if material.topics else None)
        if topic is None:
            continue
        asked.add(expansion)
        question = Question(
            kind="short",
            prompt=f"What does the acronym {written} stand for?",
            answer=expansion,
            explanation=f'{written} stands for {expansion}. The material says: "{source}"',
            topic=topic,
            chunk_id=material.chunk_id,
            source=material.citation,
            origin="offline",
            sentence=source,
        )
        yield question, bool(both)


def _written(acronym: str, sentences: list[str]) -> str | None:
    """The acronym as the passage writes it ("GANs"), or None if it does not."""
    for sentence in sentences:
        match = whole_word(acronym).search(sentence)
        if match and acronym_core(match.group(0)):
            return match.group(0)
    return None
