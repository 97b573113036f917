"""The quiz and exam loop on a terminal: show a question, read an answer from stdin, show
the grade (an exam holds them to the end), then the summary."""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from tutor.cli.root import err, fail, out
from tutor.config import Settings

if TYPE_CHECKING:
    from tutor.learner.exam_forecast import ExamFocus
    from tutor.runtime.quiz_session import QuizSession, QuizStep


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

    for_exam = options.pop("for_exam", False)
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
            focus = _aim(session, for_exam, options, ask)
            step = session.start(**options, focus=focus)
        if waiting is not None:
            waiting.stop()
        while step.question is not None:
            _show_question(ask, step.question)
            reply = _next_answer(step.question, deadline, ask)
            if reply is None:
                step = session.stop(step.quiz)
                break
            if isinstance(reply, BadQuestion):
                step = _retire(session, step, reply, ask)
                continue
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


def _aim(
    session: QuizSession, for_exam: bool | None, options: dict, console: Console
) -> ExamFocus | None:
    """Aim a quiz with no named topic at the exam (see `QuizSession.exam_focus`), saying so."""
    focus = session.exam_focus(for_exam, exam=options["exam"], topic=options["topic"])
    if focus is not None:
        console.print(
            f"[dim]Aimed at your exam: objectives {', '.join(focus.objectives)}"
            " (`tutor readiness` says why).[/]"
        )
    elif for_exam and not options["exam"] and options["topic"] is None:
        console.print("[dim]No exam blueprint to aim at: quizzing on your weakest topics.[/]")
    return focus


@dataclass(frozen=True)
class BadQuestion:
    """`!bad [why]`: the waiting question is faulty; `!bad-last [why]`: the one just graded."""

    why: str | None
    last: bool


BAD = re.compile(r"!bad(?P<last>-(?:last|previous))?(?:\s+(?P<why>.*))?", re.IGNORECASE)


def bad_question(line: str) -> BadQuestion | None:
    """The learner's "bad question" flag in an answer line, if it is one."""
    found = BAD.fullmatch(line.strip())
    if found is None:
        return None
    return BadQuestion((found["why"] or "").strip() or None, found["last"] is not None)


def _retire(session: QuizSession, step: QuizStep, flag: BadQuestion, console: Console) -> QuizStep:
    """Retire the flagged question and say so; the quiz goes on (`QuizSession.retire`)."""
    shown = step.question
    if flag.last and not step.summary and shown is not None and shown["number"] == 1:
        console.print("No question has been graded yet in this quiz.")
        return step
    step = session.retire(step.quiz, flag.why, previous=flag.last)
    which = "The question before this one" if flag.last else "That question"
    console.print(
        f"[yellow]{which} is retired:[/] you will not be asked it again and its grade no"
        " longer counts."
    )
    return step


def _read_answer() -> str:
    """One answer line from stdin ("" at the end of input)."""
    return sys.stdin.readline()


def _next_answer(
    question: dict, deadline: float | None, console: Console
) -> tuple[str, str | None] | BadQuestion | None:
    """The next answer in the form the question asks for, and how sure the learner was;
    a `BadQuestion` for `!bad`; None at the end of input or once time is up. A line in
    another form (empty, "7" for four options, "maybe" for true/false) is a slip, not
    evidence of what the learner knows: say what form is wanted and read the next line,
    as the app's quiz screen does."""
    from tutor.quiz.grading import answer_problem

    while line := _read_answer():
        if deadline is not None and time.monotonic() > deadline:
            console.print("Time is up.")
            return None
        if (flag := bad_question(line)) is not None:
            return flag
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
    from graphs.quiz.state import REASON_WORDS

    reason = REASON_WORDS.get(question.get("reason") or "", "")
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
    console.print(f"[dim]answer with {hint} (or !bad if the question is faulty)[/]")


def _show_feedback(graded: dict) -> None:
    # The grader's reason ("You named a different term: …"); absent in older quizzes.
    reason = graded.get("reason") or ""
    if graded["correct"]:
        why = re.sub(r"^Right[:,.]?\s*", "", reason)
        out.print("[green]Right.[/]" + (f" {escape(why[:1].upper() + why[1:])}" if why else ""))
    else:
        out.print(f"[red]Not quite.[/] The answer is: {escape(graded['key'])}", soft_wrap=True)
        if reason:
            out.print(reason, markup=False, soft_wrap=True)
    out.print(graded["explanation"], markup=False, soft_wrap=True)
    out.print(f"[dim]Source: {escape(graded['source'])}[/]", soft_wrap=True)


def _graded_json(graded: dict) -> dict:
    keys = ("topic", "kind", "question", "options", "answer_given", "correct", "key", "source")
    # `reason` is absent only from results graded before the grader said why.
    return {**{k: graded[k] for k in keys}, "reason": graded.get("reason", "")}


def section_lines(summary: dict) -> list[str]:
    """An exam's result against the pass mark, overall and per section of the blueprint,
    then the sections it could not examine."""
    from graphs.quiz.exam_plan import exam_result

    overall, sections, unexamined = exam_result(summary)
    lines = [overall, "By section of the exam:", *(f"  {line}" for line in sections)]
    return lines + ([unexamined] if unexamined else [])


def _show_summary(summary: dict) -> None:
    if not summary:
        return
    if summary.get("ended") == "no material":
        on = f" on {summary['topic']}" if summary.get("topic") else ""
        exam = "sections" in summary
        out.print(
            f"Ended early: the material has no more questions"
            f"{' on the exam' if exam else on}"
            f" ({summary.get('asked', 0)} of {summary.get('planned', 0)} asked)."
            + (" `tutor coverage` shows what to add." if exam else ""),
            markup=False,
            soft_wrap=True,
        )
    asked, correct = summary.get("asked", 0), summary.get("correct", 0)
    out.print(
        f"\n[bold]Score: {correct} of {asked}[/]"
        + (f" (of {summary['planned']} planned)" if asked < summary.get("planned", asked) else "")
    )
    if summary.get("offline_notice"):
        out.print(summary["offline_notice"], style="yellow", markup=False, soft_wrap=True)
    if "sections" in summary:
        for line in [*section_lines(summary), "By topic:"]:
            out.print(line, markup=False, soft_wrap=True)
    for row in summary.get("per_topic", []):
        out.print(f"  {row['title']}: {row['right']}/{row['total']}", markup=False)
    if summary.get("review"):
        out.print("[bold]Review[/]")
        for source in summary["review"]:
            out.print(f"  {source}", soft_wrap=True, markup=False)
    if summary.get("retired"):
        out.print(f"Retired as bad questions: {summary['retired']}", markup=False)
    if summary.get("weakest_topics"):
        names = ", ".join(t["title"] for t in summary["weakest_topics"])
        out.print(f"Weakest topics now: {names}", markup=False, soft_wrap=True)
