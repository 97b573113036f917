"""What the graphs' nodes depend on, handed in through LangGraph's runtime context.

A `TutorContext` is built once, by `TutorContext.from_settings` (the CLI and the TUI, through
`tutor.runtime.chat.open_context`) or directly with fakes (tests), and never changed: a
different model, mode or per-run value (the cancel event) means a new context made with
`dataclasses.replace`, passed to the next run. A run given no context (LangGraph Studio,
`langgraph dev`) gets `default_context()`, built once from the environment's settings.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from tutor.config import Settings
from tutor.corpus.blueprint import Blueprint, load_blueprint
from tutor.corpus.exam import Exam, load_exam
from tutor.corpus.glossary import Glossary
from tutor.corpus.search import HybridRetriever, Passage
from tutor.corpus.sentences import Embed
from tutor.corpus.topics import TopicMap, load_topics
from tutor.learner.store import LearnerStore
from tutor.quiz.bank import QuestionBank

DEFAULT_PASSAGES = 4
"""Passages retrieved per question: enough to cover a topic split over sections, few
enough that a 4k-token context holds them with room for the conversation."""

T = TypeVar("T")


class Retriever(Protocol):
    def search(self, query: str, k: int = 5, also: Sequence[str] = ()) -> list[Passage]: ...


class Lazy(Generic[T]):
    """A value built on first use by whichever thread asks first, until `forget`.

    The one changeable part a context owns: it caches what is costly to build, never
    what the context says (a lock-guarded cell rather than `functools.cached_property`,
    which would write to the frozen context itself and, since 3.12, builds twice in a race).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self, build: Callable[[], T]) -> T:
        with self._lock:
            if self._value is None:
                self._value = build()
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._value = None


