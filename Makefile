# CareHub: `make run` starts the whole app on embedded defaults; `make test` runs the suite.
# Both create .venv and install what they need on a machine that has only Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APPS := accounts audit carehub patients careplans referrals reminders assessments programs benefits dashboards api fhir_export
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format install migrate seed bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# The embedded demo: SQLite under var/, kombu's filesystem broker, demo data, DEBUG on.
run: export DEBUG ?= true
run: export CAREHUB_DEMO ?= true
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@./scripts/run-all.sh

test: export DEBUG ?= true
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit --quiet --recursive --severity-level medium --exclude ./tests,./.venv $(APPS)
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks on PostgreSQL and Redis (BENCH_DATABASE_URL, REDIS_URL; local ones by default).
# QUICK=1 for a smaller data set in a few minutes. Needs wrk (apt-get install wrk).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(if $(REUSE),--reuse-data)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/mail
