"""`tutor doctor`: what state the tutor's stores and services are in, one check per line."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from tutor.catalog import Catalog
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner import LearnerStore
from tutor.llm import server_status
from tutor.vectors import VectorStore, describe

OLLAMA_TIMEOUT = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True
    """A failed optional check (Ollama) is reported but does not fail `tutor doctor`."""

    def to_dict(self) -> dict:
        return asdict(self)


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    if not path.exists():
        return Check("data dir", True, f"{path} (not created yet; `tutor index` creates it)")
    if not os.access(path, os.W_OK):
        return Check("data dir", False, f"{path} is not writable")
    return Check("data dir", True, str(path))


def check_index(settings: Settings) -> tuple[Check, int | None]:
    """The catalog's state, and its chunk count for comparing with the vector store."""
    try:
        catalog = Catalog.open_for_reading(settings.catalog_path)
    except TutorError as error:
        return Check("index", False, str(error)), None
    if catalog is None:
        return Check("index", False, "empty: run `tutor index`"), None
    try:
        chunks, files = catalog.count_chunks(), catalog.count_files()
        model = catalog.get_meta("embedding_model")
        last = catalog.get_meta("last_indexed")
        pending = len(catalog.pending_ids())
    finally:
        catalog.close()
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(last))) if last else "never"
    detail = f"{chunks} chunks from {files} files, model {model}, last indexed {when}"
    if chunks == 0:
        return Check("index", False, "empty: run `tutor index`"), 0
    if pending:
        return Check(
            "index", False, f"{detail}; {pending} chunks unfinished: run `tutor index`"
        ), chunks
    if model != settings.embedding_model:
        return Check(
            "index",
            False,
            f"{detail}; set to {settings.embedding_model}: run `tutor index --rebuild`",
        ), chunks
    return Check("index", True, detail), chunks


def check_vectors(settings: Settings, expected: int | None) -> Check:
    mode = describe(settings)
    try:
        count = VectorStore(settings, create=False, check_model=False).count()
    except TutorError as error:
        return Check("chroma", False, f"{mode}: {error}")
    if expected is not None and count != expected:
        return Check(
            "chroma",
            False,
            f"{mode}: {count} vectors for {expected} chunks; run `tutor index` to repair",
        )
    return Check("chroma", True, f"{mode}, {count} vectors")


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
        f"{info['sessions']} conversations and quizzes, {info['answers']} quiz answers",
    )


def run_checks(settings: Settings) -> list[Check]:
    index_check, chunks = check_index(settings)
    return [
        check_data_dir(settings),
        index_check,
        check_vectors(settings, chunks),
        check_learner(settings),
        check_ollama(settings),
    ]
