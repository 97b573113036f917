"""A streamed answer is cleaned piece by piece, yet escape sequences go whole."""

from __future__ import annotations

import random

import pytest

from tutor.text import StreamCleaner, strip_escapes

ANSWER = (
    "RLHF \x1b[31mtrains\x1b[0m a reward model \x1b]8;;http://example.invalid/\x07from"
    "\x1b]8;;\x07 rankings\x1b]0;pwned\x1b\\ [1].\x9b2J Done\x1bc."
)


def streamed(pieces: list[str]) -> str:
    cleaner = StreamCleaner()
    return "".join(cleaner.feed(piece) for piece in pieces) + cleaner.flush()


@pytest.mark.parametrize("seed", range(20))
def test_any_split_gives_what_the_whole_text_gives(seed: int) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(ANSWER)), rng.randint(1, 25)))
    pieces = [ANSWER[a:b] for a, b in zip([0, *cuts], [*cuts, len(ANSWER)], strict=True)]

    assert (
        streamed(pieces)
        == strip_escapes(ANSWER)
        == "RLHF trains a reward model from rankings [1]. Done."
    )


def test_one_character_at_a_time() -> None:
    assert streamed(list(ANSWER)) == "RLHF trains a reward model from rankings [1]. Done."


def test_plain_text_is_not_held_back() -> None:
    cleaner = StreamCleaner()

    assert [cleaner.feed(p) for p in ("Vector ", "search [2]")] == ["Vector ", "search [2]"]


def test_an_unfinished_escape_at_the_end_comes_out_as_the_whole_text_would() -> None:
    assert streamed(["Done.", "\x1b[3"]) == strip_escapes("Done.\x1b[3")


def test_an_endless_sequence_is_not_held_forever() -> None:
    cleaner = StreamCleaner()
    shown = cleaner.feed("\x1b]0;") + "".join(cleaner.feed("x" * 100) for _ in range(30))

    assert len(shown) > 500  # text flowed on once the hold limit was passed
