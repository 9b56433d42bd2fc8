#!/usr/bin/env bash
# Runs the drivers' fuzz targets (dispenser frame decoder, ESC/POS decoder) for a bounded
# time each, default 60 s. Not part of CI. Needs a nightly toolchain; uses cargo-fuzz when
# installed, otherwise builds the libFuzzer binaries itself with the same flags.
#   scripts/fuzz-drivers.sh [SECONDS]
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")/../drivers/fuzz"
targets=(frame_decoder escpos_decoder)
mkdir -p corpus
if cargo +nightly fuzz --version >/dev/null 2>&1; then
  for t in "${targets[@]}"; do
    echo "== fuzz $t for ${secs}s"
    cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -max_len=4096
  done
  exit 0
fi
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
  -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
# --target keeps these flags off build scripts, as cargo-fuzz does.
cargo +nightly build --release --target "$host" --target-dir target
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s"
  mkdir -p "corpus/$t"
  "target/$host/release/$t" -max_total_time="$secs" -max_len=4096 "corpus/$t"
done
