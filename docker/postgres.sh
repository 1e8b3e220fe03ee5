#!/bin/sh
# The metastore database: Debian's PostgreSQL 15 with its data on the `metastore` volume.
# On first start it creates the cluster with METASTORE_USER (password METASTORE_PASSWORD) as
# its owner and the database METASTORE_DB; later starts reuse them. Clients on the compose
# network log in with that password (scram-sha-256); nothing is trusted without one.
set -eu
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown postgres:postgres "$data" /run/postgresql
chmod 700 "$data"
if [ ! -s "$data/PG_VERSION" ]; then
    password_file=$(mktemp)
    printf '%s' "$METASTORE_PASSWORD" > "$password_file"
    chown postgres "$password_file"
    runuser -u postgres -- initdb -D "$data" --username="$METASTORE_USER" \
        --pwfile="$password_file" --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >> "$data/pg_hba.conf"
    # Single-user mode (as the bootstrap superuser): no server listens meanwhile.
    echo "CREATE DATABASE \"$METASTORE_DB\";" \
        | runuser -u postgres -- postgres --single -D "$data" postgres >/dev/null
fi
exec runuser -u postgres -- postgres -D "$data" -c listen_addresses='*'
