"""Graph fixtures: the real retriever over the indexed project corpus, a learner store in
a temp dir, and the chat graph compiled with an in-memory checkpointer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.memory import InMemorySaver

from graphs.chat.graph import build
from graphs.context import Retriever, TutorContext
from tutor.config import Settings
from tutor.corpus.embeddings import Embedder
from tutor.corpus.search import HybridRetriever
from tutor.corpus.sentences import CachedEmbed
from tutor.learner.records import LearnerEvent
from tutor.learner.store import LearnerStore


@pytest.fixture(scope="session")
def retriever(indexed_data_dir: Path, embedder: Embedder) -> HybridRetriever:
    return HybridRetriever.open(Settings(data_dir=indexed_data_dir), embedder)


@dataclass
class Conversation:
    """One thread of the chat graph with its context, driven turn by turn."""

    graph: Any
    context: TutorContext
    thread: str = "session-1"

    def ask(self, question: str, **extra: Any) -> dict:
        return self.graph.invoke(
            {"question": question, **extra},
            {"configurable": {"thread_id": self.thread}},
            context=self.context,
        )

    @property
    def state(self) -> dict:
        return self.graph.get_state({"configurable": {"thread_id": self.thread}}).values

    def events(self) -> list[LearnerEvent]:
        return self.context.learner_store.events(self.context.learner_name)


@pytest.fixture
def conversation(
    retriever: HybridRetriever, embedder: Embedder, tmp_path: Path
) -> Callable[..., Conversation]:
    """A factory: `conversation(model)` for Ollama mode, `conversation()` for offline;
    `searching=` puts another retriever in place of the indexed corpus's."""
    stores: list[LearnerStore] = []
    corpus = retriever

    def make(
        model: BaseChatModel | None = None, *, searching: Retriever | None = None, **settings: Any
    ) -> Conversation:
        store = LearnerStore(tmp_path / f"learner{len(stores)}.sqlite")
        stores.append(store)
        context = TutorContext.from_settings(
            Settings(data_dir=tmp_path / "data", **settings),
            retriever=searching or corpus,
            learner_store=store,
            chat_model=model,
            offline=model is None,
            embed=CachedEmbed(embedder.embed),
        )
        return Conversation(build().compile(checkpointer=InMemorySaver()), context)

    yield make
    for store in stores:
        store.close()
