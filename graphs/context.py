"""What the chat graph's nodes depend on, handed in through LangGraph's runtime context.

The CLI and the TUI build a `TutorContext` with the real services; tests pass fakes (a
LangChain fake chat model, a retriever over a list, a learner store in a temp dir). Any
dependency left unset is built from the settings on first use, which is what LangGraph
Studio gets when it runs the graph with an empty context.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from tutor.config import Settings
from tutor.corpus.search import HybridRetriever, Passage
from tutor.corpus.sentences import CachedEmbed, Embed
from tutor.corpus.topics import TopicMap, load_topics
from tutor.learner.store import LearnerStore
from tutor.quiz.bank import QuestionBank

DEFAULT_PASSAGES = 4
"""Passages retrieved per question: enough to cover a topic split over sections, few
enough that a 4k-token context holds them with room for the conversation."""


class Retriever(Protocol):
    def search(self, query: str, k: int = 5) -> list[Passage]: ...


@dataclass
class TutorContext:
    """The services one conversation runs with."""

    settings: Settings = field(default_factory=Settings)
    retriever: Retriever | None = None
    learner_store: LearnerStore | None = None
    chat_model: BaseChatModel | None = None
    """None means offline unless `offline` is False and a model can be built from settings."""
    offline: bool = False
    offline_reason: str | None = None
    """Shown in offline answers: why there is no model and how to get one."""
    topics: TopicMap | None = None
    embed: Embed | None = None
    """Sentence vectors for picking out key sentences offline; lexical overlap if None."""
    learner: str | None = None
    """Whose memory is written; the settings' learner if None."""
    k: int = DEFAULT_PASSAGES
    cancel: threading.Event | None = None
    """Set while an answer streams to stop it at the next token (the TUI's Esc)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._bank: QuestionBank | None = None

    def question_bank(self) -> QuestionBank:
        """The offline question generator over the indexed material, built on first use."""
        self.ready()
        with self._lock:
            if self._bank is None:
                catalog = self.retriever.catalog
                records = catalog.records(catalog.chunk_ids()).values()
                self._bank = QuestionBank.build(records, self.topics, self.embed)
            return self._bank

    def forget_question_bank(self) -> None:
        """The material changed (a reindex): the next quiz builds the bank afresh."""
        with self._lock:
            self._bank = None

    @property
    def learner_name(self) -> str:
        return self.learner or self.settings.learner

    def ready(self) -> TutorContext:
        """Fill in every unset dependency from the settings (once) and return self."""
        with self._lock:
            if self.topics is None:
                self.topics = load_topics(self.settings.topics_path)
            if self.retriever is None:
                self.retriever = _shared_retriever(self.settings.data_dir, self.settings)
            if self.embed is None and isinstance(self.retriever, HybridRetriever):
                self.embed = CachedEmbed(self.retriever.embedder.embed)
            if self.learner_store is None:
                self.learner_store = LearnerStore.open(self.settings)
            if self.chat_model is None and not self.offline:
                from tutor.llm import build_chat_model

                self.chat_model = build_chat_model(self.settings)
        return self


_RETRIEVERS: dict[Path, HybridRetriever] = {}


def _shared_retriever(data_dir: Path, settings: Settings) -> HybridRetriever:
    # One retriever (and one loaded embedding model) per data dir per process.
    if data_dir not in _RETRIEVERS:
        _RETRIEVERS[data_dir] = HybridRetriever.open(settings)
    return _RETRIEVERS[data_dir]


_DEFAULT: TutorContext | None = None


def services(runtime: Runtime[TutorContext]) -> TutorContext:
    """The run's context with every dependency in place. A run given no context (LangGraph
    Studio, `langgraph dev`) shares one built from the environment's settings."""
    global _DEFAULT
    if runtime.context is not None:
        return runtime.context.ready()
    if _DEFAULT is None:
        _DEFAULT = TutorContext()
    return _DEFAULT.ready()
