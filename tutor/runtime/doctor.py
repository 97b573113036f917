"""`tutor doctor`: what state the tutor's stores and services are in, one check per line."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field

from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import resolve_model_path
from tutor.corpus.onnx_encoder import OnnxEncoder, export_folder
from tutor.corpus.repair import find_drift
from tutor.corpus.reranker import Reranker
from tutor.corpus.vectors import VectorStore, describe
from tutor.errors import TutorError
from tutor.learner.store import LearnerStore
from tutor.llm import server_status

OLLAMA_TIMEOUT = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True
    """A failed optional check (Ollama) is reported but does not fail `tutor doctor`."""
    figures: dict[str, int] | None = field(default=None)
    """Numbers behind the check, for scripts (the drift check's counts)."""
    items: dict[str, dict[str, int]] | None = field(default=None)
    """The question bank check: usable questions per topic and kind."""

    def to_dict(self) -> dict:
        data = asdict(self)
        for optional in ("figures", "items"):
            if data[optional] is None:
                del data[optional]
        return data


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    if not path.exists():
        return Check("data dir", True, f"{path} (not created yet; `tutor index` creates it)")
    if not os.access(path, os.W_OK):
        return Check("data dir", False, f"{path} is not writable")
    return Check("data dir", True, str(path))


def check_index(settings: Settings) -> Check:
    """The catalog's state: chunks, files, model, last run, unfinished work."""
    try:
        catalog = Catalog.open_for_reading(settings.catalog_path)
    except TutorError as error:
        return Check("index", False, str(error))
    if catalog is None:
        return Check("index", False, "empty: run `tutor index`")
    try:
        chunks, files = catalog.count_chunks(), catalog.count_files()
        model = catalog.get_meta("embedding_model")
        last = catalog.get_meta("last_indexed")
        pending = len(catalog.pending_ids())
        unsentenced = len(catalog.unsentenced_ids())
    finally:
        catalog.close()
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(last))) if last else "never"
    detail = f"{chunks} chunks from {files} files, model {model}, last indexed {when}"
    if chunks == 0:
        return Check("index", False, "empty: run `tutor index`")
    if pending:
        return Check("index", False, f"{detail}; {pending} chunks unfinished: run `tutor index`")
    if model != settings.embedding_model:
        return Check(
            "index",
            False,
            f"{detail}; set to {settings.embedding_model}: run `tutor index --rebuild`",
        )
    if unsentenced:
        detail += (
            f"; {unsentenced} chunks without sentence vectors (slower search): run `tutor index`"
        )
    return Check("index", True, detail)


def check_vectors(settings: Settings) -> Check:
    """The vector store answers; whether it agrees with the catalog is `check_drift`'s."""
    mode = describe(settings)
    try:
        count = VectorStore(settings, create=False, check_model=False).count()
    except TutorError as error:
        return Check("chroma", False, str(error))
    return Check("chroma", True, f"{mode}, {count} vectors")


def check_drift(settings: Settings) -> list[Check]:
    """One check per kind of disagreement between the files, the manifest, the lexical
    index and Chroma, each carrying all the drift figures; none if nothing was indexed."""
    try:
        drift = find_drift(settings)
    except TutorError as error:
        return [Check("drift", False, f"cannot compare the stores: {error}")]
    if drift is None:
        return []
    figures = drift.to_dict()
    problems = drift.problems()
    if not problems:
        agree = "files, manifest, lexical index and Chroma agree"
        return [Check("drift", True, agree, figures=figures)]
    return [
        Check("drift", False, f"{problem}; run `tutor doctor --repair`", figures=figures)
        for problem in problems
    ]


def check_ollama(settings: Settings) -> Check:
    """Server reachable, its version, and whether the configured chat model is pulled.
    Optional: without Ollama the tutor answers offline from the material."""
    status = server_status(settings, timeout=OLLAMA_TIMEOUT)
    if not status.reachable:
        return Check("ollama", False, f"{status.error}; answers are offline", required=False)
    version = f"Ollama {status.version}" if status.version else "Ollama"
    detail = f"{version} at {status.url}, {len(status.models)} models pulled"
    if not status.model_present:
        return Check(
            "ollama",
            False,
            f"{detail}; '{status.model}' is missing: run `tutor pull {status.model}`",
            required=False,
        )
    window = status.context_length
    if window is not None and settings.num_ctx > window:
        return Check(
            "ollama",
            False,
            f"{detail}; TUTOR_NUM_CTX={settings.num_ctx} is more than '{status.model}' "
            f"supports ({window} tokens): lower it",
            required=False,
        )
    context = f" (context {settings.num_ctx} of {window} tokens)" if window else ""
    return Check("ollama", True, f"{detail}, '{status.model}' ready{context}", required=False)


