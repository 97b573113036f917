"""What the chat searches for: a follow-up made into a standalone query, and (optionally,
`query_rewrite`) a question rewritten by the model into a few search queries in the
material's terms, searched beside the question itself.

The question always leads: its own words stay the main query and the re-ranking judges
passages against it; the model's queries only widen what is found. Any failure of the
model means the rule-based query or no extra queries, never a failed turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from pydantic import BaseModel, Field

from graphs.chat.routing import standalone_query
from graphs.prompts import rewrite_messages, search_queries_request
from tutor.llm import MalformedReplyError, OllamaError, ask_structured
from tutor.text import strip_escapes

MAX_QUESTION_CHARS = 4000
"""Longer messages are cut: retrieval and the prompt need the gist, not a pasted book."""
MAX_QUERIES = 3
MAX_QUERY_CHARS = 200
"""A search query longer than this is the model writing an answer, not a query."""


def follow_up_query(
    model: BaseChatModel | None,
    question: str,
    history: Sequence[AnyMessage],
    queries: list[str],
) -> str:
    """A follow-up as a standalone query: by the model when there is one, else by rule."""
    fallback = standalone_query(question, queries)
    if model is None:
        return fallback
    try:
        reply = model.invoke(rewrite_messages(history, question))
    except Exception:  # any model failure: the rule-based query is good enough to search
        return fallback
    rewritten = " ".join(strip_escapes(str(reply.content)).split())[:MAX_QUESTION_CHARS]
    return rewritten or fallback


class SearchQueries(BaseModel):
    queries: list[str] = Field(min_length=1, max_length=MAX_QUERIES)


def search_queries(model: BaseChatModel, question: str, exam: str) -> list[str]:
    """Up to `MAX_QUERIES` queries that differ from the question; [] if the model fails."""
    system, user = search_queries_request(question, exam, MAX_QUERIES)
    try:
        reply = ask_structured(model, SearchQueries, system, user, attempts=1)
    except (OllamaError, MalformedReplyError):
        return []
    seen = {_key(question)}
    found = []
    for query in reply.queries:
        query = " ".join(strip_escapes(query).split())[:MAX_QUERY_CHARS]
        if query and _key(query) not in seen:
            seen.add(_key(query))
            found.append(query)
    return found


def _key(query: str) -> str:
    return " ".join(query.lower().split()).rstrip("?.! ")
