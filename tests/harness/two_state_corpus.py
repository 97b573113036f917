"""A small corpus of notes that flips between two states, so every reindex has files to
read, a catalog commit, vectors to delete and chunks to embed; and a small topic map."""

from __future__ import annotations

import random
from pathlib import Path

from tutor.config import PROJECT_CORPUS


def _sentences() -> list[str]:
    guide = (PROJECT_CORPUS / "databricks-genai-engineer-associate-guide.md").read_text()
    return [
        s.strip() + "."
        for s in guide.split(". ")
        if 60 < len(s.strip()) < 160 and "\n" not in s.strip() and "#" not in s
    ]


def write_corpus(folder: Path, state: str, files: int = 10) -> None:
    """State "a" or "b" of a small corpus of two-paragraph notes; "b" rewrites the start of
    two files (one paragraph replaced, one inserted above the rest), drops the last file
    and adds another. Writing a state over the other leaves exactly that state."""
    rng = random.Random(11)
    sentences = _sentences()

    def paragraph() -> str:
        return " ".join(rng.sample(sentences, 2))

    texts = {f"notes-{n:02}.md": [paragraph() for _ in range(2)] for n in range(files)}
    edits = [paragraph() for _ in range(4)]
    extra = [paragraph() for _ in range(2)]
    if state == "b":
        for n in range(2):
            name = f"notes-{n:02}.md"
            texts[name] = [edits[2 * n], edits[2 * n + 1], *texts[name][1:]]
        del texts[f"notes-{files - 1:02}.md"]
        texts["extra.md"] = extra
    folder.mkdir(parents=True, exist_ok=True)
    for existing in folder.glob("*.md"):
        if existing.name not in texts:
            existing.unlink()
    for name, paragraphs in texts.items():
        title = name.removesuffix(".md").replace("-", " ").title()
        (folder / name).write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n")


TOPICS = """\
[[topic]]
id = "rl"
title = "Reinforcement learning"
description = "Agents, rewards and policies."
keywords = ["reinforcement"]

[[topic]]
id = "rag"
title = "Retrieval"
description = "Retrieval augmented generation with vector search."
keywords = ["retrieval"]
"""
"""A small topic map: every run that embeds also embeds the topic descriptions, and the
project's fifteen long ones would cost more than the chunks do."""
