#!/usr/bin/env bash
# Makes a signed RAUC bundle (verity format) of the root filesystem build.sh made:
#   kiosk-image/out/root.ext4 (+ root.ext4.version)  ->  kiosk-image/out/anjungan-<version>.raucb
# A kiosk installs it with `rauc install FILE` into its inactive root slot (A or B).
# RAUC on the kiosk accepts it only if it is signed by a certificate that chains to the
# image's /etc/rauc/keyring.pem, and its compatible is the image's (rauc-system.conf).
#
# Usage: kiosk-image/bundle.sh [ROOT_EXT4]
#   BUNDLE_CERT, BUNDLE_KEY   signing certificate and key (default: make-keys.sh's
#                             development pair in out/keys/)
#   KEYRING                   checks the bundle against this CA afterwards (default:
#                             out/keys/ca.cert.pem when present)
#   VERSION                   the bundle's version (default: root.ext4.version from build.sh)
#   OUT                       output folder (default kiosk-image/out)
#   ALLOW_TEST_ROOT=1         bundle a --test-shell root (test-update.sh's own VM only)
# Needs rauc, mksquashfs and debugfs: apt-get install rauc squashfs-tools e2fsprogs
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
root=${1:-$out/root.ext4}
cert=${BUNDLE_CERT:-$out/keys/signing.cert.pem}
key=${BUNDLE_KEY:-$out/keys/signing.key.pem}
keyring=${KEYRING:-$out/keys/ca.cert.pem}
compatible=$(sed -n 's/^compatible=//p' "$here/rauc-system.conf")

for tool in rauc mksquashfs debugfs; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install rauc squashfs-tools e2fsprogs" >&2
    exit 1
  }
done
[ -f "$root" ] || { echo "missing $root: run kiosk-image/build.sh first" >&2; exit 1; }
for f in "$cert" "$key"; do
  [ -f "$f" ] || { echo "missing $f: run kiosk-image/make-keys.sh (or set BUNDLE_CERT/BUNDLE_KEY)" >&2; exit 1; }
done
version=${VERSION:-$(cat "$root.version" 2>/dev/null || true)}
[ -n "$version" ] || { echo "no version: $root.version is missing (set VERSION)" >&2; exit 1; }
case "$version" in
  *[!A-Za-z0-9.+~_-]*) echo "version '$version': only letters, digits and . + ~ _ -" >&2; exit 1 ;;
esac
# A --test-shell root (a root shell on COM1) never goes into a bundle a fleet could get;
# test-update.sh alone says ALLOW_TEST_ROOT=1 for the bundles it makes for its own VM.
variant=$(debugfs -R 'cat /etc/anjungan-release' "$root" 2>/dev/null | sed -n 's/^VARIANT=//p')
case "$(basename "$root")" in *test*) variant=${variant:-test} ;; esac
if [ "$variant" = test ] && [ "${ALLOW_TEST_ROOT:-0}" != 1 ]; then
  echo "$root is a --test-shell root (root shell on COM1): not bundling it" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bundle"
cp --sparse=always "$root" "$work/bundle/root.ext4"
cat >"$work/bundle/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version
description=Anjungan kiosk root filesystem

[bundle]
format=verity

[image.rootfs]
filename=root.ext4
MANIFEST
bundle=$out/anjungan-$version.raucb
rm -f "$bundle"
rauc bundle --cert="$cert" --key="$key" "$work/bundle" "$bundle"
if [ -f "$keyring" ]; then
  # Checks the signature against the CA the image trusts (and prints the manifest).
  rauc info --keyring="$keyring" "$bundle"
else
  echo "no $keyring: the signature was not checked against a keyring" >&2
fi
sha256sum "$bundle" | tee "$bundle.sha256"
