"""Answers without a model: the best passages quoted with citations, key sentences first.

Nothing is generated, so nothing can be invented: every sentence shown is the material's
own, under its citation.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphs.chat.highlights import highlights
from graphs.chat.state import Highlight, PassageRef
from tutor.corpus.glossary import Glossary
from tutor.corpus.sentences import Embed
from tutor.quiz.cloze import CheckQuestion

QUOTE_BUDGET_CHARS = 3000
"""An offline answer quotes whole passages, best first, starting new ones until this many
characters are shown: about a screen of reading, and the budget `benchmarks/
retrieval_eval.py` measures recall within."""
NO_MODEL_HINT = "start Ollama with `ollama serve` and pull a model with `tutor pull`"


def offline_notice(reason: str | None) -> str:
    """The plain line that heads every offline answer."""
    if reason:
        return f"Offline mode: {reason.rstrip('.')}. Showing the study material instead."
    return (
        f"Offline mode: no language model in use ({NO_MODEL_HINT} for explained answers). "
        "Showing the study material instead."
    )


def offline_answer(
    question: str,
    passages: Sequence[PassageRef],
    notice: str,
    *,
    embed: Embed | None = None,
    glossary: Glossary | None = None,
) -> tuple[str, list[PassageRef], list[Highlight]]:
    """The answer text, the passages it quotes and the sentences it highlights."""
    quoted: list[PassageRef] = []
    shown = 0
    for passage in passages:
        if quoted and shown >= QUOTE_BUDGET_CHARS:
            break
        quoted.append(passage)
        shown += len(passage["text"])
    picked = highlights(question, quoted, embed=embed, glossary=glossary)
    parts = [f"*{notice}*", ""]
    if picked:
        parts.append("**Most relevant**")
        parts.extend(f"- {s.text} [{s.passage}]" for s in picked)
        parts.append("")
    parts.append("**From the material**")
    for passage in quoted:
        parts.append("")
        parts.append(f"[{passage['n']}] {passage['citation']}")
        parts.extend(f"> {line}" if line.strip() else ">" for line in passage["text"].splitlines())
    shown = [Highlight(text=s.text, n=s.passage) for s in picked]
    return "\n".join(parts), quoted, shown


def socratic_offline_answer(
    passages: Sequence[PassageRef], check: CheckQuestion, notice: str
) -> str:
    """Socratic mode without a model: where to look, and a question back to work out."""
    pointers = ", ".join(f"[{p['n']}] {p['citation']}" for p in passages[:2])
    return (
        f"*{notice}*\n\n"
        f"Socratic mode: rather than the answer, a hint. Read {pointers}.\n\n"
        f"Then fill the gap: **{check.prompt}**\n\n"
        "(Reply with the missing term, `skip` to pass, or ask something else.)"
    )
