"""The help screen: what each screen does and its keys (F1, or "Help" in the palette)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Study tutor

Ask about the exam material, take quizzes, and watch your weak topics improve.
Everything works offline; with [Ollama](https://ollama.com) running, a local model
explains the answers.

| Key | Anywhere |
|---|---|
| F1 | this help |
| F2 … F4 | Chat · Quiz · Progress |
| F5 … F7 | Library · Settings · Exam |
| Ctrl+P | every command, searchable |
| Ctrl+Q | quit |

## Chat (F2)
Type a question and press **Enter**; the answer streams in with its sources.
**Esc** stops an answer (it is then not saved). **↑/↓** recall earlier questions.
Click a citation `[n]`, or press **Ctrl+O** for the newest answer's sources (↑/↓ choose,
**Enter** opens), to read the cited passage beside the chat; **Esc** closes it.
**Ctrl+N** starts a new conversation.
From the palette: *New conversation*, *Resume a conversation*, *Toggle Socratic mode*
(hints and a question back instead of the answer), *Retry Ollama*.

## Quiz (F3)
Pick a topic, the kind of question and how many, or the timed exam simulation.
Number keys **1-4** (or **A-D**; **T/F** for true/false) answer; press **!** (sure) or
**?** (guessed) before answering, or end a typed answer with ` !` or ` ?`: reviews are
scheduled from it. **Enter**/**Space**/**N** moves on after the feedback; **Esc** ends a
quiz (after asking). **Ctrl+B** retires a faulty question (on its feedback, the one just
answered): never asked again, its grade no longer counts. The exam shows a countdown and
gives grades only in the summary; **Resume** continues an unfinished quiz.
With the exam's blueprint (`blueprint.toml` beside the material), the exam simulation is
as long as the real exam, spread over its sections by weight, and its summary scores each
section against the pass mark. *For the exam* as the topic quizzes you on the objectives
that raise your forecast most; *Any topic* does so too once an exam date is saved.

## Progress (F4)
Mastery per topic with the evidence behind it, reviews due, and your mean mastery over
time. **↑/↓** show a topic's evidence in full under the table; **O** switches between
weakest first and map order; **R** reads it again (it also refreshes whenever you come back).

## Library (F5)
The study material folders and files with their index state. Add a folder and
reindex: only new or changed files are embedded; skipped files are listed with the reason.

## Settings (F6)
Ollama host and model (pick an installed one, or pull a new one), Socratic mode,
learner profile, offline mode, and the exam date (YYYY-MM-DD; empty for none). Saved to the
config file; environment variables win.

## Exam (F7)
The exam's blueprint against your material and record, in two tabs.
**C**: *Coverage*, the share of the exam's weight your material covers, the objectives it
has nothing on (add material on those first), and per section and objective the passages
and your mastery (— until you have answered on it).
**R**: *Readiness*, your forecast score on the exam date saved in Settings if you studied no
more: its 90% band, the pass mark, your chance of passing, per section, and the objectives
whose study would raise it most. Both are in the palette too (*Coverage*, *Readiness*).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("f1", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
