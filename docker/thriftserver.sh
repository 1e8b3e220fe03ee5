#!/bin/sh
# The Thrift server container: start it with the project's CLI (Delta jars baked in, the
# PostgreSQL metastore from LAKEHOUSE_METASTORE_URL, jobs on the standalone master), then
# stay in the foreground with its log on stdout for as long as it runs.
set -eu
lakehouse server start --host 0.0.0.0 --master "${SPARK_MASTER_URL}"
pid=$(python -c "import json; print(json.load(open('${LAKEHOUSE_STATE_DIR}/thriftserver.pid'))['pid'])")
trap 'lakehouse server stop; exit 0' TERM INT
tail -n +1 -F "${LAKEHOUSE_STATE_DIR}/logs/thriftserver.log" &
while kill -0 "$pid" 2>/dev/null; do sleep 5; done
echo "The Thrift server (pid $pid) exited." >&2
exit 1
