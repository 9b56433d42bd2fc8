#!/usr/bin/env bash
# Writes the UI's screenshots into docs/screenshots/ (the console's into docs/screenshots/console/):
# every screen in Bahasa Indonesia and in
# English in portrait (1080×1920), the main screens in landscape (1920×1080), and the degraded
# states. They are drawn by Slint's software renderer under its testing backend, so no display
# is needed; the bundled Noto Sans fonts make them the same on every machine.
#
# Usage: scripts/screenshots.sh            (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
out="docs/screenshots"
mkdir -p "$out"
# Old shots of screens that no longer exist must not linger.
find "$out" -maxdepth 1 -name '*.png' -delete
export ANJUNGAN_SCREENSHOTS="$PWD/$out"
cargo test --locked --test ui_screenshots --test ui_degraded --test ui_diag --test ui_keys -- --nocapture
# The branch console, in chromium (needs chromium and chromium-driver, as scripts/test.sh).
mkdir -p "$out/console"
find "$out/console" -maxdepth 1 -name '*.png' -delete
cargo test --locked -p anjungan-hub --test console -- --nocapture
count=$(find "$out" -maxdepth 1 -name '*.png' | wc -l)
echo "screenshots: $count PNGs in $out"
if [ "$count" -lt 20 ]; then
    echo "expected at least 20 screenshots" >&2
    exit 1
fi
