"""An optional cross-encoder the learner has on disk (`reranker` setting): it reads the
question and each of the best passages together and scores how well the passage answers.

None is shipped and none is downloaded; a folder that does not hold a loadable
sentence-transformers CrossEncoder is one line saying so, and search goes on without it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.errors import TutorError

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

log = logging.getLogger(__name__)


class Reranker:
    """Loads the cross-encoder on first use (one load per process and path)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._model: CrossEncoder | None = None
        self._lock = threading.Lock()

    def load(self) -> CrossEncoder:
        with self._lock:
            if self._model is None:
                self._model = _load(self.path)
            return self._model

    def scores(self, query: str, texts: list[str]) -> list[float]:
        """How well each text answers the query, by the cross-encoder (higher is better)."""
        if not texts:
            return []
        pairs = [(query, text) for text in texts]
        return [float(s) for s in self.load().predict(pairs, show_progress_bar=False)]


def _load(path: Path) -> CrossEncoder:
    if not path.is_dir():
        raise TutorError(
            f"reranker {path} is not a folder: set TUTOR_RERANKER to a local "
            "sentence-transformers cross-encoder folder, or unset it"
        )
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return CrossEncoder(str(path), device="cpu", local_files_only=True)
    except Exception as error:  # whatever the folder holds, one line and search goes on
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise TutorError(f"cannot load the reranker from {path}: {first}") from None
