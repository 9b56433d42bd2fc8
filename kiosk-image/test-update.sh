#!/usr/bin/env bash
# Updates from the hub, end to end, on the real image under QEMU (UEFI: OVMF firmware,
# systemd-boot's boot counting on the EFI partition, RAUC writing the other root slot).
# The host runs a real hub over HTTPS (anjungan hub serve on 127.0.0.1) that the guest
# reaches through QEMU's user network (restrict=on: 10.0.2.100:8787 is forwarded to the
# hub on the host's loopback by a relay, nothing else leaves the VM). See update_test.py for the
# steps; kiosk-image/README.md ("Updates and rollback") for what they prove and the figures.
#
# Bundles are made here from the test variant's root (build.sh --test-shell): a "bad" one
# whose app never sends READY, a "good" one with a new version string, and a third for
# the power cut. Each is a copy of out/root-test.ext4 edited with debugfs.
#
# Usage: kiosk-image/test-update.sh   (as root, after make-keys.sh and build.sh --test-shell)
#   ANJUNGAN=path   the host's anjungan binary: the hub and the simulators
#                   (default: target/release/anjungan)
#   ACCEL=kvm       hardware virtualisation (default: tcg)
#   BUNDLES_FROM=D  reuse the bundles of an earlier run (D = its bundles/ folder)
#   STEPS=...       a comma-separated subset of: notpm,passphrase,downgrade,rollback,update,
#                   powercut,cmdline,tpm
#                   (default: all)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUT:-$here/out}
anjungan=${ANJUNGAN:-$repo/target/release/anjungan}
ovmf=${OVMF:-/usr/share/ovmf/OVMF.fd}
img=$out/anjungan-kiosk-test.img
root_ext4=$out/root-test.ext4

for f in "$img" "$root_ext4" "$out/keys/signing.key.pem" "$anjungan" "$ovmf"; do
  [ -e "$f" ] || {
    echo "missing $f: run kiosk-image/make-keys.sh, build.sh --test-shell (and apt-get install ovmf)" >&2
    exit 1
  }
done
for tool in qemu-system-x86_64 python3 debugfs mcopy rauc mksquashfs swtpm sfdisk; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install qemu-system-x86 python3 e2fsprogs mtools rauc squashfs-tools swtpm swtpm-tools fdisk" >&2
    exit 1
  }
done

# Each run keeps its own folder (the screenshots and logs of earlier runs stay).
run=$out/test-update/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run/printed" "$run/shots" "$run/bundles"
echo "== run folder $run"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

base_version=$(cat "$root_ext4.version")

