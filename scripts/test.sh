#!/usr/bin/env bash
# The README's test command. Installs what the tests need and a fresh Debian 12 machine
# lacks (espeak-ng: `anjungan say` and the speech tests synthesise real WAV; postgresql:
# every hub store test also runs on PostgreSQL; chromium and chromium-driver: the branch
# console's tests drive a real browser), starts a throwaway PostgreSQL cluster
# (scripts/pg.sh: a temp directory, loopback only, an unprivileged owner), runs the whole
# suite, then stops and removes the cluster. Extra arguments go to `cargo test` (e.g.
# `scripts/test.sh --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing for the tests: ${need[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh start
trap pg_stop EXIT
cargo test --workspace "$@"
