"""The `tutor` command: a thin layer over the Python API."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.text import printable_name, source_citation

app = typer.Typer(
    help="A study tutor for the Databricks Certified Generative AI Engineer Associate exam. "
    "Run `tutor` alone in a terminal to open the app.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.callback(invoke_without_command=True)
def open_app(context: typer.Context) -> None:
    """`tutor` alone opens the app in a terminal, and prints this help anywhere else."""
    if context.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        from tutor.tui.app import run

        run()
    else:
        print(context.get_help())


def fail(message: str, code: int = 1) -> typer.Exit:
    _say_error(message)
    return typer.Exit(code)


def _say_error(message: object, label: str = "error:") -> None:
    """One line on stderr. The message often quotes what the learner typed, a path or an
    exception's text: shown as plain text (never markup) with control characters as "?"."""
    line = printable_name(" ".join(str(message).split()))
    err.print(Text.assemble((label, "bold red"), " ", line), soft_wrap=True)


def command(function: Callable[P, None]) -> Callable[P, None]:
    """Register a command whose learner-facing errors end it with one line on stderr."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            function(*args, **kwargs)
        except TutorError as error:
            raise fail(str(error)) from None

    return app.command()(run)


@command
def index(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to index (default: the corpus folder)."),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the whole index and build it again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Index study material incrementally: only new or changed files are embedded."""
    from tutor.corpus.index import Indexer

    settings = Settings()
    show_progress = not as_json and err.is_terminal
    with _progress_bar(show_progress) as progress:
        summary = Indexer(settings, progress=progress).run(paths or None, rebuild=rebuild)
    if as_json:
        print(json.dumps(summary.to_dict()))
    else:
        out.print(
            f"Indexed {summary.files_indexed} of {summary.files_seen} files in "
            f"{summary.seconds:.1f}s: {summary.chunks_added} chunks added, "
            f"{summary.chunks_removed} removed, {summary.chunks_unchanged} unchanged."
        )
        for skipped in summary.skipped:
            out.print(f"  skipped {skipped.path}: {skipped.reason}", soft_wrap=True, markup=False)
    if not summary.usable:
        where = ", ".join(str(p) for p in paths) if paths else str(settings.corpus_dir)
        raise fail(f"nothing usable to index in {where}")


class _progress_bar:
    """A rich progress bar on a terminal; a no-op callback otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        self.bar = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.bar.start()
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        assert self.bar is not None
        label = {"read": "Reading files", "load": "Loading model", "embed": "Embedding chunks"}.get(
            stage, stage
        )
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@command
def search(
    query: Annotated[
        str, typer.Argument(help="What to look for; '-' reads one query per line from stdin.")
    ],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages to return.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Find the passages of the study material that best answer a question."""
    from tutor.corpus.search import HybridRetriever

    retriever = HybridRetriever.open(Settings())
    try:
        if query == "-":
            # One model load serves every query; one JSON line per query, in order.
            for line in sys.stdin:
                passages = retriever.search(line.strip(), k) if line.strip() else []
                print(json.dumps([p.to_dict() for p in passages]), flush=True)
            return
        passages = retriever.search(query, k)
    finally:
        retriever.close()
    if as_json:
        print(json.dumps([p.to_dict() for p in passages], indent=2))
        return
    if not passages:
        out.print("No passages match that query. Try other words, or check `tutor doctor`.")
        return
    for passage in passages:
        out.print(f"[bold][{passage.rank}][/] [cyan]{escape(passage.citation)}[/]", soft_wrap=True)
        out.print(_excerpt(passage.text), soft_wrap=True, markup=False)
        out.print()


