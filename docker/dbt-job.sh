#!/bin/sh
# The one-shot dbt job: landing files (generated sample data unless a feed is already on the
# landing volume), the full dbt build through the Thrift server, then the docs written to the
# docs volume, which the docs service serves. Exits 0 only when every step succeeded.
set -eu
cd "${PROJECT_DIR}"
if [ ! -e "${LAKEHOUSE_LANDING_DIR}/manifest.json" ]; then
    lakehouse generate --rows "${SAMPLE_ROWS:-20000}"
fi
export DBT_PROFILES_DIR="${PROJECT_DIR}/profiles"
dbt build --full-refresh
dbt docs generate
cp target/index.html target/manifest.json target/catalog.json /opt/lakehouse/docs/
echo "Docs written to the docs volume."
