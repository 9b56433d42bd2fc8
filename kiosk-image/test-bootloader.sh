#!/usr/bin/env bash
# Drives kiosk-image/rauc-bootloader (RAUC's custom backend) on a temporary folder laid out
# like the image's EFI partition, simulating what systemd-boot does at each boot (boot the
# first entry in its order; rename its counter +LEFT-DONE to +LEFT-1-DONE+1 first), and
# checks what RAUC would see: an update to B, three failed tries and the fall-back to A,
# a second update that B passes, then an update back onto A. Run by check.sh; no root
# needed. The simulated order is systemd-boot's (src/boot/efi/boot.c,
# config_entry_compare): entries with no tries left last, then sort-key, then version
# (newest first); an independent implementation of the one in the backend.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
backend=$here/rauc-bootloader

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export ANJ_ESP=$t/esp ANJ_REMOUNT=0 ANJ_LOCK=$t/lock
entries=$ANJ_ESP/loader/entries
mkdir -p "$entries" "$ANJ_ESP/anjungan-a"
# Two slot roots with different kernels (relative links, as build.sh makes them).
for s in A B; do
  mkdir -p "$t/root$s/boot"
  echo "kernel $s" >"$t/root$s/boot/vmlinuz-6.1.0-$s"
  echo "initrd $s" >"$t/root$s/boot/initrd.img-6.1.0-$s"
  ln -s "vmlinuz-6.1.0-$s" "$t/root$s/boot/vmlinuz"
  ln -s "initrd.img-6.1.0-$s" "$t/root$s/boot/initrd.img"
done
export ANJ_SLOT_ROOT_A=$t/rootA ANJ_SLOT_ROOT_B=$t/rootB
# The image as build.sh lays it out: slot A's entry, blessed (no counter); B empty.
cat >"$entries/anjungan-a.conf" <<'EOF'
title    Anjungan JKN kiosk (slot A)
sort-key anjungan
version  1
linux    /anjungan-a/vmlinuz
initrd   /anjungan-a/initrd.img
options  root=PARTUUID=6a756e67-616e-4b00-8000-000000000002 rauc.slot=A ro rootwait quiet anjungan.dispenser=ttyS1
EOF

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
refuses() { # description, command...
  local d=$1
  shift
  checks=$((checks + 1))
  if "$@" 2>/dev/null; then
    echo "FAIL $d: succeeded"
    fails=$((fails + 1))
  else
    echo "ok   $d"
  fi
}
names() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//'; }
entry_names() { names "$entries"; }
blessed() { if "$backend" is-blessed "$1"; then echo yes; else echo no; fi; }

# systemd-boot, simulated: picks the entry, bumps its counter, "boots" it (sets the kernel
# line RAUC reads).
booted_entry=""
boot() {
  local f b left done_ dead v
  booted_entry=$(
    for f in "$entries"/*.conf; do
      b=$(basename "$f" .conf)
      dead=0
      if [[ $b =~ \+([0-9]+)(-([0-9]+))?$ ]] && [ "${BASH_REMATCH[1]}" = 0 ]; then dead=1; fi
      v=$(sed -n 's/^version[[:space:]]*//p' "$f")
      echo "$dead $v $b"
    done | sort -k1,1n -k2,2nr | head -n1 | cut -d' ' -f3
  )
  b=$booted_entry
  if [[ $b =~ ^(.*)\+([0-9]+)(-([0-9]+))?$ ]]; then
    left=${BASH_REMATCH[2]}
    done_=${BASH_REMATCH[4]:-0}
    [ "$left" -gt 0 ] && left=$((left - 1))
    mv "$entries/$b.conf" "$entries/${BASH_REMATCH[1]}+$left-$((done_ + 1)).conf"
    booted_entry=${BASH_REMATCH[1]}+$left-$((done_ + 1))
  fi
  ANJ_CMDLINE=$(sed -n 's/^options[[:space:]]*//p' "$entries/$booted_entry.conf")
  export ANJ_CMDLINE
}
state() { "$backend" get-state "$1"; }
primary() { "$backend" get-primary; }

