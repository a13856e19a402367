# Two commands do all the set-up: `make run` (app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install lint jobs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(FLASK) init
	$(FLASK) seed-demo
	@echo "Scheduler: $(FLASK) jobs run (started alongside the server when available)"
	@if $(FLASK) jobs --help >/dev/null 2>&1; then \
	  ($(FLASK) jobs run & echo $$! > instance/jobs.pid); \
	  trap 'kill $$(cat instance/jobs.pid) 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port 5000; \
	else \
	  $(FLASK) run --host 127.0.0.1 --port 5000; \
	fi

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check partybuild tests bench
	$(BIN)/ruff format --check partybuild tests bench

jobs: $(STAMP)
	$(FLASK) jobs run

bench: $(STAMP)
	@status=0; for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || status=1; done; exit $$status

clean:
	rm -rf $(VENV) instance/partybuild.db*
