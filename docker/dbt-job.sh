#!/bin/sh
# The one-shot dbt job: landing files (generated sample data unless a feed is mounted), the
# full dbt build through the Thrift server, then the docs served on DOCS_PORT.
set -eu
cd "${PROJECT_DIR}"
if [ ! -e "${LAKEHOUSE_LANDING_DIR}/manifest.json" ]; then
    lakehouse generate --rows "${SAMPLE_ROWS:-20000}"
fi
export DBT_PROFILES_DIR="${PROJECT_DIR}/profiles"
dbt build --full-refresh
dbt docs generate
exec dbt docs serve --host 0.0.0.0 --port "${DOCS_PORT:-8080}" --no-browser
