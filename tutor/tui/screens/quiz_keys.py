"""The quiz screen's phases and keys: which keys there are, and when each applies."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tutor.tui.widgets.quiz_card import picks_option

CHOOSE = Binding.Group("Answer", compact=True)

SETUP, PREPARING, QUESTION, FEEDBACK, SUMMARY = (
    "setup",
    "preparing",
    "question",
    "feedback",
    "summary",
)
VIEWS = {SETUP: "quiz-setup", PREPARING: "quiz-preparing", SUMMARY: "quiz-summary"}
"""The view each phase shows; a question and its feedback share the card view."""

QUIZ_KEYS: list[BindingType] = [
    Binding("1,a", "choose(0)", "Option A", group=CHOOSE),
    Binding("2,b", "choose(1)", "Option B", group=CHOOSE),
    Binding("3,c", "choose(2)", "Option C", group=CHOOSE),
    Binding("4,d", "choose(3)", "Option D", group=CHOOSE),
    Binding("t", "truth(0)", "True", show=False),
    Binding("f", "truth(1)", "False", show=False),
    Binding("exclamation_mark", "confidence('sure')", "Sure", key_display="!"),
    Binding("question_mark", "confidence('unsure')", "Guessed", key_display="?"),
    Binding("enter,space,n", "next", "Next"),
    Binding("n,enter", "again", "New quiz"),
    Binding("ctrl+b", "bad", "Bad question"),
    Binding("escape", "stop", "End quiz"),
]


def key_applies(
    action: str, parameters: tuple[object, ...], *, phase: str, busy: bool, question: dict | None
) -> bool:
    """Whether a key means something in this phase (the screen shows and runs only those)."""
    if action in ("choose", "truth", "confidence"):
        if phase != QUESTION or busy or question is None or not picks_option(question):
            return False
        if action == "truth":
            return question.get("kind") == "tf"
        if action == "choose":
            index = parameters[0]
            return isinstance(index, int) and index < min(len(question["options"]), 4)
        return True
    if action == "next":
        return phase == FEEDBACK
    if action == "again":
        return phase == SUMMARY
    if action in ("stop", "bad"):
        return phase in (QUESTION, FEEDBACK) and not busy
    return True
