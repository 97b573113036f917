"""Text from outside (the learner, the corpus, a model) made safe to store and print."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls: ESC (\x1b) and CSI (\x9b) start
# terminal escape sequences, which must never reach the terminal from model or corpus text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """The text without control characters; carriage returns become newlines."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# A markdown image would make a renderer fetch a URL: a way for text planted in the
# corpus to report what the learner reads. Its alt text is kept, the fetch is not.
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")


def neutralise_model_text(text: str) -> str:
    """Model output made safe to show: no control characters, no markdown images."""
    return _IMAGE.sub(lambda m: f"[image removed: {m.group(1)}]", strip_control(text))
