#!/usr/bin/env bash
# Runs the real RAUC service (rauc 1.8, `rauc service`) with the image's system.conf and
# bootloader backend on a private system bus whose policy is Debian's (system.conf,
# /usr/share/dbus-1/system.d with rauc-service's de.pengutronix.rauc.conf) plus ours
# (anjungan-rauc.conf), and checks:
#  - root and the kiosk's user get `rauc status --output-format=json` (A booted and good,
#    B bad: the backend's answers on an ESP laid out as build.sh does, through RAUC);
#  - another user (nobody) is refused by the bus;
#  - `rauc status mark-good` as the kiosk's user goes through and leaves the blessed A
#    entry as it is.
# The policy's user is rewritten from anjungan to `daemon` (uid 1, present on Debian):
# this machine has no anjungan user. Needs root (to run clients as other users), rauc,
# rauc-service's policy file and dbus-daemon; skipped (exit 0, with a note) without them.
# No slot device is written: no install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
debian_policy=/usr/share/dbus-1/system.d/de.pengutronix.rauc.conf
if [ "$(id -u)" != 0 ] || ! command -v dbus-daemon >/dev/null || ! command -v rauc >/dev/null ||
  [ ! -f "$debian_policy" ]; then
  echo "test-rauc-dbus.sh: skipped (needs root, dbus-daemon, rauc and rauc-service)"
  exit 0
fi

t=$(mktemp -d)
chmod 0755 "$t"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT

# The system bus's configuration, on a socket of our own, with the image's policy files.
mkdir "$t/etc.d"
sed -e "s|<listen>.*</listen>|<listen>unix:path=$t/bus</listen>|" \
  -e 's|<user>messagebus</user>||' -e 's|<fork/>||' -e 's|<pidfile>.*</pidfile>||' \
  -e 's|<include ignore_missing="yes">/etc/dbus-1/[^<]*</include>||' \
  -e 's|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|' \
  -e "s|<includedir>/etc/dbus-1/system.d</includedir>|<includedir>$t/etc.d</includedir>|" \
  -e 's|<servicedir>[^<]*</servicedir>||' -e 's|<standard_system_servicedirs/>||' \
  /usr/share/dbus-1/system.conf >"$t/bus.conf"
sed 's/user="anjungan"/user="daemon"/' "$here/anjungan-rauc.conf" >"$t/etc.d/anjungan-rauc.conf"
dbus-daemon --config-file="$t/bus.conf" --nofork >"$t/bus.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$t/bus" ] && break; sleep 0.1; done
chmod 0666 "$t/bus"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$t/bus

# The ESP as build.sh leaves it (A's entry, blessed), and the backend pointed at it.
mkdir -p "$t/esp/loader/entries" "$t/data" "$t/mnt"
cat >"$t/esp/loader/entries/anjungan-a.conf" <<ENTRY
title    Anjungan JKN kiosk (slot A)
sort-key anjungan
version  1
linux    /anjungan-a/vmlinuz
initrd   /anjungan-a/initrd.img
options  root=PARTUUID=6a756e67-616e-4b00-8000-000000000002 rauc.slot=A ro
ENTRY
cat >"$t/backend" <<BACKEND
#!/bin/sh
export ANJ_ESP=$t/esp ANJ_REMOUNT=0 ANJ_LOCK=$t/lock ANJ_CMDLINE="rauc.slot=A"
exec $here/rauc-bootloader "\$@"
BACKEND
chmod 0755 "$t/backend"
OUT=$t "$here/make-keys.sh" >/dev/null
sed -e "s|^data-directory=.*|data-directory=$t/data|" -e "s|^path=.*|path=$t/keys/ca.cert.pem|" \
  -e "s|^bootloader-custom-backend=.*|bootloader-custom-backend=$t/backend|" \
  "$here/rauc-system.conf" >"$t/system.conf"
rauc --conf="$t/system.conf" --override-boot-slot=A --mount="$t/mnt" service >"$t/service.log" 2>&1 &
pids+=($!)

as() { # uid, command...: runs a client as that user on the private bus
  local uid=$1
  shift
  setpriv --reuid="$uid" --regid="$uid" --clear-groups \
    env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" "$@"
}
fails=0
checks=0
check() { # description, expected, actual
  checks=$((checks + 1))
  if [ "$2" = "$3" ]; then
    echo "ok   $1"
  else
    echo "FAIL $1: expected '$2', got '$3'"
    fails=$((fails + 1))
  fi
}
slots() { # JSON on stdin -> "booted=A primary=rootfs.0 A=good B=bad"
  python3 -c '
import json, sys
s = json.load(sys.stdin)
st = {v["bootname"]: v["boot_status"] for d in s["slots"] for v in d.values()}
print("booted=%s primary=%s A=%s B=%s" % (s["booted"], s["boot_primary"], st["A"], st["B"]))'
}
# (rauc aborts with SIGTRAP while the service is not on the bus yet: quiet, in a subshell.)
for _ in $(seq 50); do (rauc status) >/dev/null 2>&1 && break; sleep 0.2; done
want="booted=A primary=rootfs.0 A=good B=bad"
check "root: rauc status" "$want" "$(rauc status --output-format=json 2>/dev/null | slots)"
check "the kiosk's user: rauc status" "$want" \
  "$(as 1 rauc status --output-format=json 2>/dev/null | slots || echo refused)"
if as 65534 rauc status >"$t/nobody.log" 2>&1; then nobody=allowed; else nobody=refused; fi
check "another user is refused" refused "$nobody"
check "... by the bus's policy" yes "$(grep -q 'Rejected send message' "$t/nobody.log" && echo yes || echo no)"
check "the kiosk's user: mark-good" ok "$(as 1 rauc status mark-good >/dev/null 2>&1 && echo ok || echo failed)"
check "A's blessed entry unchanged" anjungan-a.conf "$(ls "$t/esp/loader/entries")"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
