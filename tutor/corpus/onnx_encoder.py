"""The embedding model run by ONNX Runtime and `tokenizers`: the vectors sentence-transformers
gives, without importing torch (a CLI question starts in a fraction of a second), and
batches encoded faster.

The ONNX file is exported once from the sentence-transformers model (`export`), kept in the
data dir beside a manifest naming its SHA-256, and checked against it when loaded. An export
is kept only if it gives the same vectors as the model it came from on probe texts.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tutor.errors import TutorError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EXPORT_VERSION = 1
"""Bumped when the export itself changes, so older exports are made again."""
MIN_COSINE = 0.999
"""How close an export's vectors must be to the model's (they are ~0.9999999 for MiniLM)."""
PROBES = [
    "What is principal component analysis?",
    "Retrieval-augmented generation grounds a model's answer in retrieved passages.",
    "RLHF",
    "Unity Catalog tracks lineage, secures access, and ensures compliance in environments "
    "where regulations and ethical guardrails cannot be ignored; MLflow tracks experiments.",
]
"""Texts an export is checked on: a question, a sentence, an acronym, a long sentence."""
MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE = "model.onnx", "tokenizer.json", "manifest.json"
BATCH = 8
"""Texts per ONNX Runtime call. Small batches of like length run fastest on CPU (504 index
texts on 2 cores: 168/s at 8, 134/s at 32, 100/s at 64; torch at 64: ~125/s)."""


class OnnxUnavailable(TutorError):
    """This model cannot be run through ONNX here (not exportable, or the export differs)."""


def source_digest(model_path: Path) -> str:
    """Names the model's files as they are (path, size, modification time): a retrained
    model saved over the same folder gets a new export."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION}".encode())
    for file in sorted(p for p in model_path.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(model_path)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def export_folder(cache_dir: Path, name: str, model_path: Path) -> Path:
    """Where the export of the model `name` (found at `model_path`) is kept."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip("-") or "model"
    return cache_dir / f"{label}-{source_digest(model_path)[:16]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    model_sha256: str
    dimension: int
    max_seq_length: int
    source: str

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            return cls(
                str(data["model_sha256"]),
                int(data["dimension"]),
                int(data["max_seq_length"]),
                str(data["source"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise OnnxUnavailable(f"the ONNX export in {folder} is unreadable ({error})") from None


class OnnxEncoder:
    """Mean-pooled, normalised MiniLM vectors from an exported folder.

    Two sessions, made when first needed: one thread for a question (a second thread only
    waits on the other core), every core for a batch."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest = Manifest.read(folder)
        model = folder / MODEL_FILE
        if not model.is_file() or _sha256(model) != self.manifest.model_sha256:
            raise OnnxUnavailable(f"the ONNX export in {folder} does not match its manifest")
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()  # batches are padded here, by length
        self.tokenizer.enable_truncation(self.manifest.max_seq_length)
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.manifest.dimension

    def _session(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = threads  # 0: every core
                options.log_severity_level = 3
                self._sessions[threads] = onnxruntime.InferenceSession(
                    str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def encode(self, texts: list[str], *, batch_size: int = BATCH, one_thread: bool = False):
        """Unit-length float32 rows in the order of `texts`. Texts are batched by length,
        so a batch pads little."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self._session(1 if one_thread else 0)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda n: len(encodings[n].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(encodings[n].ids) for n in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, n in enumerate(batch):
                length = len(encodings[n].ids)
                ids[row, :length] = encodings[n].ids
                mask[row, :length] = encodings[n].attention_mask
                types[row, :length] = encodings[n].type_ids
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.clip(norms, 1e-12, None)
        return out


def export(model: SentenceTransformer, model_path: Path, folder: Path) -> None:
    """Export the sentence-transformers `model` (loaded from `model_path`) into `folder`,
    written aside and moved in whole, and kept only if its vectors match the model's."""
    modules = [type(m).__name__ for m in model]
    pooling = getattr(model[1], "pooling_mode_mean_tokens", None) if len(model) > 1 else None
    if modules != ["Transformer", "Pooling", "Normalize"] or pooling is False:
        raise OnnxUnavailable(
            f"the embedding model {model_path} is not a mean-pooled, normalised transformer"
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        _export_transformer(model, staging / MODEL_FILE)
        model.tokenizer.backend_tokenizer.save(str(staging / TOKENIZER_FILE))
        manifest = {
            "model_sha256": _sha256(staging / MODEL_FILE),
            "dimension": int(model.get_embedding_dimension()),
            "max_seq_length": int(model.max_seq_length),
            "source": str(model_path),
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        expected = model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
        got = OnnxEncoder(staging).encode(PROBES)
        worst = float((expected * got).sum(axis=1).min())
        if worst < MIN_COSINE:
            raise OnnxUnavailable(
                f"the ONNX export of {model_path} differs from the model (cosine {worst:.4f})"
            )
        try:
            staging.rename(folder)
        except OSError:  # a damaged export is there (or another process's, just made)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_transformer(model: SentenceTransformer, path: Path) -> None:
    """The transformer's token vectors as an ONNX graph with dynamic batch and length (the
    pooling is done in numpy, as the model's own Pooling module does it)."""
    import torch

    class TokenVectors(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            output = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    sample = model.tokenizer(["a question", "a longer sentence to trace"], padding=True)
    inputs = tuple(
        torch.tensor(sample[name], dtype=torch.int64)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    )
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    # The tracer's warnings (shapes it treats as constant) are about the trace, checked
    # by the probe vectors instead; they must not reach the learner's terminal.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenVectors(model[0].auto_model).eval(),
            inputs,
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
