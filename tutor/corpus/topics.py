"""The exam's topic map (`topics.toml`) and the tagging of chunks with topic ids."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.errors import TutorError

MAX_TOPICS_PER_CHUNK = 3
SIMILARITY_MARGIN = 0.04
"""Besides the best-matching topic, others within this cosine margin of it are kept."""
MIN_SIMILARITY = 0.25
"""Below this a second topic is noise."""
CLEAR_LEAD = 0.08
"""The closest topic this far ahead of the next needs no keyword in the text."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    description: str
    keywords: tuple[str, ...] = ()

    def matches_heading(self, heading: str) -> bool:
        """Whole-word match, so "supervised" does not fire inside "unsupervised"."""
        lowered = heading.lower()
        return any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", lowered) for k in self.keywords)

    def mentions(self, text: str) -> int:
        """How often its keywords occur in `text` (whole words, any case)."""
        lowered = text.lower()
        return sum(len(re.findall(rf"(?<!\w){re.escape(k)}(?!\w)", lowered)) for k in self.keywords)


@dataclass(frozen=True)
class TopicMap:
    topics: tuple[Topic, ...]
    digest: str
    """Changes whenever the file does, so stale tags are noticed."""

    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


def load_topics(path: Path) -> TopicMap:
    """Read and check a topic map; a clear one-line error if it is missing or malformed."""
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise TutorError(f"topic map not found: {path} (set TUTOR_TOPICS_FILE)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TutorError(f"topic map {path} is not valid TOML: {error}") from None
    entries = data.get("topic")
    if not isinstance(entries, list) or not entries:
        raise TutorError(f"topic map {path} has no [[topic]] entries")
    topics: list[Topic] = []
    for number, entry in enumerate(entries, start=1):
        missing = [k for k in ("id", "title", "description") if not isinstance(entry.get(k), str)]
        if missing:
            raise TutorError(f"topic #{number} in {path} lacks {', '.join(missing)}")
        keywords = entry.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise TutorError(f"topic '{entry['id']}' in {path}: keywords must be a list of strings")
        topics.append(
            Topic(
                entry["id"],
                entry["title"],
                entry["description"].strip(),
                tuple(k.lower() for k in keywords),
            )
        )
    ids = [t.id for t in topics]
    if len(set(ids)) != len(ids):
        raise TutorError(f"topic map {path} repeats a topic id")
    return TopicMap(tuple(topics), hashlib.sha256(raw).hexdigest())


class TopicTagger:
    """Tags a chunk with up to `MAX_TOPICS_PER_CHUNK` topics, from its section heading and
    from how close its vector is to each topic's description, checked against its text.

    - A topic named by the chunk's most specific topic-naming heading is kept.
    - A topic found by similarity alone (the closest, and others within
      `SIMILARITY_MARGIN` of it) needs evidence in the text: its keywords occur there,
      at least half as often as those of the best-evidenced topic in the running (so a
      passage on support vector machines that mentions "a lakehouse environment" once is
      not a lakehouse passage); or it is the closest topic by `CLEAR_LEAD` or more.
    - A chunk left with nothing keeps its closest topic.

    Calibrated on the bundled guide (`tests/corpus/test_topic_tagging.py` holds the labelled
    cases). `VERSION` changes whenever these rules do; the index re-tags every chunk when
    it does, reusing their vectors.
    """

    VERSION = 2

    def __init__(self, topic_map: TopicMap, topic_vectors: np.ndarray) -> None:
        self.topics = topic_map.topics
        self.vectors = topic_vectors

    @classmethod
    def build(cls, topic_map: TopicMap, embed) -> TopicTagger:
        """`embed` turns a list of texts into unit vectors (the index's own embedder)."""
        texts = [f"{t.title}. {t.description}" for t in topic_map.topics]
        return cls(topic_map, embed(texts))

    def tag(self, heading_path: tuple[str, ...], vector: np.ndarray, text: str = "") -> list[str]:
        chosen: list[str] = []
        # The most specific heading that names a topic wins over its parents.
        for heading in reversed(heading_path):
            chosen = [t.id for t in self.topics if t.matches_heading(heading)][:2]
            if chosen:
                break
        similarities = self.vectors @ vector
        order = [int(i) for i in np.argsort(-similarities)]
        best = float(similarities[order[0]])
        near = [
            i
            for i in order
            if i == order[0] or similarities[i] >= max(best - SIMILARITY_MARGIN, MIN_SIMILARITY)
        ]
        lead = best - float(similarities[order[1]]) if len(order) > 1 else 1.0
        evidence = {i: self.topics[i].mentions(text) for i in near}
        named = [self.topics.index(t) for t in self.topics if t.id in chosen]
        strongest = max([*evidence.values(), *(self.topics[i].mentions(text) for i in named)])
        for i in near:
            found = evidence[i]
            backed = (found and 2 * found >= strongest) or (i == order[0] and lead >= CLEAR_LEAD)
            if backed and self.topics[i].id not in chosen:
                chosen.append(self.topics[i].id)
        if not chosen:
            chosen = [self.topics[order[0]].id]
        return chosen[:MAX_TOPICS_PER_CHUNK]