echo "== the built image"
boot
check "first boot takes A's entry" "anjungan-a" "$booted_entry"
check "get-primary" A "$(primary)"
check "get-state A" good "$(state A)"
check "get-state B (empty slot, no entry)" bad "$(state B)"
check "A is blessed" yes "$(blessed A)"
refuses "get-state C" "$backend" get-state C
refuses "set-state A maybe" "$backend" set-state A maybe
refuses "set-state B good without an entry" "$backend" set-state B good
"$backend" set-state A good
check "set-state A good on a blessed entry changes nothing" "anjungan-a.conf" "$(entry_names)"

echo "== rauc install into B (RAUC: set-state B bad, write the slot, set-primary B)"
"$backend" set-state B bad
check "set-state B bad without an entry: still none" "anjungan-a.conf" "$(entry_names)"
"$backend" set-primary B
check "entries" "anjungan-a.conf anjungan-b+3.conf" "$(entry_names)"
check "B's kernel copied onto the ESP" "kernel B" "$(cat "$ANJ_ESP/anjungan-b/vmlinuz")"
check "B's initrd copied onto the ESP" "initrd B" "$(cat "$ANJ_ESP/anjungan-b/initrd.img")"
check "A's entry untouched" "version  1" "$(grep '^version' "$entries/anjungan-a.conf")"
check "B's version above A's" "version  2" "$(grep '^version' "$entries/anjungan-b+3.conf")"
check "B's kernel line: its root, its slot, the site's options kept" \
  "options  root=PARTUUID=6a756e67-616e-4b00-8000-000000000004 rauc.slot=B ro rootwait quiet anjungan.dispenser=ttyS1" \
  "$(grep '^options' "$entries/anjungan-b+3.conf")"
check "B's paths" "/anjungan-b/vmlinuz /anjungan-b/initrd.img" \
  "$(sed -n 's/^\(linux\|initrd\)[[:space:]]*//p' "$entries/anjungan-b+3.conf" | tr '\n' ' ' | sed 's/ $//')"
check "options B: what B's next boot measures (anjungan-data-crypt seal)" \
  "root=PARTUUID=6a756e67-616e-4b00-8000-000000000004 rauc.slot=B ro rootwait quiet anjungan.dispenser=ttyS1" \
  "$("$backend" options B)"
check "get-primary after set-primary B" B "$(primary)"
check "get-state B on trial" good "$(state B)"
check "B on trial is not blessed" no "$(blessed B)"

echo "== B never gets healthy: three tries, then A again"
for try in 1 2 3; do
  boot
  check "try $try boots B" "anjungan-b+$((3 - try))-$try" "$booted_entry"
  # No mark-good: anjungan-boot-ok times out and reboots.
done
check "get-state B after 3 failed tries" bad "$(state B)"
check "get-primary falls back" A "$(primary)"
boot
check "the fourth boot is A's" "anjungan-a" "$booted_entry"
check "A still blessed" good "$(state A)"
boot
check "and stays A" "anjungan-a" "$booted_entry"
check "B's dead entry is kept (+0-3)" "anjungan-a.conf anjungan-b+0-3.conf" "$(entry_names)"

echo "== a second update into B that works"
echo "kernel B2" >"$t/rootB/boot/vmlinuz-6.1.0-B"
"$backend" set-state B bad
check "set-state B bad on a dead entry: unchanged" "anjungan-a.conf anjungan-b+0-3.conf" "$(entry_names)"
"$backend" set-primary B
check "a fresh counter, the dead entry replaced" "anjungan-a.conf anjungan-b+3.conf" "$(entry_names)"
check "the new kernel" "kernel B2" "$(cat "$ANJ_ESP/anjungan-b/vmlinuz")"
check "version raised again" "version  3" "$(grep '^version' "$entries/anjungan-b+3.conf")"
boot
check "boots B" "anjungan-b+2-1" "$booted_entry"
# anjungan-boot-ok: healthy, `rauc status mark-good` -> set-state <booted> good
"$backend" set-state B good
check "mark-good: B blessed (the name systemd-bless-boot would give it)" \
  "anjungan-a.conf anjungan-b.conf" "$(entry_names)"
