"""What a turn's text mentions: the topics a message names and the passages an answer
cites. Pure functions of text and the topic map."""

from __future__ import annotations

import re

from graphs.chat.state import PassageRef
from tutor.corpus.topics import Topic, TopicMap

MAX_TURN_TOPICS = 2
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def tidy_citations(text: str, passages: int) -> tuple[str, list[int]]:
    """`[1, 2]` becomes `[1][2]`, numbers with no passage behind them are removed, and the
    cited numbers are returned in order of first use."""
    cited: list[int] = []

    def fix(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= passages]
        cited.extend(n for n in valid if n not in cited)
        return "".join(f"[{n}]" for n in valid)

    return _CITATION.sub(fix, text), cited


def named_topics(text: str, topics: TopicMap | None) -> list[Topic]:
    """The topics a message names, by id, title or keyword, strongest match first."""
    if topics is None:
        return []
    lowered = text.lower()
    scored = []
    for topic in topics.topics:
        score = 3 * (topic.id in lowered) + 2 * (topic.title.lower() in lowered)
        score += sum(
            1 for k in topic.keywords if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", lowered)
        )
        if score:
            scored.append((-score, topic.id, topic))
    return [topic for *_, topic in sorted(scored)]


def find_topic(text: str, topics: TopicMap | None) -> Topic | None:
    """The topic a message names ("quiz me on RAG"), if any."""
    named = named_topics(text, topics)
    return named[0] if named else None


def turn_topics(query: str, passages: list[PassageRef], topics: TopicMap | None) -> list[str]:
    """What a question was about: the topics it names (at most two); else the topic the
    top passages agree on, each passage's vote weighted by its rank."""
    named = [t.id for t in named_topics(query, topics)][:MAX_TURN_TOPICS]
    if named:
        return named
    votes: dict[str, float] = {}
    for passage in passages[:3]:
        for topic in passage["topics"]:
            votes[topic] = votes.get(topic, 0.0) + 1.0 / passage["n"]
    ranked = sorted(votes, key=lambda t: (-votes[t], t))
    return ranked[:1]
