"""A terminal study tutor for a certification exam, usable from Python as from the shell.

    import tutor

    tutor.index()                                   # the corpus folder, incrementally
    for passage in tutor.search("What is RLHF?", k=3):
        print(passage.citation)
    tutor.grade("not PCA", "PCA")                   # Grade(correct=..., reason=...)

    chat = tutor.TutorChat.open(tutor.Settings())   # offline if Ollama is not there
    turn = chat.ask("What is RLHF?")
    print(turn.answer, turn.sources)
    chat.ask("Why does it need a reward model?", session=turn.session)

    quiz = tutor.QuizSession.open(tutor.Settings())
    step = quiz.start(n=3, kind="tf")
    while step.question:
        step = quiz.answer(step.quiz, input(step.question["question"] + " "))
        print(step.graded["correct"], step.graded["explanation"])
    print(step.summary["correct"], "of", step.summary["asked"])

Names are imported on first use, so `import tutor` (and the app, which lives in this
package) stays fast: nothing heavy loads until it is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# name -> the module that defines it (one place for each).
_EXPORTS = {
    "Settings": "tutor.config",
    "TutorError": "tutor.errors",
    "Indexer": "tutor.corpus.index",
    "IndexSummary": "tutor.corpus.index",
    "index": "tutor.corpus.index",
    "HybridRetriever": "tutor.corpus.search",
    "Passage": "tutor.corpus.search",
    "search": "tutor.corpus.search",
    "Grade": "tutor.quiz.grading",
    "grade": "tutor.quiz.grading",
    "TutorChat": "tutor.runtime.chat",
    "TurnResult": "tutor.runtime.chat",
    "QuizSession": "tutor.runtime.quiz_session",
    "QuizStep": "tutor.runtime.quiz_session",
}

__all__ = [
    "Grade",
    "HybridRetriever",
    "IndexSummary",
    "Indexer",
    "Passage",
    "QuizSession",
    "QuizStep",
    "Settings",
    "TurnResult",
    "TutorChat",
    "TutorError",
    "grade",
    "index",
    "search",
]

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.corpus.index import Indexer, IndexSummary, index
    from tutor.corpus.search import HybridRetriever, Passage, search
    from tutor.errors import TutorError
    from tutor.quiz.grading import Grade, grade
    from tutor.runtime.chat import TurnResult, TutorChat
    from tutor.runtime.quiz_session import QuizSession, QuizStep


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tutor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
