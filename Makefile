# The two commands a fresh machine needs:
#   make run    set up everything (venv, packages, Delta jars) and run the main job
#   make test   set up everything and run the whole test suite
# The first of python3, python3.13, python3.12, python3.11 that is a supported version (3.11-3.13).
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3 python3.13 python3.12 python3.11,\
	$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c '$(SUPPORTED_PYTHON)' 2>/dev/null && echo $(p))))
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOOKS  := $(VENV)/.activate-hooks
# Airflow and astronomer-cosmos: a virtualenv of their own (their pins differ from dbt's).
AIRFLOW_VENV  := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
SIZES  ?= 100k,1M,10M

# Per-test durations and JUnit XML of each tier (not committed).
TEST_REPORTS := pytests/artifacts
PYTEST_REPORT = --durations=0 --durations-min=1 --junitxml=$(TEST_REPORTS)/junit-$(1).xml

.PHONY: run setup python test test-fast test-unit test-integration test-system test-programs test-compose test-airflow airflow airflow-setup lint stop status docs bench lock lock-airflow clean help
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: setup  ## set up, start the server, build the pipeline, check it, print where to look
	$(BIN)/lakehouse run

setup: $(STAMP) $(HOOKS)  ## create .venv with the locked packages and the lakehouse CLI

python:
	@test -n "$(PYTHON)" || { echo "No supported Python found: install Python 3.11, 3.12 or 3.13" \
		"(python3 --version says $$(python3 --version 2>&1))." >&2; exit 1; }

$(STAMP): requirements.lock pyproject.toml | python
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

# Tiers in order, each timed; the first that fails stops the run (make stops at an error).
test: test-programs  ## the whole suite: unit, integration, system tiers in order (server on port 10011)
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-integration
	@$(MAKE) --no-print-directory test-system

# The system programs the suite needs: listed with the apt-get line when missing (installed
# instead when run as root on Debian/Ubuntu). Runs before the virtualenv is made.
test-programs: | python
	@$(PYTHON) pytests/support/system_programs.py $(if $(filter 0,$(shell id -u)),--install)

test-fast: test-unit  ## the unit tier alone: no server, no Chromium, under a minute

test-unit: setup  ## unit tier: pytests/unit (no server)
	@mkdir -p $(TEST_REPORTS); start=$$(date +%s); \
	$(BIN)/pytest pytests/unit $(call PYTEST_REPORT,unit); rc=$$?; \
	echo "==> unit tier: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

test-integration: setup  ## integration tier: pytests/integration (the shared test server)
	@mkdir -p $(TEST_REPORTS); start=$$(date +%s); \
	$(BIN)/pytest pytests/integration $(call PYTEST_REPORT,integration); rc=$$?; \
	echo "==> integration tier: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

test-system: setup airflow-setup  ## system tier: pytests/system (compose, cluster, Airflow)
	@mkdir -p $(TEST_REPORTS); start=$$(date +%s); \
	$(BIN)/pytest pytests/system $(call PYTEST_REPORT,system); rc=$$?; \
	echo "==> system tier: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

test-compose: setup  ## the docker-compose stack's tests alone (builds the image, brings it up)
	$(BIN)/pytest pytests/system/test_compose.py --durations=10

test-airflow: setup airflow-setup  ## the Airflow DAG's tests alone
	$(BIN)/pytest pytests/system/test_airflow.py --durations=10

airflow-setup: setup $(AIRFLOW_STAMP)  ## create .venv-airflow: Airflow + astronomer-cosmos, locked

$(AIRFLOW_STAMP): orchestration/requirements.lock pyproject.toml | python
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

# pip freeze on 3.11 or 3.12 leaves out libcst's dependency on 3.13, pyyaml-ft: added back.
lock-airflow: airflow-setup  ## re-pin orchestration/requirements.lock from .venv-airflow
	$(AIRFLOW_VENV)/bin/pip freeze --exclude-editable | grep -v '^retail-lakehouse' \
		| grep -v '^pyyaml-ft' > orchestration/requirements.lock
	echo 'pyyaml-ft==8.0.0; python_version == "3.13"' >> orchestration/requirements.lock

clean:  ## remove generated state (warehouse, metastore, jars, logs) and dbt output
	-$(BIN)/lakehouse server stop
	rm -rf .lakehouse .lakehouse-test target logs
