#!/bin/sh
# The one-shot dbt job: sample data on the first start of a new lakehouse (an empty landing
# volume and nothing loaded yet; never beside loaded data), then the build through the Thrift
# server, which loads only the deliveries bronze has not loaded (never a full refresh: bronze
# keeps every loaded row), then the docs written to the docs volume, which the docs service
# serves. Exits 0 only when every step succeeded.
set -eu
cd "${PROJECT_DIR}"
lakehouse generate --if-new-lakehouse --rows "${SAMPLE_ROWS:-20000}"
export DBT_PROFILES_DIR="${PROJECT_DIR}/profiles"
dbt build
dbt docs generate
cp target/index.html target/manifest.json target/catalog.json /opt/lakehouse/docs/
echo "Docs written to the docs volume."
