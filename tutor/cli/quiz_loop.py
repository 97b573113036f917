"""The quiz and exam loop on a terminal: show a question, read an answer from stdin, show
the grade (an exam holds them to the end), then the summary."""

from __future__ import annotations

import json
import sys
import time

from rich.console import Console
from rich.markup import escape

from tutor.cli.root import err, fail, out
from tutor.config import Settings


def run_quiz(
    options: dict,
    *,
    offline: bool,
    learner: str | None,
    as_json: bool,
    minutes: float | None,
    resume: bool = False,
) -> None:
    """Run a quiz or exam (`options` are `QuizSession.start`'s) until its last question,
    the end of input or the time limit, then print the summary."""
    from tutor.runtime.quiz_session import QuizSession

    settings = Settings()
    if options["topic"] is not None:
        from tutor.corpus.topics import load_topics

        if load_topics(settings.topics_path).get(options["topic"]) is None:
            raise fail(f"no topic '{options['topic']}': see `tutor progress --json` for ids")
    # Loading the embedding model and building the question bank take seconds.
    waiting = err.status("Preparing questions…") if err.is_terminal else None
    if waiting is not None:
        waiting.start()
    try:
        session = QuizSession.open(settings, offline=offline, learner=learner)
    except BaseException:
        if waiting is not None:
            waiting.stop()
        raise
    context = session.context
    if context.chat_model is None and context.offline_reason and not offline:
        err.print(f"[dim]Offline: {escape(context.offline_reason)}[/]", soft_wrap=True)
    ask = err if as_json else out  # with --json, questions go to stderr, results to stdout
    deadline = time.monotonic() + minutes * 60 if minutes else None
    held: list[dict] = []
    try:
        if resume:
            unfinished = session.unfinished()
            if unfinished is None:
                raise fail("no unfinished quiz to resume: start one with `tutor quiz`")
            step = session.current(unfinished)
            options["exam"] = step.question is not None and step.question.get("exam", False)
        else:
            step = session.start(**options)
        if waiting is not None:
            waiting.stop()
        while step.question is not None:
            _show_question(ask, step.question)
            reply = _next_answer(step.question, deadline, ask)
            if reply is None:
                step = session.stop(step.quiz)
                break
            step = session.answer(step.quiz, *reply)
            if step.graded is not None:
                held.append(step.graded)
                if not options["exam"]:  # an exam shows nothing until the end
                    _emit_graded(step.graded, as_json)
    finally:
        if waiting is not None:
            waiting.stop()
        session.close()
    if options["exam"] and as_json:  # the answers' grades, only now the exam is over
        for graded in held:
            _emit_graded(graded, as_json=True)
    summary = step.summary or {}
    if as_json:
        print(json.dumps({"summary": summary}), flush=True)
    else:
        _show_summary(summary)


def _read_answer() -> str:
    """One answer line from stdin ("" at the end of input)."""
    return sys.stdin.readline()


def _next_answer(
    question: dict, deadline: float | None, console: Console
) -> tuple[str, str | None] | None:
    """The next answer in the form the question asks for, and how sure the learner was;
    None at the end of input or once time is up. A line in another form (empty, "7" for
    four options, "maybe" for true/false) is a slip, not evidence of what the learner
    knows: say what form is wanted and read the next line, as the app's quiz screen does."""
    from tutor.quiz.grading import answer_problem

    while line := _read_answer():
        if deadline is not None and time.monotonic() > deadline:
            console.print("Time is up.")
            return None
        answer, confidence = _confidence(line.strip())
        problem = answer_problem(answer, question["kind"], question.get("options") or [])
        if problem is None:
            return answer, confidence
        err.print(problem, markup=False)
    return None


def _emit_graded(graded: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_graded_json(graded)), flush=True)
    else:
        _show_feedback(graded)


def _confidence(answer: str) -> tuple[str, str | None]:
    if answer.endswith(" !"):
        return answer[:-2].strip(), "sure"
    if answer.endswith(" ?"):
        return answer[:-2].strip(), "unsure"
    return answer, None


def _show_question(console: Console, question: dict) -> None:
    reason = {"review": "due for review", "weak": "a weak topic", "new": "not tried yet"}.get(
        question.get("reason") or "", ""
    )
    title = question.get("topic_title") or question["topic"]
    header = f"Question {question['number']} of {question['total']} · {title}"
    console.print(f"\n[bold]{escape(header)}[/]" + (f" [dim]({reason})[/]" if reason else ""))
    console.print(question["question"], markup=False, soft_wrap=True)
    for letter, option in zip("ABCD", question["options"], strict=False):
        if question["kind"] == "tf":
            console.print(f"  {option}", markup=False)
        else:
            console.print(f"  {letter}) {option}", markup=False, soft_wrap=True)
    hint = {"mc": "a letter", "tf": "True or False"}.get(question["kind"], "a few words")
    console.print(f"[dim]answer with {hint}[/]")


def _show_feedback(graded: dict) -> None:
    if graded["correct"]:
        out.print("[green]Right.[/]")
    else:
        out.print(f"[red]Not quite.[/] The answer is: {escape(graded['key'])}", soft_wrap=True)
    out.print(graded["explanation"], markup=False, soft_wrap=True)
    out.print(f"[dim]Source: {escape(graded['source'])}[/]", soft_wrap=True)


def _graded_json(graded: dict) -> dict:
    keys = ("topic", "kind", "question", "options", "answer_given", "correct", "key", "source")
    return {k: graded[k] for k in keys}


def _show_summary(summary: dict) -> None:
    if not summary:
        return
    if summary.get("ended") == "no material":
        out.print("The material has no more questions to offer on that topic.")
    asked, correct = summary.get("asked", 0), summary.get("correct", 0)
    out.print(
        f"\n[bold]Score: {correct} of {asked}[/]"
        + (f" (of {summary['planned']} planned)" if asked < summary.get("planned", asked) else "")
    )
    if summary.get("offline_notice"):
        out.print(summary["offline_notice"], style="yellow", markup=False, soft_wrap=True)
    for row in summary.get("per_topic", []):
        out.print(f"  {row['title']}: {row['right']}/{row['total']}", markup=False)
    if summary.get("review"):
        out.print("[bold]Review[/]")
        for source in summary["review"]:
            out.print(f"  {source}", soft_wrap=True, markup=False)
    if summary.get("weakest_topics"):
        names = ", ".join(t["title"] for t in summary["weakest_topics"])
        out.print(f"Weakest topics now: {names}", markup=False, soft_wrap=True)
