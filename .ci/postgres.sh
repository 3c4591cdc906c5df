#!/usr/bin/env bash
# Start (or stop) a private PostgreSQL + PostGIS cluster on 127.0.0.1 for the service tests.
#   .ci/postgres.sh start DIR   -> prints the URL to export as RELIEF_TEST_PG
#   .ci/postgres.sh stop DIR
# Installs the Debian packages when missing (PostgreSQL 15, PostGIS 3). Runs as root in CI;
# PostgreSQL refuses root, so the cluster belongs to the postgres user.
set -euo pipefail
cmd=$1 dir=$2 port=${PGPORT_TEST:-55432}
pgbin=/usr/lib/postgresql/15/bin
if [ "$cmd" = stop ]; then
  [ -f "$dir/data/postmaster.pid" ] && su postgres -c "$pgbin/pg_ctl -D $dir/data -m fast stop" >/dev/null || true
  exit 0
fi
if [ ! -x "$pgbin/initdb" ] || [ ! -d /usr/share/postgresql/15/extension ] \
   || ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  pkgs="postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts"
  apt-get install -y --no-install-recommends $pkgs >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $pkgs >/dev/null; }
fi
mkdir -p "$dir" && chown postgres:postgres "$dir"
if [ ! -d "$dir/data" ]; then
  su postgres -c "$pgbin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
su postgres -c "$pgbin/pg_ctl -D $dir/data -l $dir/server.log -w \
  -o '-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir' start" >/dev/null
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
