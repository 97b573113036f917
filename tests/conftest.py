"""Shared fixtures: an isolated data dir per test, one real embedding model per session,
a real Chroma server on loopback, and the project corpus indexed once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.fake_ollama import fake_ollama  # noqa: F401  (a fixture)
from tutor.config import PROJECT_CORPUS, Settings
from tutor.corpus.embeddings import Embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def onnx_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the embedding model's ONNX export, shared by every test's data dir
    (and the tutor processes tests start), so it is exported once per run."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, onnx_models_dir: Path) -> Path:
    """Every test gets its own data dir and sees no settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("TUTOR_") or name == "OLLAMA_HOST":
            monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(PROJECT_CORPUS))
    monkeypatch.setenv("TUTOR_CONFIG_FILE", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the app's crash log
    # Nothing listens here, so an accidental Ollama call fails fast instead of hanging.
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("TUTOR_MODELS_DIR", str(onnx_models_dir))
    return data_dir


@pytest.fixture(scope="session")
def embedder(onnx_models_dir: Path) -> Embedder:
    """The real packaged MiniLM as the tutor runs it (ONNX), loaded once for the run."""
    model = Embedder(onnx_cache=onnx_models_dir)
    model.embed(["warm up"])
    assert model.runtime == "onnx", model.onnx_problem
    return model


class CountingEmbedder(Embedder):
    """The real embedder, counting how many texts it embeds."""

    def __init__(self, onnx_cache: Path | None = None) -> None:
        super().__init__(onnx_cache=onnx_cache)
        self.texts_embedded = 0

    def _vectors(self, texts, *, one_thread):
        self.texts_embedded += len(texts)
        return super()._vectors(texts, one_thread=one_thread)


@pytest.fixture
def counting_embedder(embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder.onnx_cache)


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return Settings()


def copy_corpus(destination: Path) -> Path:
    """A private copy of the project corpus that a test may edit."""
    shutil.copytree(PROJECT_CORPUS, destination)
    return destination


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def indexed_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A data dir holding the project corpus, indexed once; tests must only read it."""
    from tutor.corpus.index import Indexer

    data_dir = tmp_path_factory.mktemp("indexed") / "data"
    Indexer(Settings(data_dir=data_dir, corpus_dir=PROJECT_CORPUS), embedder).run()
    return data_dir


@pytest.fixture
def indexed_settings(indexed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TUTOR_DATA_DIR", str(indexed_data_dir))
    return Settings()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"chroma run exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Chroma server did not start on port {port}")


def start_chroma_server(path: Path) -> tuple[str, subprocess.Popen]:
    """A `chroma run` server on a free loopback port, once it accepts connections."""
    port = _free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
    except RuntimeError:
        process.kill()
        raise
    return f"http://127.0.0.1:{port}", process


@pytest.fixture(scope="session")
def chroma_server_url(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` server: the one CI started (TUTOR_TEST_CHROMA_URL) or our own."""
    url = os.environ.get("TUTOR_TEST_CHROMA_URL")
    if url:
        yield url
        return
    url, process = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def server_settings(chroma_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings using the Chroma server, with a collection no other test touches."""
    monkeypatch.setenv("TUTOR_CHROMA_URL", chroma_server_url)
    monkeypatch.setenv("TUTOR_CHROMA_COLLECTION", f"test_{uuid.uuid4().hex[:12]}")
    return Settings()


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def home(indexed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable data dir holding the indexed project corpus (a copy per test)."""
    data_dir = tmp_path / "home"
    shutil.copytree(indexed_data_dir, data_dir)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data_dir))
    return data_dir
