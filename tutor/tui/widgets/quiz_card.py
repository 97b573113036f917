"""One quiz question at a time: its topic and why it was picked, the question, and either
its options (picked by number or letter) or a box for a few words."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from graphs.quiz.state import REASON_WORDS

LETTERS = "ABCD"
TEXT_KINDS = ("cloze", "short")
CONFIDENCE_SHOWN = {"sure": "sure", "unsure": "guessed"}


def split_confidence(text: str) -> tuple[str, str | None]:
    """An answer ending in ' !' was given sure, in ' ?' as a guess (as in `tutor quiz`)."""
    text = text.strip()
    if text.endswith(" !"):
        return text[:-2].strip(), "sure"
    if text.endswith(" ?"):
        return text[:-2].strip(), "unsure"
    return text, None


def picks_option(question: dict) -> bool:
    """Whether the question is answered by picking one of its options."""
    return question.get("kind") not in TEXT_KINDS and bool(question.get("options"))


def hint_text(question: dict, confidence: str | None) -> str:
    if picks_option(question):
        count = len(question["options"][: len(LETTERS)])
        if question.get("kind") == "tf":
            keys = "1 or T for True, 2 or F for False"
        else:
            keys = f"1-{count} or A-{LETTERS[count - 1]} to answer"
        marked = CONFIDENCE_SHOWN.get(confidence or "", "not marked")
        hint = f"{keys} · ! sure · ? guessed (now: {marked})"
    else:
        hint = "Type your answer, Enter submits; end it with ' !' if sure or ' ?' if you guessed"
    if question.get("exam"):
        hint += "\nExam: the grades come at the end."
    return hint


class QuizOption(Static):
    """One option, labelled with its number and letter; a click picks it."""

    def __init__(self, index: int, label: str) -> None:
        super().__init__(label, markup=False, classes="option")
        self.index = index

    def on_click(self) -> None:
        card = next((a for a in self.ancestors if isinstance(a, QuizCard)), None)
        if card is not None:
            card.pick(self.index)


class QuizCard(Vertical):
    """Shows a question (`show`) and posts `Answered` once the learner has answered it."""

    class Answered(Message):
        def __init__(self, answer: str, confidence: str | None) -> None:
            super().__init__()
            self.answer = answer
            self.confidence = confidence

    confidence: reactive[str | None] = reactive(None, init=False)
    """For picked options: how sure the learner says they are (! and ? toggle it)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question: dict | None = None
        self.held = False

    def compose(self) -> ComposeResult:
        yield Label("", id="quiz-topic", markup=False)
        yield Label("", id="quiz-number", markup=False)
        yield Static("", id="quiz-text", markup=False)
        yield Vertical(id="quiz-options")
        yield Input(placeholder="Your answer", id="quiz-answer")
        yield Static("", id="quiz-hint", markup=False)

    async def show(self, question: dict) -> None:
        self.question = question
        self.held = False
        self.set_reactive(QuizCard.confidence, None)
        title = question.get("topic_title") or question.get("topic") or ""
        reason = REASON_WORDS.get(question.get("reason") or "")
        self.query_one("#quiz-topic", Label).update(title + (f" · {reason}" if reason else ""))
        number = f"Question {question['number']} of {question['total']}"
        self.query_one("#quiz-number", Label).update(number)
        self.query_one("#quiz-text", Static).update(question["question"])
        options = self.query_one("#quiz-options", Vertical)
        await options.remove_children()
        if picks_option(question):
            tf = question.get("kind") == "tf"
            shown = zip(LETTERS, question["options"], strict=False)
            await options.mount_all(
                QuizOption(i, f"{i + 1}  {option}" if tf else f"{i + 1}  {letter}) {option}")
                for i, (letter, option) in enumerate(shown)
            )
        box = self.query_one("#quiz-answer", Input)
        box.display = not picks_option(question)
        box.disabled = False
        box.value = ""
        self._hint()

    @property
    def answer_box(self) -> Input:
        return self.query_one("#quiz-answer", Input)

    def pick(self, index: int) -> None:
        """Answer with option `index` (a key or a click chose it)."""
        question = self.question
        if question is None or self.held or not picks_option(question):
            return
        options = question["options"]
        if not 0 <= index < min(len(options), len(LETTERS)):
            return
        answer = options[index] if question.get("kind") == "tf" else LETTERS[index]
        self._answered(answer, self.confidence)

    def toggle_confidence(self, confidence: str) -> None:
        self.confidence = None if self.confidence == confidence else confidence

    def watch_confidence(self) -> None:
        self._hint()

    def hold(self, note: str) -> None:
        """Answered: no second answer while it is graded."""
        self.held = True
        self.answer_box.disabled = True
        self.query_one("#quiz-hint", Static).update(note)

    def release(self) -> None:
        """The answer could not be graded: the learner may answer again."""
        self.held = False
        self.answer_box.disabled = False
        self._hint()

    @on(Input.Submitted, "#quiz-answer")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        answer, confidence = split_confidence(event.value)
        if answer and not self.held:
            self._answered(answer, confidence)

    def _answered(self, answer: str, confidence: str | None) -> None:
        self.post_message(self.Answered(answer, confidence))

    def _hint(self) -> None:
        if self.question is not None:
            text = hint_text(self.question, self.confidence)
            self.query_one("#quiz-hint", Static).update(text)
