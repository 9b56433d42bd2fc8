#!/usr/bin/env bash
# Runs the drivers' fuzz targets for a bounded time each (default 60 s). Not part of CI:
# it needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#   scripts/fuzz-drivers.sh [SECONDS]
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")/../drivers"
for target in frame_decoder escpos_decoder; do
  echo "== fuzz $target for ${secs}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$secs" -max_len=4096
done
