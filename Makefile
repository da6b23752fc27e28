# CareHub: `make run` starts the whole app on embedded defaults; `make test` runs the suite.
# Both create .venv and install what they need on a machine that has only Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APPS := accounts audit carehub patients directory careplans referrals reminders assessments programs benefits encounters interfaces dashboards api fhir_export
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format install migrate seed bench load clean screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# `make load` also needs the bench extra (locust): its own stamp, so `make test` and
# `make run` neither install nor check it.
BENCH_STAMP := $(VENV)/.installed-bench-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@rm -f $(VENV)/.installed-bench-*
	@touch $@

install: $(STAMP)

# The embedded demo: SQLite under var/, kombu's filesystem broker, demo data, DEBUG on.
run: export DEBUG ?= true
run: export CAREHUB_DEMO ?= true
run: export PORT ?= 8000
run: export CAREHUB_SITE_URL ?= http://127.0.0.1:$(PORT)
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
	$(BIN)/pytest -n $(or $(TEST_WORKERS),auto) $(PYTEST_ARGS)

# README's screenshots (docs/screenshots/), taken by the browser tests on the demo data.
screenshots: $(STAMP)
	CAREHUB_UPDATE_SCREENSHOTS=1 DEBUG=true $(BIN)/pytest -m browser tests/browser/test_dashboards.py tests/browser/test_patient_registry.py

# Benchmarks on PostgreSQL and Redis (BENCH_DATABASE_URL, REDIS_URL; local ones by default).
# QUICK=1 for a smaller data set in a few minutes. Needs wrk (apt-get install wrk).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(if $(REUSE),--reuse-data)

# Load test (bench/load.py): USERS locust users for DURATION against gunicorn as deployed
# while a Celery worker and beat send reminders; fails when an aim is missed. Options:
# DURATION=10m USERS=50 THINK=5-15 (seconds between a user's actions) LOAD_PATIENTS=10000
# SCALE_OUT=1 (two gunicorn on two ports, two workers, one beat) REUSE=1 (keep the last
# run's database).
load: $(BENCH_STAMP)
	$(BIN)/python bench/load.py --duration $(or $(DURATION),10m) --users $(or $(USERS),50) \
		$(if $(THINK),--think $(THINK)) $(if $(LOAD_PATIENTS),--patients $(LOAD_PATIENTS)) \
		$(if $(SCALE_OUT),--scale-out) $(if $(REUSE),--reuse-data)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/mail
