"""The exam is configuration: `exam.toml` in the corpus folder names it everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs.prompts import question_request, system_prompt
from tutor.config import PROJECT_CORPUS
from tutor.corpus.exam import UNNAMED, load_exam
from tutor.errors import TutorError


def test_the_shipped_exam_file_names_the_exam() -> None:
    exam = load_exam(PROJECT_CORPUS / "exam.toml")
    assert exam.name == "Databricks Certified Generative AI Engineer Associate"
    assert exam.short_name == "Databricks GenAI Engineer Associate"


def test_another_exam_is_named_in_the_prompts(tmp_path: Path) -> None:
    path = tmp_path / "exam.toml"
    path.write_text('[exam]\nname = "  AWS Certified Machine Learning Engineer "\n')
    exam = load_exam(path)
    assert exam.name == exam.short_name == "AWS Certified Machine Learning Engineer"
    assert "study tutor for the AWS Certified Machine Learning Engineer exam." in system_prompt(
        exam.name
    )
    system, user = question_request("tf", "Some passage.", exam.name)
    assert "questions for the AWS Certified Machine Learning Engineer exam." in system
    assert "Databricks" not in system + system_prompt(exam.name, socratic=True)
    assert user == "<passage>\nSome passage.\n</passage>"


def test_no_exam_file_names_no_exam(tmp_path: Path) -> None:
    assert load_exam(tmp_path / "exam.toml") is UNNAMED
    assert "study tutor for the certification exam." in system_prompt(UNNAMED.name)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[exam\nname = 1", "cannot read the exam file"),
        ('name = "Top level"', "needs an [exam] table with a name"),
        ('[exam]\nname = "  "', "needs an [exam] table with a name"),
        (b"\xff\xfe[exam]", "cannot read the exam file"),
    ],
)
def test_a_broken_exam_file_is_one_line(tmp_path: Path, text: str | bytes, says: str) -> None:
    path = tmp_path / "exam.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(TutorError, match="exam") as raised:
        load_exam(path)
    assert says in str(raised.value) and "\n" not in str(raised.value)
