"""What the reliability tests and the benchmarks share: kill loops, child processes, store
audits and fuzzing inputs. Tests and `benchmarks/` import from here; nothing here imports a
test module.

- `child_events`: the JSON lines a child process prints and its parent reads back.
- `kill_child`: a child that takes a quiz or asks chat turns and SIGKILLs itself at a write.
- `audits`: a quiz or a conversation as the learner store and its checkpoint see it.
- `two_state_corpus`: a small corpus that flips between two states, and its topic map.
- `index_snapshot`: what the catalog, the full-text index and Chroma hold; how two differ.
- `zygote`: a preloaded process that forks the `tutor` runs of the reindex kill loop.
- `reindex_kills`: the loop that kills `tutor index` and checks every recovery.
- `pdf_builder`: PDFs written byte by byte, well formed or broken.
- `ingest_inputs`: hypothesis strategies and pathological files for the loaders.
- `ingest_contract`: load and chunk one file, and what the result must look like.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

if "pytest" in sys.modules:  # under pytest, the checks' asserts explain themselves
    import pytest

    pytest.register_assert_rewrite(
        "tests.harness.audits", "tests.harness.ingest_contract", "tests.harness.zygote"
    )
