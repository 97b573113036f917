"""The embedding model through ONNX Runtime: the same vectors as sentence-transformers, exported
once and checked by hash, no torch on the question path, torch when it cannot be used."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tutor.config import Settings
from tutor.corpus.catalog import Catalog
from tutor.corpus.embeddings import Embedder
from tutor.corpus.index import _embedding_input
from tutor.corpus.onnx_encoder import MANIFEST_FILE, MODEL_FILE
from tutor.corpus.sentences import reading_texts

pytestmark = pytest.mark.slow


def export_of(embedder: Embedder) -> Path:
    assert embedder.onnx_cache is not None
    (folder,) = [p for p in embedder.onnx_cache.iterdir() if p.is_dir() and p.name[0] != "."]
    return folder


def test_the_same_vectors_as_sentence_transformers(embedder, indexed_data_dir):
    catalog = Catalog(Settings(data_dir=indexed_data_dir).catalog_path, readonly=True)
    try:
        records = list(catalog.records(catalog.chunk_ids()).values())
    finally:
        catalog.close()
    texts = [_embedding_input(r) for r in records] + [
        t for r in records[:20] for t in reading_texts(r.text)
    ]
    torch_run = Embedder()

    onnx_vectors, torch_vectors = embedder.embed(texts), torch_run.embed(texts)

    assert embedder.runtime == "onnx" and torch_run.runtime == "torch"
    cosines = (onnx_vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= 0.999
    # a question alone (one thread) and in a batch give the same vector
    question = "How does vector search find chunks?"
    assert np.allclose(embedder.embed_query(question), embedder.embed([question])[0], atol=1e-5)


def test_the_export_is_made_once_and_checked_by_its_hash(embedder, tmp_path):
    cache = tmp_path / "models"
    shutil.copytree(embedder.onnx_cache, cache)
    folder = cache / export_of(embedder).name
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    before = (folder / MODEL_FILE).stat().st_mtime_ns

    reused = Embedder(onnx_cache=cache)
    vector = reused.embed_query("What is PCA?")
    assert reused.runtime == "onnx"
    assert (folder / MODEL_FILE).stat().st_mtime_ns == before  # loaded, not exported again

    # a damaged file no longer matches its manifest: it is exported again, not used
    with (folder / MODEL_FILE).open("r+b") as file:
        file.seek(4096)
        file.write(b"\x00" * 64)
    from tutor.corpus import embeddings

    embeddings._ENCODERS.clear()  # a new process, as far as the model goes
    repaired = Embedder(onnx_cache=cache)
    assert np.allclose(repaired.embed_query("What is PCA?"), vector, atol=1e-5)
    assert (
        json.loads((folder / MANIFEST_FILE).read_text())["model_sha256"]
        == (manifest["model_sha256"])
    )


def test_without_a_usable_export_folder_torch_embeds(tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the exports would go")

    fallback = Embedder(onnx_cache=blocked)
    vectors = fallback.embed(["What is PCA?"])

    assert fallback.runtime == "torch" and fallback.onnx_problem
    assert vectors.shape == (1, 384)
    assert "embedding with torch" in caplog.text


def test_the_settings_choose_the_runtime(monkeypatch, tmp_path):
    assert Embedder.for_settings(Settings()).onnx_cache == Settings().onnx_cache_path
    monkeypatch.delenv("TUTOR_MODELS_DIR")
    assert Settings().onnx_cache_path == Settings().data_dir / "models"
    monkeypatch.setenv("TUTOR_EMBEDDING_RUNTIME", "torch")
    assert Embedder.for_settings(Settings()).onnx_cache is None


def test_a_question_from_the_shell_imports_no_torch(embedder, indexed_data_dir):
    script = (
        "import sys\n"
        "from tutor.config import Settings\n"
        "from tutor.corpus.search import HybridRetriever\n"
        "retriever = HybridRetriever.open(Settings())\n"
        "passages = retriever.search('What is principal component analysis?', 3)\n"
        "print(retriever.embedder.runtime, len(passages))\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "TUTOR_DATA_DIR": str(indexed_data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["onnx 3", "[]"]


def test_the_doctor_names_the_runtime_and_checks_the_export(embedder, monkeypatch, tmp_path):
    from tutor.runtime.doctor import check_embedding

    monkeypatch.setenv("TUTOR_MODELS_DIR", str(embedder.onnx_cache))
    ready = check_embedding(Settings())
    assert ready.ok and "SHA-256 matches" in ready.detail

    monkeypatch.setenv("TUTOR_MODELS_DIR", str(tmp_path / "none-yet"))
    assert "exported at the next" in check_embedding(Settings()).detail

    cache = tmp_path / "models"
    shutil.copytree(embedder.onnx_cache, cache)
    (cache / export_of(embedder).name / MODEL_FILE).write_bytes(b"not a model")
    monkeypatch.setenv("TUTOR_MODELS_DIR", str(cache))
    damaged = check_embedding(Settings())
    assert not damaged.ok and not damaged.required
    assert "does not match its manifest" in damaged.detail

    monkeypatch.setenv("TUTOR_EMBEDDING_RUNTIME", "torch")
    assert check_embedding(Settings()).detail.startswith("torch")
