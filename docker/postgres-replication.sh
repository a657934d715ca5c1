#!/bin/sh
# Run once by the postgres image when it initialises its data directory (docker-entrypoint-initdb.d):
# a role for the `postgres-replica` standby's pg_basebackup and streaming, and the pg_hba line that
# lets it connect for replication (the image's own `host all all all` line does not cover it).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD:-replicator}'"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
