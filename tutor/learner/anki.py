"""Export the questions a learner has answered as an Anki deck (genanki)."""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import genanki

from tutor.corpus.exam import Exam
from tutor.quiz.questions import Question

# Anki identifies models and decks by number; derive them from names so that re-exporting
# updates the same deck instead of creating a new one.
MODEL_NAME = "Study tutor question"


def deck_name(exam: Exam) -> str:
    return f"{exam.short_name} (study tutor)"


def _stable_id(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) | 1 << 30


NOTE_MODEL = genanki.Model(
    _stable_id(MODEL_NAME),
    MODEL_NAME,
    fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Explanation"}, {"name": "Source"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Question}}",
            "afmt": "{{FrontSide}}<hr id=answer><b>{{Answer}}</b><br><br>{{Explanation}}"
            "<br><small>{{Source}}</small>",
        }
    ],
)


def front(question: Question) -> str:
    text = html.escape(question.prompt)
    if question.kind == "mc":
        items = "".join(f"<li>{html.escape(o)}</li>" for o in question.options)
        text += f'<ol type="A">{items}</ol>'
    elif question.kind == "tf":
        text += "<br><i>True or false?</i>"
    return text


def export_deck(answered: list[tuple[Question, int, int]], path: Path, exam: Exam) -> int:
    """Write the exam's deck; returns how many notes. Questions answered wrong at least once
    are tagged `missed`; every note is tagged with its topic."""
    name = deck_name(exam)
    deck = genanki.Deck(_stable_id(name), name)
    for question, _right, wrong in answered:
        tags = [question.topic] + (["missed"] if wrong else [])
        deck.add_note(
            genanki.Note(
                model=NOTE_MODEL,
                fields=[
                    front(question),
                    html.escape(question.answer),
                    html.escape(question.explanation),
                    html.escape(question.source),
                ],
                tags=tags,
                guid=genanki.guid_for(question.id),
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(path))
    return len(deck.notes)
