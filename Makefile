# Quickstart targets. `make run` sets up and starts the tutor; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# sentence-transformers needs torch; the CPU build keeps the install small where the
# package index offers it (the project itself accepts any torch that sentence-transformers does).
TORCH ?= torch==2.13.0
QUESTION ?= How does reinforcement learning from human feedback shape a model?

.PHONY: run ask test test-fast install install-dev lint audit bench clean

# In a terminal: index the corpus, then open the app. Elsewhere (CI, a pipe): index, then
# answer the sample question, so the target shows the tutor working either way.
run: $(VENV)/.installed
	$(BIN)/tutor index
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN)/tutor; else $(BIN)/tutor ask "$(QUESTION)"; fi

ask: $(VENV)/.installed
	$(BIN)/tutor index
	$(BIN)/tutor ask "$(QUESTION)"

# The whole suite (about 9 minutes on 2 idle cores; test-fast about 4).
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# The edit-test loop: everything not marked `slow`. Left out: the SIGKILL loops (reindex,
# quiz, chat), two tutor processes at once, the index crash-and-lock subprocesses, the disk
# trouble child, the fuzzing of the loaders, the `chroma run` server tests, tests starting
# `tutor` in a subprocess or a pty, and the modules that re-index the corpus over and over
# (corpus/test_index, reliability/test_hostile_corpus, reliability/test_ollama_faults).
# `make test` runs them all.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow"

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

# The exact versions installed (the lock), checked against the known-vulnerabilities database.
audit: $(VENV)/.installed-dev
	$(BIN)/python -m pip freeze --exclude-editable > $(VENV)/requirements.lock
	$(BIN)/pip-audit --requirement $(VENV)/requirements.lock --no-deps --disable-pip \
		--progress-spinner off

# ruff, then the import layers declared in pyproject.toml ([tool.importlinter]).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/retrieval_eval.py
	$(BIN)/python benchmarks/coverage_eval.py
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/quiz_latency.py
	$(BIN)/python benchmarks/index_bench.py
	$(BIN)/python benchmarks/first_paint.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
