#!/usr/bin/env bash
# Static checks of kiosk-image/ that .ci/run runs (the image build and boot test do not run
# in CI): systemd-analyze verify on the units, nft -c on the firewall, shellcheck on the
# scripts, RAUC's own parser on system.conf (with a bundle signed and checked as
# bundle.sh does), the D-Bus policy's XML, and two tests that run without root devices:
# test-bootloader.sh (RAUC's backend on a simulated systemd-boot), test-layout.sh (the
# partition table and systemd-repart's growth of the data partition) and
# test-rauc-dbus.sh (the real RAUC service with our backend on a private bus with the
# image's D-Bus policy).
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
for bin in anjungan sh systemctl; do
  printf '#!/bin/sh\n' >"$root/usr/bin/$bin"
  chmod +x "$root/usr/bin/$bin"
done
cp "$here/anjungan-firstboot" "$here/anjungan-boot-ok" "$here/anjungan-machine-id" \
  "$here/rauc-bootloader" "$here/anjungan-data-crypt" "$here/anjungan-recovery-print" \
  "$root/usr/lib/anjungan/"
units=(anjungan.service anjungan-firstboot.service anjungan-test-shell.service
  anjungan-boot-ok.service anjungan-reboot.path anjungan-reboot.service
  anjungan-machine-id.service anjungan-data-crypt.service anjungan-recovery-print.service)
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

# The firewall the image installs parses (as root, `nft -c` needs no network namespace),
# also where the image stands: no /etc/protocols (netbase is not in it), so no protocol
# names. A name here once left the image's firewall unloaded.
# shellcheck disable=SC2016 # $1 is the inner shell's
unshare --mount sh -c 'mount --bind /dev/null /etc/protocols && exec nft -c -f "$1"' sh \
  "$here/nftables.conf"
echo "nft -c: nftables.conf ok (without /etc/protocols, as in the image)"

