#!/usr/bin/env bash
# Starts a private PostgreSQL server for the tests (no system service): `initdb` and `pg_ctl` in a folder,
# listening on 127.0.0.1 only, trust authentication. Prints the connection string to export as DISAN_TEST_PG.
# Usage: eval "$(bash tests/services/postgres.sh start [DIR] [PORT])"; bash tests/services/postgres.sh stop [DIR]
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/disan-pg}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
    exit 1
fi
# PostgreSQL refuses to run as root: as root, run it as the `postgres` user the package creates.
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
case "$cmd" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir"
        "${as_pg[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        "${as_pg[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
    fi
    echo "export DISAN_TEST_PG=postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null
    ;;
esac
