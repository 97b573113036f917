"""Fakes for the services we cannot run here: a scripted chat model in place of Ollama."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

Reply = str | BaseException | Callable[[list[BaseMessage]], str]


class CutAfter:
    """A reply that streams `text` and then fails with `error` (a dropped connection)."""

    def __init__(self, text: str, error: BaseException) -> None:
        self.text, self.error = text, error


class ScriptedChatModel(BaseChatModel):
    """A LangChain chat model answering from a script, recording every prompt it gets.

    Each call takes the next reply: a string, an exception to raise before any token, a
    `CutAfter` to fail mid-stream, or a function of the prompt (a model that "reads" it).
    The last reply repeats when the script runs out. Streams word by word.
    """

    replies: list[Any] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _next(self, messages: list[BaseMessage]) -> Any:
        self.calls.append(list(messages))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply(messages) if callable(reply) else reply

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._next(messages)
        if isinstance(reply, CutAfter):
            raise reply.error
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._next(messages)
        text = reply.text if isinstance(reply, CutAfter) else reply
        for piece in re.findall(r"\S+\s*|\s+", text):
            if run_manager:
                run_manager.on_llm_new_token(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        if isinstance(reply, CutAfter):
            raise reply.error

    def prompts(self) -> list[str]:
        """Each call's messages joined into one text, for simple assertions."""
        return ["\n".join(str(m.content) for m in call) for call in self.calls]
