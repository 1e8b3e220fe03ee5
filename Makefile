# The two commands a fresh machine needs:
#   make run    set up everything (venv, packages, Delta jars) and run the main job
#   make test   set up everything and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOOKS  := $(VENV)/.activate-hooks
# Airflow and astronomer-cosmos: a virtualenv of their own (their pins differ from dbt's).
AIRFLOW_VENV  := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
SIZES  ?= 100k,1M,10M

.PHONY: run setup test test-fast test-compose test-airflow airflow airflow-setup lint stop status docs bench lock lock-airflow clean help
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: setup  ## set up, start the server, build the pipeline, check it, print where to look
	$(BIN)/lakehouse run

setup: $(STAMP) $(HOOKS)  ## create .venv with the locked packages and the lakehouse CLI

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

# Activating .venv (bash/zsh, fish, csh) sets DBT_PROFILES_DIR, so plain `dbt build` works in
# the project root; deactivate restores it. Idempotent: rerunning replaces its own lines.
$(HOOKS): $(STAMP) lakehouse/venv_hooks.py
	$(BIN)/python -m lakehouse.venv_hooks $(VENV)
	@touch $@

test: setup airflow-setup  ## the whole test suite (starts its own server on port 10011)
	$(BIN)/pytest --durations=15

test-fast: setup  ## the tests that need no server (a fast lane for everyday work)
	$(BIN)/pytest -m "not server" --durations=10

test-compose: setup  ## the docker-compose tests alone (builds the image, brings the stack up)
	$(BIN)/pytest pytests/test_compose.py --durations=10

test-airflow: setup airflow-setup  ## the Airflow DAG's tests alone
	$(BIN)/pytest pytests/test_airflow.py --durations=10

airflow-setup: setup $(AIRFLOW_STAMP)  ## create .venv-airflow: Airflow + astronomer-cosmos, locked

$(AIRFLOW_STAMP): orchestration/requirements.lock pyproject.toml
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install --quiet -r orchestration/requirements.lock
	$(AIRFLOW_VENV)/bin/pip install --quiet --no-deps -e .
	@touch $@

airflow: airflow-setup  ## start the server and Airflow with the pipeline's DAG on http://127.0.0.1:8082
	$(BIN)/lakehouse airflow start

lint: setup  ## SQL and Python lint
	$(BIN)/sqlfluff lint models analyses macros tests
	$(BIN)/ruff check lakehouse pytests orchestration

docs: setup  ## generate the dbt docs and serve them on http://127.0.0.1:8080 (PORT=8080)
	$(BIN)/lakehouse docs --port $(or $(PORT),8080)

bench: setup  ## benchmark 100k/1M/10M rows (SIZES=100k,1M); report in benchmarks/ (not part of test)
	$(BIN)/lakehouse bench --sizes $(SIZES)

stop: setup  ## stop the local server
	$(BIN)/lakehouse server stop

status: setup  ## is the local server up?
	$(BIN)/lakehouse server status

lock: setup  ## re-pin requirements.lock from the current environment
	$(BIN)/pip freeze --exclude-editable | grep -v '^retail-lakehouse' > requirements.lock

lock-airflow: airflow-setup  ## re-pin orchestration/requirements.lock from .venv-airflow
	$(AIRFLOW_VENV)/bin/pip freeze --exclude-editable | grep -v '^retail-lakehouse' \
		> orchestration/requirements.lock

clean:  ## remove generated state (warehouse, metastore, jars, logs) and dbt output
	-$(BIN)/lakehouse server stop
	rm -rf .lakehouse .lakehouse-test target logs
