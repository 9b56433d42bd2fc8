#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests and benchmarks: a fresh cluster in a temp directory,
# listening on 127.0.0.1 only (and a socket in that directory), fsync off, owned by an
# unprivileged user (initdb refuses root). Source it:
#
#   source scripts/pg.sh start   # exports ANJUNGAN_TEST_PG=postgres://postgres@127.0.0.1:PORT/postgres
#   source scripts/pg.sh stop    # stops the cluster and removes its directory
#
# Installs Debian's postgresql when no server binary is found.

pg_bin() {
    local bin
    bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
        return 1
    fi
    echo "$bin"
}

pg_start() {
    local bin dir port runas=()
    if ! bin=$(pg_bin); then
        echo "== installing for the tests: postgresql"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql
        bin=$(pg_bin) || { echo "postgresql did not install" >&2; return 1; }
    fi
    dir=$(mktemp -d /tmp/anjungan-pg.XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody "$dir"
        runas=(runuser -u nobody --)
    fi
    "${runas[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    # A free port: the first that nothing answers on.
    for port in $(shuf -i 20000-45000 -n 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    "${runas[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start || { cat "$dir/server.log" >&2; return 1; }
    export ANJUNGAN_TEST_PG_DIR="$dir"
    export ANJUNGAN_TEST_PG_BIN="$bin"
    export ANJUNGAN_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
    echo "== throwaway PostgreSQL: $ANJUNGAN_TEST_PG ($dir)"
}

pg_stop() {
    [ -n "${ANJUNGAN_TEST_PG_DIR:-}" ] || return 0
    local runas=()
    [ "$(id -u)" -eq 0 ] && runas=(runuser -u nobody --)
    "${runas[@]}" "$ANJUNGAN_TEST_PG_BIN/pg_ctl" -D "$ANJUNGAN_TEST_PG_DIR/data" -m fast -w -s stop || true
    rm -rf "$ANJUNGAN_TEST_PG_DIR"
    unset ANJUNGAN_TEST_PG ANJUNGAN_TEST_PG_DIR ANJUNGAN_TEST_PG_BIN
}

case "${1:-}" in
    start) pg_start ;;
    stop) pg_stop ;;
    *) echo "usage: source scripts/pg.sh start|stop" >&2; false ;;
esac
