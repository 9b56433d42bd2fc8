#!/usr/bin/env bash
# Static checks of kiosk-image/ that .ci/run runs (the image build and boot test do not run
# in CI): systemd-analyze verify on the units, nft -c on the firewall, shellcheck on the
# scripts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# verify checks that ExecStart= exists and that every unit named exists: give it a root
# with the system's units, stand-ins for the binaries, and ours.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd" "$root/usr/bin" "$root/usr/lib/anjungan" \
  "$root/etc/systemd/system"
ln -s usr/bin "$root/bin"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
for bin in anjungan sh; do
  printf '#!/bin/sh\n' >"$root/usr/bin/$bin"
  chmod +x "$root/usr/bin/$bin"
done
cp "$here/anjungan-firstboot" "$root/usr/lib/anjungan/"
units=(anjungan.service anjungan-firstboot.service anjungan-test-shell.service)
for u in "${units[@]}"; do cp "$here/$u" "$root/etc/systemd/system/"; done
# Warnings (unknown keys, bad values) do not change its exit code: fail on any output.
report=$(systemd-analyze verify --root="$root" "${units[@]}" 2>&1) || {
  echo "$report"
  exit 1
}
if [ -n "$report" ]; then
  echo "$report"
  exit 1
fi
echo "systemd-analyze verify: ${units[*]} ok"

# The firewall the image installs parses (as root, `nft -c` needs no network namespace).
nft -c -f "$here/nftables.conf"
echo "nft -c: nftables.conf ok"

shellcheck "$here"/*.sh "$here/anjungan-firstboot" "$here/postinst" \
  "$here"/../scripts/*.sh "$here/../.ci/run"
echo "shellcheck: kiosk-image scripts, scripts/*.sh and .ci/run ok"