check "B is blessed" yes "$(blessed B)"
"$backend" set-state B good
check "mark-good again: no change" "anjungan-a.conf anjungan-b.conf" "$(entry_names)"
boot
check "B boots from now on" "anjungan-b" "$booted_entry"
check "get-primary" B "$(primary)"

echo "== the next update goes into A; the running B is never touched"
b_before=$(cat "$entries/anjungan-b.conf")
"$backend" set-state A bad
check "A marked bad (+0, kept as a last resort)" "anjungan-a+0-0.conf anjungan-b.conf" "$(entry_names)"
check "get-state A" bad "$(state A)"
check "get-primary while A is being written" B "$(primary)"
"$backend" set-primary A
check "A on trial" "anjungan-a+3.conf anjungan-b.conf" "$(entry_names)"
check "B's entry unchanged" "$b_before" "$(cat "$entries/anjungan-b.conf")"
check "A's kernel line from the booted B's" \
  "options  root=PARTUUID=6a756e67-616e-4b00-8000-000000000002 rauc.slot=A ro rootwait quiet anjungan.dispenser=ttyS1" \
  "$(grep '^options' "$entries/anjungan-a+3.conf")"
check "get-primary" A "$(primary)"
boot
check "boots A" "anjungan-a+2-1" "$booted_entry"
"$backend" set-state A good
check "A blessed" "anjungan-a.conf anjungan-b.conf" "$(entry_names)"
check "get-primary" A "$(primary)"

echo "== mark-active of the booted, blessed slot keeps it blessed"
"$backend" set-primary A
check "no counter for the proven booted slot" "anjungan-a.conf anjungan-b.conf" "$(entry_names)"
check "still primary" A "$(primary)"

echo "== set-option (anjungan-machine-id)"
"$backend" set-option systemd.machine_id 0123456789abcdef0123456789abcdef
"$backend" set-option systemd.machine_id 0123456789abcdef0123456789abcdee
check "on every entry, once" 2 "$(grep -l 'systemd.machine_id=0123456789abcdef0123456789abcdee$' "$entries"/*.conf | wc -l)"
check "the old value gone" 0 "$(grep -c 'abcdef0123456789abcdef ' "$entries/anjungan-a.conf" || true)"
"$backend" set-state B bad
"$backend" set-primary B
check "carried onto a new entry" 1 "$(grep -c 'systemd.machine_id=0123456789abcdef0123456789abcdee' "$entries/anjungan-b+3.conf")"
check "no temporary files left" "anjungan-a.conf anjungan-b+3.conf" "$(entry_names)"
check "no temporary kernel files left" "initrd.img vmlinuz" "$(names "$ANJ_ESP/anjungan-b")"

echo "== anjungan-boot-ok removes what keys in systemd-boot's menu left (d, t)"
mkdir -p "$t/efivars"
guid=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
printf 'x' >"$t/efivars/LoaderEntryDefault-$guid"
printf 'x' >"$t/efivars/LoaderConfigTimeout-$guid"
printf 'x' >"$t/efivars/LoaderEntrySelected-$guid"
out=$(ANJ_EFIVARS=$t/efivars "$here/anjungan-boot-ok" 2>&1 || true)
check "the default and the timeout go, the rest stays" "LoaderEntrySelected-$guid" "$(names "$t/efivars")"
check "and it says so" 2 "$(printf '%s\n' "$out" | grep -c 'a key pressed in the boot menu')"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
