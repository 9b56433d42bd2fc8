#!/usr/bin/env bash
# The UI benchmarks of docs/benchmarks.md ("Touch UI"): start to first frame of `anjungan demo`
# against a Chromium kiosk showing an equivalent static home screen, the kiosk's PSS on the
# 1M-member database, and tap-to-next-frame on the software renderer. All in one run, under
# Xvfb, observed from outside both programs (scripts/bench_ui.py). Not part of CI.
#
# Usage: scripts/bench-ui.sh [--renderer winit-software|winit-femtovg] [--runs N] [--rounds N] [--speech]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import Xlib' 2>/dev/null || need+=(python3-xlib)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi

features="${ANJUNGAN_FEATURES:-}"
cargo build --release --locked --bin anjungan ${features:+--features "$features"}
bin="${CARGO_TARGET_DIR:-$root/target}/release/anjungan"

work="$root/target/tmp/bench-ui"
mkdir -p "$work"
# The 1M-member database, shared with `cargo bench --bench kiosk` (same seed and size).
big="$root/target/tmp/bench-data-1000000-30000"
if [ ! -f "$big/kiosk.db" ]; then
    mkdir -p "$big"
    "$bin" gen-dataset --out "$big/dataset" --members 1000000 --facilities 30000 --seed 42 --today 2026-11-22
    "$bin" import --db "$big/kiosk.db" --today 2026-11-22 "$big/dataset"
fi
# The demo prepares its data on the first start; the timed starts reuse it.
"$bin" demo --dir "$work/demo" --text >/dev/null

display=":77"
Xvfb "$display" -screen 0 1080x1920x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
DISPLAY="$display" /usr/bin/python3 "$root/scripts/bench_ui.py" \
    --anjungan "$bin" --demo-dir "$work/demo" --big-db "$big/kiosk.db" \
    --html "$root/scripts/bench/home.html" --json "$work/result.json" "$@"
echo "raw figures: $work/result.json"
