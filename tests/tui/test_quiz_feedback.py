"""The quiz feedback widget's reason line: the grader's words, without a second "Right"."""

from __future__ import annotations

from tutor.tui.widgets.quiz_feedback import reason


def test_the_reason_line_shows_why_without_repeating_the_verdict() -> None:
    right = {"correct": True, "reason": "Right: RLHF is the acronym of reinforcement learning."}
    assert reason(right) == "RLHF is the acronym of reinforcement learning."
    typo = {"correct": True, "reason": "Right, with a small misspelling: Unity Catalog."}
    assert reason(typo) == "With a small misspelling: Unity Catalog."
    wrong = {"correct": False, "reason": "You named a different metric: recall."}
    assert reason(wrong) == "You named a different metric: recall."
    assert reason({"correct": False}) == ""  # a result from before reasons were kept