def check_learner(settings: Settings) -> Check:
    """The learner store: readable, its schema, and how much it holds."""
    try:
        with LearnerStore.open(settings, readonly=True) as store:
            info = store.summary()
    except TutorError as error:
        return Check("learner", False, str(error))
    if not info["exists"]:
        return Check("learner", True, "no progress recorded yet")
    return Check(
        "learner",
        True,
        f"schema {info['schema']}, {info['learners']} learners, {info['events']} events, "
        f"{info['sessions']} conversations and quizzes, {info['answers']} quiz answers, "
        f"{info['retired']} questions retired as bad",
    )


QUIZ_LENGTH = 5
"""A topic with fewer usable questions of a kind than this cannot fill a default quiz."""
KINDS = ("mc", "tf", "cloze")
"""The kinds an offline quiz asks (short answers need the model)."""


def check_questions(settings: Settings) -> Check:
    """What the offline question bank can ask, per topic and kind, and the topics that
    cannot fill a `QUIZ_LENGTH`-question quiz of a kind (`tutor quiz --topic` would end
    early). Optional: a thin topic is the material's limit, not a fault."""
    from tutor.corpus.topics import load_topics
    from tutor.quiz.bank import QuestionBank

    try:
        catalog = Catalog.open_for_reading(settings.catalog_path)
        if catalog is None:
            return Check("questions", False, "no index yet: run `tutor index`", required=False)
        try:
            records = catalog.records(catalog.chunk_ids()).values()
            topics = load_topics(settings.topics_path)
            counts = QuestionBank.build(records, topics).kind_counts()
        finally:
            catalog.close()
    except TutorError as error:
        return Check("questions", False, str(error), required=False)
    items = {
        t.id: {kind: counts.get(t.id, {}).get(kind, 0) for kind in KINDS} for t in topics.topics
    }
    thin = {
        topic: [f"{kind} {n}" for kind, n in row.items() if n < QUIZ_LENGTH]
        for topic, row in items.items()
    }
    thin = {topic: kinds for topic, kinds in thin.items() if kinds}
    total = sum(sum(row.values()) for row in items.values())
    detail = f"{total} usable offline questions over {len(items)} topics"
    if not thin:
        return Check("questions", True, detail, required=False, items=items)
    listed = "; ".join(f"{topic} ({', '.join(kinds)})" for topic, kinds in thin.items())
    return Check(
        "questions",
        False,
        f"{detail}; fewer than {QUIZ_LENGTH} of a kind, so a quiz on it ends early: {listed}",
        required=False,
        items=items,
    )


def check_reranker(settings: Settings) -> list[Check]:
    """The cross-encoder set with TUTOR_RERANKER, when one is: does it load?"""
    if settings.reranker is None:
        return []
    reranker = Reranker(settings.reranker)
    try:
        reranker.load()
    except TutorError as error:
        detail = f"{error}; search re-ranks passages by their sentences instead"
        return [Check("reranker", False, detail, required=False)]
    return [Check("reranker", True, f"{reranker.path} (cross-encoder loaded)", required=False)]


def check_embedding(settings: Settings) -> Check:
    """How the embedding model runs; an ONNX export's hash is checked, none is made."""
    if settings.embedding_runtime == "torch":
        return Check("embedding", True, "torch (TUTOR_EMBEDDING_RUNTIME=torch)")
    try:
        path = resolve_model_path(settings.embedding_model)
        folder = export_folder(settings.onnx_cache_path, settings.embedding_model, path)
        if not folder.is_dir():
            return Check("embedding", True, "onnx; exported at the next `tutor index` or question")
        OnnxEncoder(folder)
    except TutorError as error:
        detail = f"{error}; it is exported again at the next use (torch embeds if that fails)"
        return Check("embedding", False, detail, required=False)
    return Check("embedding", True, f"onnx, {folder} (SHA-256 matches)")


def run_checks(settings: Settings) -> list[Check]:
    vectors_check = check_vectors(settings)
    return [
        check_data_dir(settings),
        check_index(settings),
        check_embedding(settings),
        vectors_check,
        *(check_drift(settings) if vectors_check.ok else []),
        check_learner(settings),
        check_questions(settings),
        check_ollama(settings),
        *check_reranker(settings),
    ]
