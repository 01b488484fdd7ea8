# Studybot: `make console` to study in a terminal, `make test` to run the tests.
# Needs only Python 3.11 and pip: uv is installed with pip when it is missing (into the user's
# site-packages when the system Python refuses installs, PEP 668), then `uv sync --locked`
# builds .venv from uv.lock before every target.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
ARGS ?=
# One test worker per core, a test file per worker at a time (its module fixtures stay whole).
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
BENCHES := $(wildcard bench/*.py)

.PHONY: console test run lint bench clean venv

venv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv
	@$(UV) sync --locked

console: venv
	$(VENV)/bin/studybot console $(ARGS)

test: venv
	$(VENV)/bin/python -m pytest -n $(WORKERS) --dist loadfile $(ARGS)

run: venv
	$(VENV)/bin/studybot run $(ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: venv
	@$(if $(BENCHES),,echo "no benchmarks in bench/ yet")
	@for script in $(BENCHES); do echo "== $$script"; $(VENV)/bin/python $$script || exit 1; done

# Leaves data/ alone: that is the members' progress, not a build product.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