# make_bundle NAME VERSION [never-ready]: a copy of the test root with VERSION in its
# /etc/anjungan-release and os-release; never-ready also replaces the app with one that
# never sends READY=1 (its start times out after 30 s instead of 180 s, and boot-ok
# waits 60 s instead of 300 s, so three failed tries take minutes, not half an hour,
# under emulation).
make_bundle() {
  local name=$1 version=$2 kind=${3:-}
  local fs=$run/bundles/root-$name.ext4 t=$run/bundles/$name
  mkdir -p "$t"
  cp --sparse=always "$root_ext4" "$fs"
  debugfs -R 'cat /etc/anjungan-release' "$fs" 2>/dev/null |
    sed "s/^VERSION=.*/VERSION=$version/" >"$t/anjungan-release"
  local osr
  osr=$(debugfs -R 'stat /etc/os-release' "$fs" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"/\1/p')
  # A link, ../usr/lib/os-release in Debian (build.sh appends IMAGE_VERSION to its target).
  case "$osr" in /*) ;; '') osr=/etc/os-release ;; ../*) osr=/${osr#../} ;; *) osr=/etc/$osr ;; esac
  debugfs -R "cat $osr" "$fs" 2>/dev/null |
    sed "s/^IMAGE_VERSION=.*/IMAGE_VERSION=$version/" >"$t/os-release"
  grep -q "^IMAGE_VERSION=$version$" "$t/os-release" || {
    echo "could not rewrite IMAGE_VERSION in $osr of $fs" >&2
    exit 1
  }
  {
    echo "rm /etc/anjungan-release"
    echo "write $t/anjungan-release /etc/anjungan-release"
    echo "rm $osr"
    echo "write $t/os-release $osr"
    if [ "$kind" = never-ready ]; then
      printf '[Service]\nExecStart=\nExecStart=/bin/sleep infinity\nTimeoutStartSec=30s\n' >"$t/never-ready.conf"
      printf '[Service]\nEnvironment=ANJ_HEALTH_TIMEOUT=60\n' >"$t/boot-ok.conf"
      echo "mkdir /etc/systemd/system/anjungan.service.d"
      echo "write $t/never-ready.conf /etc/systemd/system/anjungan.service.d/never-ready.conf"
      echo "mkdir /etc/systemd/system/anjungan-boot-ok.service.d"
      echo "write $t/boot-ok.conf /etc/systemd/system/anjungan-boot-ok.service.d/test-timeout.conf"
    fi
  } >"$t/debugfs.cmds"
  debugfs -w -f "$t/debugfs.cmds" "$fs" >"$t/debugfs.log" 2>&1
  e2fsck -fn "$fs" >"$t/fsck.log" 2>&1 || { cat "$t/fsck.log" >&2; exit 1; }
  echo "$version" >"$fs.version"
  ALLOW_TEST_ROOT=1 OUT=$run/bundles BUNDLE_CERT=$out/keys/signing.cert.pem \
    BUNDLE_KEY=$out/keys/signing.key.pem KEYRING=$out/keys/ca.cert.pem \
    "$here/bundle.sh" "$fs" >"$t/bundle.log" 2>&1 || {
    cat "$t/bundle.log" >&2
    exit 1
  }
  # The bundle holds it (squashfs); the 1 GiB copy is not needed again.
  rm -f "$fs"
  echo "$run/bundles/anjungan-$version.raucb"
}
t=$(date +%s)
steps=${STEPS:-notpm,passphrase,downgrade,rollback,update,powercut,cmdline,tpm}
wants() { grep -qE "(^|,)$1(,|$)" <<<"$steps"; }
# Only the bundles the steps install: downgrade the old one (0.0.1, below every image
# version), rollback the bad one, update the good one, powercut the third.
bad=none good=none third=none old=none
for b in old:downgrade:0.0.1 bad:rollback:$base_version.bad good:update:$base_version.next \
  third:powercut:$base_version.third; do
  name=${b%%:*} rest=${b#*:}
  step=${rest%%:*} version=${rest#*:}
  wants "$step" || continue
  if [ -n "${BUNDLES_FROM:-}" ]; then
    # An earlier run's bundles (BUNDLES_FROM=out/test-update/<run>/bundles), when they
    # were made from this same root: the minutes of making them are saved.
    f=$BUNDLES_FROM/anjungan-$version.raucb
    [ -f "$f" ] || { echo "no $f (made from another root?)" >&2; exit 1; }
    cp "$f" "$f.sha256" "$run/bundles/" 2>/dev/null || cp "$f" "$run/bundles/"
    path=$run/bundles/anjungan-$version.raucb
  elif [ "$name" = bad ]; then
    path=$(make_bundle "$name" "$version" never-ready)
  else
    path=$(make_bundle "$name" "$version")
  fi
  printf -v "$name" '%s' "$path"
  echo "== bundle $name ($version): $(du -h "$path" | cut -f1)"
done
echo "== bundles ready in $(($(date +%s) - t)) s"

# The hub: its keys (the guest reaches it as 10.0.2.100), a dataset, the kiosk's secret.
hub=$run/hub
mkdir -p "$hub"
"$anjungan" hub keygen --out "$hub/keys" --name 10.0.2.100 >/dev/null
"$anjungan" gen-dataset --out "$hub/data" --members 2000 --facilities 300 >/dev/null
"$anjungan" hub import --data "$hub/data" >/dev/null
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(
  umask 077
  printf '[[kiosk]]\ncons_id = "kiosk-1"\nsecret = "%s"\nname = "QEMU"\n' "$secret" >"$hub/kiosks.toml"
)
# Two members of the hub's dataset: one whose status fingerprints the kiosk's database,
# and one who may ask for a kelas change today (asked of a throwaway kiosk database here,
# with the same binary), for the request queued before the power cut.
probe=$(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r["card_no"]+","+r["birth_date"])' "$hub/data/members.csv")
mkdir -p "$run/pick/cred"
head -c 32 /dev/urandom >"$run/pick/cred/db-key"
CREDENTIALS_DIRECTORY=$run/pick/cred "$anjungan" import "$hub/data" --db "$run/pick/kiosk.db" >/dev/null
member=$(CREDENTIALS_DIRECTORY=$run/pick/cred python3 - "$anjungan" "$hub/data/members.csv" "$run/pick/kiosk.db" <<'PICK'
import csv, subprocess, sys
exe, members, db = sys.argv[1:]
for r in csv.DictReader(open(members)):
    if r["segment"] in ("PBPU", "BP") and r["status"] == "AKTIF" and r["relation"] == "PESERTA":
        to = "2" if r["kelas"] != "2" else "3"
        q = subprocess.run([exe, "query", "change-kelas", "--db", db, "--card", r["card_no"],
                            "--dob", r["birth_date"], "--to", to, "--json"], capture_output=True)
        if q.returncode == 0:
            print(f"{r['card_no']},{r['birth_date']},{to}")
            break
PICK
)
rm -rf "$run/pick"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The guest's disk: a sparse copy of the test image, with the installer's files on its
# FAT partition (offset 1 MiB, layout.sh): config.toml with [hub] and [updates], and the
# hub's certificate, public key and this kiosk's secret, which first boot moves to /etc.
disk=$run/disk.img
cp --sparse=always "$img" "$disk"
# A disk larger than the image, as a kiosk's SSD is: first boot grows the data partition
# to its end (systemd-repart) before encrypting it, and bundles are downloaded there.
truncate -s "+${GROW_GIB:-3}G" "$disk"
sed -e '/^\[updates\]/,$d' "$here/config.toml" >"$run/config.toml"
cat >>"$run/config.toml" <<EOF
[hub]
url = "https://10.0.2.100:8787"
ca = "/etc/anjungan/hub-tls.crt"
public_key = "/etc/anjungan/hub.pub"
cons_id = "kiosk-1"
secret_file = "/etc/anjungan/hub-secret"

[updates]
channel = "stable"
# All day (equal ends): the test does not wait for the night.
install_window = "00:00-00:00"
check_secs = 10
health_secs = 60
EOF
sed -i 's/^interval_secs = .*/interval_secs = 20/' "$run/config.toml"
printf '%s\n' "$secret" >"$run/hub-secret"
mcopy -o -i "$disk@@1M" "$run/config.toml" ::/anjungan/config.toml
mcopy -o -i "$disk@@1M" "$hub/keys/tls.crt" ::/anjungan/hub-tls.crt
mcopy -o -i "$disk@@1M" "$hub/keys/hub.pub" ::/anjungan/hub.pub
mcopy -o -i "$disk@@1M" "$run/hub-secret" ::/anjungan/hub-secret
rm "$run/hub-secret"

# shellcheck source=kiosk-image/sims.sh
. "$here/sims.sh"
start_simulators "$anjungan" "$run"

# The guest's way to the hub: QEMU runs this for every connection to 10.0.2.100:8787
# (guestfwd=...-cmd:), joining the guest's stream to a new connection to the hub on the
# host's loopback. (A guestfwd to a chardev is one connection for the VM's whole life.)
cat >"$run/hub-relay.py" <<'RELAY'
import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def up():
    while True:
        d = os.read(0, 65536)
        if not d:
            s.shutdown(socket.SHUT_WR)
            return
        s.sendall(d)
threading.Thread(target=up, daemon=True).start()
while True:
    d = s.recv(65536)
    if not d:
        break
    os.write(1, d)
RELAY

# The kiosk's TPM 2.0: swtpm, its state in RUN/tpm (update_test.py starts it beside every
# QEMU, and a fresh state for "another PC").
mkdir -p "$run/tpm"
cat >"$run/swtpm.args" <<EOF
swtpm
socket
--tpm2
--tpmstate
dir=$run/tpm
--ctrl
type=unixio,path=$run/swtpm.sock
--log
file=$run/swtpm.log
EOF

# QEMU's command line, for update_test.py to start again after it cut the power.
accel=${ACCEL:-tcg}
cat >"$run/qemu.args" <<EOF
qemu-system-x86_64
-machine
q35
-accel
$accel
-m
1536
-smp
2
-bios
$ovmf
-drive
file=$disk,if=virtio,format=raw
-vga
none
-device
virtio-gpu-pci,xres=1080,yres=1920
-display
none
-device
qemu-xhci
-device
usb-tablet
-nic
user,model=virtio-net-pci,restrict=on,guestfwd=tcp:10.0.2.100:8787-cmd:python3 $run/hub-relay.py $port
-chardev
socket,id=con,path=$run/console.sock,server=on,wait=off,logfile=$run/console.log,logappend=on
-serial
chardev:con
-chardev
serial,id=disp,path=$dispenser_pty
-serial
chardev:disp
-chardev
serial,id=prn,path=$printer_pty
-serial
chardev:prn
-qmp
unix:$run/qmp.sock,server=on,wait=off
-chardev
socket,id=chrtpm,path=$run/swtpm.sock
-tpmdev
emulator,id=tpm0,chardev=chrtpm
-device
tpm-crb,tpmdev=tpm0
EOF

python3 "$here/update_test.py" --run "$run" --anjungan "$anjungan" --port "$port" \
  --bad "$bad" --good "$good" --third "$third" --old "$old" --base-version "$base_version" \
  --probe "$probe" --member "$member" \
  --steps "$steps"