@dataclass(frozen=True, eq=False)
class TutorContext:
    """The services one conversation or quiz runs with. Frozen: see the module's doc."""

    settings: Settings = field(default_factory=Settings)
    retriever: Retriever | None = None
    learner_store: LearnerStore | None = None
    chat_model: BaseChatModel | None = None
    """The model that explains; None is offline (see `offline`)."""
    offline: bool = False
    """No model on purpose. A context with neither a model nor this is incomplete: `ready()`
    builds the model from the settings (LangGraph Studio's case)."""
    offline_reason: str | None = None
    """Shown in offline answers: why there is no model and how to get one."""
    topics: TopicMap | None = None
    exam: Exam | None = None
    """The exam the material prepares for (`exam.toml`), named in prompts and help."""
    embed: Embed | None = None
    """Sentence vectors for picking out key sentences offline; lexical overlap if None."""
    learner: str | None = None
    """Whose memory is written; the settings' learner if None."""
    k: int = DEFAULT_PASSAGES
    cancel: threading.Event | None = None
    """Per run: set while an answer streams to stop it at the next token (the TUI's Esc).
    `TutorChat` passes `replace(context, cancel=event)` as each run's context."""
    bank: Lazy[QuestionBank] = field(default_factory=Lazy, repr=False)
    """The offline question bank, built on first use. `replace` hands the same holder on, so
    a context made for a new model or a run still shares the bank built for the material."""
    glossary_cell: Lazy[Glossary] = field(default_factory=Lazy, repr=False)
    """The material's glossary for the grader, built on first use and shared like `bank`."""
    _completed: Lazy[TutorContext] = field(default_factory=Lazy, init=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        chat_model: BaseChatModel | None = None,
        offline: bool = False,
        offline_reason: str | None = None,
        learner: str | None = None,
        retriever: Retriever | None = None,
        learner_store: LearnerStore | None = None,
        embed: Embed | None = None,
    ) -> TutorContext:
        """Every service in place: those given, the rest built from `settings` (one
        retriever per data dir per process, shared; a chat model unless `offline`)."""
        given = cls(
            settings=settings,
            chat_model=chat_model,
            offline=offline,
            offline_reason=offline_reason,
            learner=learner,
            retriever=retriever,
            learner_store=learner_store,
            embed=embed,
        )
        return given._complete()

    @property
    def learner_name(self) -> str:
        return self.learner or self.settings.learner

    @property
    def is_complete(self) -> bool:
        return (
            self.retriever is not None
            and self.learner_store is not None
            and self.topics is not None
            and self.exam is not None
            and (self.chat_model is not None or self.offline)
        )

    def ready(self) -> TutorContext:
        """This context when every service is in place; else a copy with the missing ones
        built from the settings, once per context (a run's nodes share it)."""
        return self if self.is_complete else self._completed.get(self._complete)

    def without_model(self, reason: str) -> TutorContext:
        """A copy of this context that answers offline, saying why (the model failed)."""
        return replace(self, chat_model=None, offline=True, offline_reason=reason)

    def blueprint(self) -> Blueprint | None:
        """The exam's blueprint (`blueprint.toml`), read when asked for; None without one."""
        topics = self.ready().topics
        return load_blueprint(self.settings.blueprint_path, topics.ids() if topics else None)

    def question_bank(self) -> QuestionBank:
        """The offline question generator over the indexed material, built on first use."""
        return self.bank.get(self._build_bank)

    def forget_question_bank(self) -> None:
        """The material changed (a reindex): the next quiz builds the bank (and the
        grader's glossary) afresh."""
        self.bank.forget()
        self.glossary_cell.forget()

    def glossary(self) -> Glossary:
        """What the grader knows of the material's terms and acronyms (on top of the
        field's), built on first use from the catalog's chunks and the topic map."""
        return self.glossary_cell.get(self._build_glossary)

    def _build_bank(self) -> QuestionBank:
        ctx = self.ready()
        catalog = ctx.retriever.catalog
        records = catalog.records(catalog.chunk_ids()).values()
        return QuestionBank.build(records, ctx.topics, ctx.embed)

    def _build_glossary(self) -> Glossary:
        ctx = self.ready()
        catalog = getattr(ctx.retriever, "catalog", None)
        if catalog is None:  # a retriever without a catalog (a test's fake)
            return Glossary.build((), ctx.topics)
        return Glossary.from_records(catalog.records(catalog.chunk_ids()).values(), ctx.topics)

    def _complete(self) -> TutorContext:
        settings = self.settings
        retriever = shared_retriever(settings) if self.retriever is None else self.retriever
        use_settings(retriever, settings)
        embed = self.embed
        if embed is None and isinstance(retriever, HybridRetriever):
            embed = retriever.sentence_embed  # one cache for search's re-ranking and answers
        chat_model = self.chat_model
        if chat_model is None and not self.offline:
            from tutor.llm import build_chat_model  # the LLM stack only when a model is due

            chat_model = build_chat_model(settings)
        return replace(
            self,
            retriever=retriever,
            embed=embed,
            topics=load_topics(settings.topics_path) if self.topics is None else self.topics,
            exam=load_exam(settings.exam_path) if self.exam is None else self.exam,
            learner_store=(
                LearnerStore.open(settings) if self.learner_store is None else self.learner_store
            ),
            chat_model=chat_model,
        )


def shared_retriever(settings: Settings) -> HybridRetriever:
    """The process's retriever (and loaded embedding model) for the settings' stores."""
    return _open_retriever(
        settings.data_dir, settings.chroma_url, settings.chroma_collection, settings.embedding_model
    )


def use_settings(retriever: Retriever | None, settings: Settings) -> None:
    """Make the (shared) retriever search as the settings say: with their reranker."""
    if isinstance(retriever, HybridRetriever):
        retriever.use_reranker(settings.reranker)


@functools.cache
def _open_retriever(
    data_dir: Path, chroma_url: str | None, collection: str, embedding_model: str
) -> HybridRetriever:
    # Keyed by what the retriever reads, as the settings themselves cannot be hashed.
    return HybridRetriever.open(
        Settings(
            data_dir=data_dir,
            chroma_url=chroma_url,
            chroma_collection=collection,
            embedding_model=embedding_model,
        )
    )


@functools.cache
def default_context() -> TutorContext:
    """The context of runs given none (LangGraph Studio, `langgraph dev`): built once from
    the environment's settings."""
    return TutorContext.from_settings(Settings())


def services(runtime: Runtime[TutorContext]) -> TutorContext:
    """The run's context with every dependency in place, else the default one."""
    context = runtime.context
    return default_context() if context is None else context.ready()
