# Candor: `make run` starts the proxy on the embedded default; `make test` runs the suite.
# Both set everything up from a fresh clone: a .venv with the locked, hash-pinned packages
# (the spaCy model included), the project itself, then migrate and serve / test.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.lock pyproject.toml | sha256sum | cut -c1-12)

.PHONY: install run test test-fast lint typecheck hadolint bench lock clean

install: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

run: install
	$(BIN)/candor serve

# The browser tests need Debian's Chromium: installed here when missing and possible,
# else those tests skip and say why.
test: install
	scripts/ensure-chromium
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e" -x -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app guardrails escalation tests bench

typecheck: install
	$(BIN)/mypy

hadolint: install
	$(BIN)/hadolint Dockerfile

bench: install
	$(BIN)/python bench/overhead.py

# Re-pin requirements/*.lock from requirements/*.in (needs network to PyPI).
lock:
	scripts/lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache candor.db candor.db-*