# -x: build.sh and test-layout.sh source layout.sh.
shellcheck -x "$here"/*.sh "$here/anjungan-firstboot" "$here/postinst" \
  "$here/rauc-bootloader" "$here/anjungan-boot-ok" "$here/anjungan-machine-id" \
  "$here/anjungan-data-crypt" "$here/anjungan-recovery-print" "$here/rauc-pre-install"
shellcheck "$here"/../scripts/*.sh "$here/../.ci/run"
echo "shellcheck: kiosk-image scripts, scripts/*.sh and .ci/run ok"
# The QEMU drivers (boot_test.py, update_test.py) at least compile.
python3 -m py_compile "$here/boot_test.py" "$here/update_test.py"
# ... and the listening-socket check reads the kernel's tables as it should.
(cd "$here" && python3 -c 'import boot_test; boot_test.self_test()')
(cd "$here" && python3 -c 'import update_test; update_test.self_test()')
rm -rf "$here/__pycache__"
echo "py_compile: boot_test.py, update_test.py ok; their self tests ok"

# RAUC 1.8 parses system.conf strictly (an unknown key or group fails) whenever it is
# given --conf; `rauc info` on a bundle needs no slot devices. So: make throwaway keys,
# a bundle of a small ext4 with bundle.sh, and read it back with the image's system.conf
# and the CA. That proves the config parses, the manifest and signing chain are what the
# kiosk accepts, and that a bundle from another CA is refused. It does not install.
rt=$root/rauc
mkdir -p "$rt/tree"
OUT=$rt "$here/make-keys.sh" >/dev/null
head -c 65536 /dev/urandom >"$rt/tree/data" # squashfs needs more than a block
mkfs.ext4 -q -d "$rt/tree" "$rt/root.ext4" 8M >/dev/null
VERSION=0.0.0+check OUT=$rt "$here/bundle.sh" >"$rt/bundle.log" 2>&1 || {
  cat "$rt/bundle.log"
  exit 1
}
rauc --conf="$here/rauc-system.conf" --keyring="$rt/keys/ca.cert.pem" \
  info "$rt/anjungan-0.0.0+check.raucb" >"$rt/info.log" 2>&1 || {
  cat "$rt/info.log"
  exit 1
}
grep -q "Compatible:[[:space:]]*'anjungan-kiosk-x86_64'" "$rt/info.log"
sed 's/^bootname=B$/bootnam=B/' "$here/rauc-system.conf" >"$rt/bad.conf"
if rauc --conf="$rt/bad.conf" --keyring="$rt/keys/ca.cert.pem" \
  info "$rt/anjungan-0.0.0+check.raucb" >/dev/null 2>&1; then
  echo "rauc accepted a system.conf with an unknown key: the parse check proves nothing" >&2
  exit 1
fi
OUT=$rt/other "$here/make-keys.sh" >/dev/null
if rauc --conf="$here/rauc-system.conf" --keyring="$rt/other/keys/ca.cert.pem" \
  info "$rt/anjungan-0.0.0+check.raucb" >/dev/null 2>&1; then
  echo "rauc accepted a bundle signed under another CA" >&2
  exit 1
fi
# A --test-shell root (VARIANT=test in its /etc/anjungan-release) is refused, whatever
# the file is called; only ALLOW_TEST_ROOT=1 (test-update.sh) bundles it.
mkdir -p "$rt/testroot/etc"
printf 'VERSION=0.0.0+check.test\nVARIANT=test\n' >"$rt/testroot/etc/anjungan-release"
cp "$rt/tree/data" "$rt/testroot/data"
mkfs.ext4 -q -d "$rt/testroot" "$rt/plain.ext4" 8M >/dev/null
if VERSION=0.0.0+check.test OUT=$rt "$here/bundle.sh" "$rt/plain.ext4" >"$rt/bundle-test.log" 2>&1; then
  echo "bundle.sh bundled a --test-shell root" >&2
  exit 1
fi
grep -q "test-shell root" "$rt/bundle-test.log"
ALLOW_TEST_ROOT=1 VERSION=0.0.0+check.test OUT=$rt "$here/bundle.sh" "$rt/plain.ext4" \
  >"$rt/bundle-test.log" 2>&1 || {
  cat "$rt/bundle-test.log"
  exit 1
}
echo "rauc: rauc-system.conf parses; bundle.sh's bundle verifies against its CA, not another;"
echo "      a --test-shell root is bundled only with ALLOW_TEST_ROOT=1"

# The D-Bus policy is well-formed XML (dbus-daemon would skip a broken file whole).
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$here/anjungan-rauc.conf"
echo "anjungan-rauc.conf: well-formed"

# RAUC's pre-install handler on manifests as bundle.sh writes them, the root at 0.1.0+t3:
# an older bundle (and one without a version) is refused, the same or a newer one goes in.
pi=$rt/pre-install
mkdir -p "$pi/bundle"
printf 'ID=debian\nVERSION=0.1.0+t3\nVARIANT=test\n' >"$pi/release"
pre_install() { # bundle version -> accepted | refused
  printf '[update]\ncompatible=anjungan-kiosk-x86_64\nversion=%s\ndescription=x\n\n[bundle]\nformat=verity\n' \
    "$1" >"$pi/bundle/manifest.raucm"
  if ANJ_RELEASE=$pi/release RAUC_BUNDLE_MOUNT_POINT=$pi/bundle "$here/rauc-pre-install" \
    >"$pi/out" 2>&1; then echo accepted; else echo refused; fi
}
for case in 0.1.0+t3.next=accepted 0.1.0+t3.third=accepted 0.2.0=accepted 0.1.0+t3=accepted \
  0.1.0=refused 0.0.9+t9=refused =refused abc=refused; do
  got=$(pre_install "${case%%=*}")
  [ "$got" = "${case#*=}" ] || {
    echo "rauc-pre-install: bundle '${case%%=*}' on 0.1.0+t3 was $got, not ${case#*=}" >&2
    cat "$pi/out" >&2
    exit 1
  }
done
pre_install 0.1.0 >/dev/null
grep -q '^<< error refused: bundle 0.1.0 is older than the running 0.1.0+t3' "$pi/out" || {
  echo "rauc-pre-install: no '<< error' line for RAUC: $(cat "$pi/out")" >&2
  exit 1
}
echo "rauc-pre-install: older bundles and ones without a version refused, newer ones accepted"

bash "$here/test-bootloader.sh" >"$rt/bootloader.log" || {
  cat "$rt/bootloader.log"
  exit 1
}
echo "test-bootloader.sh: $(tail -n1 "$rt/bootloader.log")"
bash "$here/test-layout.sh" >"$rt/layout.log" || {
  cat "$rt/layout.log"
  exit 1
}
echo "test-layout.sh: $(tail -n1 "$rt/layout.log")"
bash "$here/test-rauc-dbus.sh" >"$rt/dbus.log" || {
  cat "$rt/dbus.log"
  exit 1
}
echo "test-rauc-dbus.sh: $(tail -n1 "$rt/dbus.log")"