def _excerpt(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


LearnerOption = Annotated[
    str | None,
    typer.Option("--learner", help="Whose progress to use (default: TUTOR_LEARNER or 'default')."),
]
MAX_QUESTION_CHARS = 20_000


@command
def ask(
    question: Annotated[str, typer.Argument(help="Your question; '-' reads it from stdin.")],
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            help="Continue a conversation (an id or prefix from `tutor sessions`).",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Answer from the material alone, without a model.")
    ] = False,
    socratic: Annotated[
        bool | None,
        typer.Option(
            "--socratic/--no-socratic",
            help="Guide with hints and a question back; stays on for the conversation.",
        ),
    ] = None,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the tutor: an answer from the study material, with its sources cited."""
    from tutor.llm import OllamaError
    from tutor.runtime.chat import TutorChat

    text = sys.stdin.read() if question == "-" else question
    if not text.strip():
        raise fail("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise fail(f"the question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    # Loading the embedding model and a cold chat model take seconds: say so on a terminal.
    waiting = err.status("Getting ready…") if err.is_terminal and not as_json else None
    if waiting is not None:
        waiting.start()

    def on_token(piece: str) -> None:
        if waiting is not None:
            waiting.stop()
        _print_token(piece)

    try:
        chat = TutorChat.open(Settings(), offline=offline, learner=learner)
        if waiting is not None:
            waiting.update("Thinking…")
        try:
            thread = chat.resolve_session(session)
            result = chat.ask(
                text, session=thread, socratic=socratic, on_token=None if as_json else on_token
            )
        except OllamaError as error:
            if error.started and not as_json:
                print(flush=True)
            raise fail(f"{error} (nothing was saved)") from None
        finally:
            chat.close()
    finally:
        if waiting is not None:
            waiting.stop()
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
        return
    if result.streamed:
        if result.check:
            print(f"\n\nQuick check: {result.check}\n(Reply with the missing term, or `skip`.)")
        else:
            print()
    else:
        print(result.answer)
    if result.sources:
        out.print("\n[bold]Sources[/]")
        for source in result.sources:
            out.print(
                f"  [{source['n']}] {source_citation(source)}",
                soft_wrap=True,
                markup=False,
            )
    thread = escape(thread)
    err.print(f'[dim]conversation {thread}: continue with `tutor ask -s {thread} "…"`[/]')


def _print_token(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


KindOption = Annotated[
    str,
    typer.Option(
        "--kind",
        help="mc (multiple choice), tf (true/false), short (short answer), or mixed.",
    ),
]
QUIZ_KINDS = ("mc", "tf", "short", "mixed")


@command
def quiz(
    topic: Annotated[
        str | None,
        typer.Option("--topic", help="Stay on one topic (an id from `tutor progress --json`)."),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=200, help="How many questions.")] = 5,
    kind: KindOption = "mixed",
    offline: Annotated[
        bool, typer.Option("--offline", help="Questions built from the material, no model.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue your last unfinished quiz or exam.")
    ] = False,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Quiz yourself: due reviews first, then your weakest topics. Answers are read from
    stdin, one per line (a letter or the option for multiple choice, True/False, or a few
    words; a line in another form is asked again); end an answer with ' !' if you were
    sure or ' ?' if you guessed."""
    if kind not in QUIZ_KINDS:
        raise fail(f"--kind must be one of {', '.join(QUIZ_KINDS)}, not {kind!r}")
    _run_quiz(
        dict(n=n, kind=kind, topic=topic, exam=False),
        offline=offline,
        learner=learner,
        as_json=as_json,
        minutes=None,
        resume=resume,
    )


@command
def exam(
    n: Annotated[
        int, typer.Option("--n", min=1, max=200, help="How many questions (the real exam has 92).")
    ] = 20,
    minutes: Annotated[
        float | None, typer.Option("--minutes", min=1, help="A time limit; none by default.")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Questions built from the material, no model.")
    ] = False,
    learner: LearnerOption = None,
    as_json: JsonOption = False,
) -> None:
    """An exam simulation: questions spread over the topics by their weight in the material,
    no feedback until the end, then a report per topic and what to review."""
    _run_quiz(
        dict(n=n, kind="mixed", topic=None, exam=True),
        offline=offline,
        learner=learner,
        as_json=as_json,
        minutes=minutes,
    )


def _run_quiz(
    options: dict,
    *,
    offline: bool,
    learner: str | None,
    as_json: bool,
    minutes: float | None,
    resume: bool = False,
) -> None:
    from tutor.runtime.chat import open_checkpointer, open_context
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
        context = open_context(settings, offline=offline, learner=learner)
    except BaseException:
        if waiting is not None:
            waiting.stop()
        raise
    if context.chat_model is None and context.offline_reason and not offline:
        err.print(f"[dim]Offline: {escape(context.offline_reason)}[/]", soft_wrap=True)
    session = QuizSession(context, open_checkpointer(settings))
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


export_app = typer.Typer(help="Export your questions for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("anki")
def export_anki(
    path: Annotated[Path, typer.Argument(help="The .apkg file to write.")],
    learner: LearnerOption = None,
) -> None:
    """An Anki deck of the questions you have answered; the ones you missed are tagged."""
    try:
        from tutor.learner.anki import export_deck
        from tutor.learner.store import LearnerStore

        settings = Settings()
        with LearnerStore.open(settings, readonly=True) as store:
            answered = store.answered_questions(learner or settings.learner)
        if not answered:
            raise fail("no answered questions yet: take a quiz with `tutor quiz` first")
        try:
            count = export_deck(answered, path)
        except OSError as error:
            raise fail(f"cannot write {path}: {error.strerror or error}") from None
        missed = sum(1 for _, _, wrong in answered if wrong)
        out.print(f"Wrote {count} questions ({missed} tagged missed) to {path}.", markup=False)
    except TutorError as error:
        raise fail(str(error)) from None


@command
def sessions(
    learner: LearnerOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to list.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List conversations, most recent first; continue one with `tutor ask --session ID`."""
    from tutor.learner.store import LearnerStore

    settings = Settings()
    with LearnerStore.open(settings, readonly=True) as store:
        found = store.sessions(learner or settings.learner, limit=limit)
    if as_json:
        print(json.dumps([s.to_dict() for s in found], indent=2))
        return
    if not found:
        out.print('No conversations yet: start one with `tutor ask "…"`.')
        return
    table = Table(box=None, header_style="bold")
    for column in ("id", "last active", "turns", "mode", "started with"):
        table.add_column(column)
    for info in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated_at))
        # Text cells: a title is what the learner typed, and "[/x]" in it is not markup.
        table.add_row(info.id, when, str(info.turns), info.mode or "", Text(info.title))
    out.print(table)


@command
def progress(learner: LearnerOption = None, as_json: JsonOption = False) -> None:
    """Your mastery per topic, weakest first, with the evidence behind each estimate."""
    from tutor.corpus.topics import load_topics
    from tutor.learner.scheduling import when_due
    from tutor.learner.store import LearnerStore, iso_utc

    settings = Settings()
    topics = load_topics(settings.topics_path)
    name = learner or settings.learner
    with LearnerStore.open(settings, readonly=True) as store:
        rows = store.weak_topics(name, topics.topics, len(topics.topics))
        reviews = store.next_reviews(name)
    if as_json:
        print(
            json.dumps(
                [{**row.to_dict(), "next_review": iso_utc(reviews.get(row.topic))} for row in rows],
                indent=2,
            )
        )
        return
    table = Table(box=None, header_style="bold")
    for column in ("topic", "mastery", "", "right", "review", "why"):
        table.add_column(column, overflow="fold")
    now = time.time()
    for row in rows:
        m = row.mastery
        bar = "█" * round(m.mastery * 10) + "░" * (10 - round(m.mastery * 10))
        table.add_row(
            Text(row.title),
            bar,
            f"{m.mastery:.0%}",
            f"{m.correct}/{m.attempts}",
            when_due(reviews.get(row.topic), now),
            Text(row.reason),
        )
    out.print(table)


@command
def pull(
    model: Annotated[
        str | None, typer.Argument(help="The Ollama model (default: TUTOR_OLLAMA_MODEL).")
    ] = None,
) -> None:
    """Download a chat model into the Ollama server, with a progress bar."""
    from tutor.llm import PullProgress, pull_model

    settings = Settings()
    name = model or settings.ollama_model
    bars: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description:<24}", markup=False),  # the server's words
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:

        def show(step: PullProgress) -> None:
            key = step.digest or step.status
            label = (step.digest or step.status)[:24].replace("sha256:", "")
            if key not in bars:
                bars[key] = bar.add_task(label, total=step.total)
            bar.update(bars[key], completed=step.completed or 0, total=step.total)

        pull_model(settings, name, show)
    out.print(f"Pulled {name}; `tutor ask` will use it.", markup=False)


@command
def doctor(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="First make the index agree with the files: reindex changed files, rebuild "
            "lost catalog rows and full-text entries, fix or drop wrong vectors (embedding "
            "only chunks that have no usable vector).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the data dir, the index (and drift between its stores), the vector store and
    Ollama, and say what is wrong."""
    from tutor.runtime.doctor import run_checks

    settings = Settings()
    repaired = None
    if repair:
        from tutor.corpus.repair import repair_index

        with _progress_bar(not as_json and err.is_terminal) as progress:
            repaired = repair_index(settings, progress=progress)
        if not as_json:
            out.print(repaired.describe(), soft_wrap=True, markup=False)
    checks = run_checks(settings)
    if as_json:
        listed = [c.to_dict() for c in checks]
        data = {"repair": repaired.to_dict(), "checks": listed} if repaired else listed
        print(json.dumps(data, indent=2))
    else:
        for check in checks:
            mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
            out.print(f"{mark} {escape(f'{check.name:<12} {check.detail}')}", soft_wrap=True)
    if not all(c.ok for c in checks if c.required):
        raise typer.Exit(1)


def main() -> None:
    """Entry point: learner-facing errors become one line on stderr, never a traceback."""
    try:
        app()
    except TutorError as error:
        _say_error(error)
        sys.exit(1)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        _say_error(f"invalid setting: {problems}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as error:  # last resort: say what broke in one line
        if os.environ.get("TUTOR_DEBUG"):
            raise
        trouble = _storage_trouble(error)
        if trouble is not None:
            _say_error(trouble)
            sys.exit(1)
        _say_error(
            f"{type(error).__name__}: {error} (run with TUTOR_DEBUG=1 for details)",
            label="internal error:",
        )
        sys.exit(2)


# What to do about a file that cannot be read or written, by errno.
def _storage_trouble(error: Exception) -> str | None:
    """A file or database the tutor could not read or write, said in one line; None when
    the error is something else. The stores word their own errors; this catches the rest."""
    from tutor.storage import storage_hint, storage_problem

    if isinstance(error, sqlite3.OperationalError) and storage_hint(error):
        return f"cannot read or write the data in {_data_dir()}: {storage_problem(error)}"
    if isinstance(error, OSError) and (error.filename is not None or storage_hint(error)):
        where = error.filename if error.filename is not None else _data_dir()
        if isinstance(where, bytes):
            where = os.fsdecode(where)
        return f"cannot read or write {where}: {storage_problem(error)}"
    return None


def _data_dir() -> str:
    try:
        return str(Settings().data_dir)
    except Exception:  # the settings themselves may be what is broken
        return "the data dir"
