"""Checkpoints are read back in strict mode: a checkpoint file someone else wrote can hold
plain data and LangChain messages, never a live object of an arbitrary class."""

from __future__ import annotations

import dataclasses

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from tutor.config import Settings
from tutor.runtime.checkpoints import open_checkpointer

BUILT: list[str] = []


@dataclasses.dataclass
class Planted:
    """Stands for any class an attacker could name; building one leaves a trace."""

    command: str

    def __post_init__(self) -> None:
        BUILT.append(self.command)


def test_an_object_of_another_class_is_not_rebuilt(tmp_path) -> None:
    permissive = JsonPlusSerializer(allowed_msgpack_modules=True)
    written = permissive.dumps_typed({"state": Planted("rm -rf ~")})
    BUILT.clear()
    saver = open_checkpointer(Settings(data_dir=tmp_path))

    read = saver.serde.loads_typed(written)

    assert BUILT == []
    assert not isinstance(read["state"], Planted)
    assert read["state"] == {"command": "rm -rf ~"}  # only its data comes back
    # The permissive reader would have built it: the test would notice a lax checkpointer.
    assert isinstance(permissive.loads_typed(written)["state"], Planted)


def test_conversation_messages_still_round_trip(tmp_path) -> None:
    saver = open_checkpointer(Settings(data_dir=tmp_path))
    messages = [HumanMessage("What is RLHF?"), AIMessage("Learning from human rankings [1].")]

    read = saver.serde.loads_typed(saver.serde.dumps_typed({"messages": messages}))

    assert read["messages"] == messages
