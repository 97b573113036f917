"""Deciding what kind of turn the learner's message is: pure functions, no I/O.

The chat graph branches on these, so they are kept deterministic and cheap: a rule that
misfires is a test case, not a prompt to tune. Whether a question falls outside the
material is decided after retrieval (nothing relevant found), not here.
"""

from __future__ import annotations

import re
from typing import Literal

from tutor.quiz.cloze import is_give_up, is_pass

Route = Literal["question", "follow_up", "quiz", "small_talk", "check_answer"]
SmallTalk = Literal["greeting", "thanks", "farewell", "help", "empty"]

_WORD = re.compile(r"[\w'\u2019-]+")

_GREETINGS = re.compile(
    r"^(hi|hello|hey|hiya|yo|howdy|good (morning|afternoon|evening)|greetings)\b"
    r"(\s+(there|tutor|again))?[\s!.,]*$"
    r"|^how are you( doing)?[\s?!.]*$"
)
_THANKS = re.compile(
    r"^((thanks|thank you|thx|ty|cheers)( (a lot|so much|very much))?|great|perfect|"
    r"got it|ok(ay)?|cool|nice|understood|makes sense)[\s!.,]*(thanks|thank you)?[\s!.]*$"
)
_FAREWELL = re.compile(r"^(bye|goodbye|see you|see ya|good night|quit|exit)\b[\s!.]*$")
_HELP = re.compile(
    r"^(help|\?|what can you do|who are you|what are you|how does this work|"
    r"how do i use (this|you))[\s?!.]*$"
)
_QUIZ = re.compile(
    r"\b(quiz|test|check|examine|drill) me\b|\bask me (a|some|another|one more)? ?"
    r"(question|questions)\b|\b(give|another) me (a |another )?(question|quiz)\b"
    r"|^(another|next) (one|question)[\s?!.]*$|^quiz( me)?\b"
)
# A follow-up leans on the conversation: it opens with a connective, or points back
# with a pronoun, or is too short to stand on its own.
_CONNECTIVE = re.compile(
    r"^(and|but|so|also|then|or|what about|how about|how come|"
    r"what else|anything else|in what way|such as|like what|meaning)\b"
)
_POINTING = re.compile(r"\b(it|its|it's|that|this|these|those|they|them|their|he|she)\b")
_ELABORATE = re.compile(
    r"^(more|go on|continue|elaborate|explain( that| it)?( more| further| again)?|"
    r"example|an example|give me an example|for example|e\.g\.?|tell me more|"
    r"say more|simpler|in simpler terms|eli5|why|how|really|summari[sz]e( it| that)?)[\s?!.]*$"
)
_QUESTION_START = re.compile(
    r"^(what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|"
    r"could|should|would|will|explain|describe|define|compare|tell me|list|give me|"
    r"summari[sz]e|walk me)\b"
)

MAX_CHECK_REPLY_WORDS = 12
"""A reply to a check longer than this, or phrased as a question, is a new question."""
MAX_FOLLOW_UP_WORDS = 14
"""Pronouns in a longer message are usually its own subject, not a pointer back."""


def normalise(text: str) -> str:
    """Lower-case, single-spaced, without surrounding punctuation noise."""
    return " ".join(text.lower().replace("\u2019", "'").split()).strip()


def small_talk_kind(text: str) -> SmallTalk | None:
    """Which canned reply a message wants, or None when it is about the material."""
    lowered = normalise(text)
    if not lowered:
        return "empty"
    for kind, pattern in (
        ("greeting", _GREETINGS),
        ("thanks", _THANKS),
        ("farewell", _FAREWELL),
        ("help", _HELP),
    ):
        if pattern.search(lowered):
            return kind  # type: ignore[return-value]
    return None


def is_quiz_request(text: str) -> bool:
    return bool(_QUIZ.search(normalise(text)))


def looks_like_question(text: str) -> bool:
    lowered = normalise(text)
    return lowered.endswith("?") or bool(_QUESTION_START.match(lowered))


def is_follow_up(text: str) -> bool:
    """True when the message only makes sense with the conversation before it."""
    lowered = normalise(text)
    words = _WORD.findall(lowered)
    if not words:
        return False
    if _ELABORATE.match(lowered) or _CONNECTIVE.match(lowered):
        return True
    return len(words) <= MAX_FOLLOW_UP_WORDS and bool(_POINTING.search(lowered))


def classify_turn(text: str, *, has_history: bool, check_pending: bool) -> Route:
    """The route for one learner message.

    Order matters: a pending check claims short non-question replies (including "skip" and
    "I don't know"), small talk and quiz requests are recognised before anything is looked
    up, and only a conversation with history can have follow-ups.
    """
    if check_pending and is_check_reply(text):
        return "check_answer"
    if small_talk_kind(text) is not None:
        return "small_talk"
    if is_quiz_request(text):
        return "quiz"
    if has_history and is_follow_up(text):
        return "follow_up"
    return "question"


def is_check_reply(text: str) -> bool:
    """Whether a message answers the pending check rather than starting something new."""
    lowered = normalise(text)
    if not lowered:
        return False
    if is_pass(lowered) or is_give_up(lowered):
        return True
    if small_talk_kind(lowered) is not None or is_quiz_request(lowered):
        return False
    words = _WORD.findall(lowered)
    return len(words) <= MAX_CHECK_REPLY_WORDS and not looks_like_question(lowered)


def standalone_query(text: str, previous_queries: list[str]) -> str:
    """A follow-up made searchable without a model: the last standalone query it leans on,
    then the follow-up itself (hybrid search weighs both sets of words)."""
    if not previous_queries:
        return text.strip()
    return f"{previous_queries[-1].strip()} {text.strip()}"
