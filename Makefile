# Quickstart targets. `make run` sets up and starts the tutor; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# sentence-transformers needs torch; the CPU build keeps the install small where the
# package index offers it (the project itself accepts any torch that sentence-transformers does).
TORCH ?= torch==2.13.0
QUESTION ?= How does reinforcement learning from human feedback shape a model?

.PHONY: run ask test install install-dev lint audit bench clean

# In a terminal: index the corpus, then open the app. Elsewhere (CI, a pipe): index, then
# answer the sample question, so the target shows the tutor working either way.
run: $(VENV)/.installed
	$(BIN)/tutor index
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN)/tutor; else $(BIN)/tutor ask "$(QUESTION)"; fi

ask: $(VENV)/.installed
	$(BIN)/tutor index
	$(BIN)/tutor ask "$(QUESTION)"

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

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

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/retrieval_eval.py
	$(BIN)/python benchmarks/coverage_eval.py
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/quiz_latency.py
	$(BIN)/python benchmarks/index_bench.py
	$(BIN)/python benchmarks/first_paint.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
