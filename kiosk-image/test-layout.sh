#!/usr/bin/env bash
# Checks the disk layout (layout.sh) as build.sh writes it, on a small sparse image file:
#  - the PARTUUIDs the partition table gets are the ones rauc-system.conf's slots and
#    rauc-bootloader's entries name;
#  - systemd-repart with the image's definition (repart-data.conf), on the image written
#    to a larger disk, grows the data partition (4) to the disk's end and leaves the EFI
#    partition and both root slots exactly as they were; a second run changes nothing.
# Run by check.sh; needs sfdisk and systemd-repart (systemd), no root, no loop device.
# (The data partition's ext4 is grown online by systemd-growfs at boot: not run here.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=layout.sh
. "$here/layout.sh"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
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

img=$t/disk.img
write_partition_table "$img" 8 16 8
dump() { sfdisk -d "$img" | grep "^$img"; }
part() { dump | grep "^$img$1 "; }
uuid_of() { part "$1" | sed 's/.*uuid=\([0-9A-Fa-f-]*\).*/\1/' | tr A-F a-f; }
check "4 partitions" 4 "$(dump | wc -l)"
check "1 is the ESP" "$esp_partuuid" "$(uuid_of 1)"
check "2 is root A" "$root_a_partuuid" "$(uuid_of 2)"
check "3 is root B" "$root_b_partuuid" "$(uuid_of 3)"
check "4 is data" "$data_partuuid" "$(uuid_of 4)"
check "rauc-system.conf: rootfs.0 (A) on partition 2" "/dev/disk/by-partuuid/$root_a_partuuid" \
  "$(sed -n '/^\[slot.rootfs.0\]/,/^\[/s/^device=//p' "$here/rauc-system.conf")"
check "rauc-system.conf: rootfs.1 (B) on partition 3" "/dev/disk/by-partuuid/$root_b_partuuid" \
  "$(sed -n '/^\[slot.rootfs.1\]/,/^\[/s/^device=//p' "$here/rauc-system.conf")"
check "rauc-bootloader: A's PARTUUID" "$root_a_partuuid" "$(sed -n 's/^ *A) echo \(.*\) ;;$/\1/p' "$here/rauc-bootloader")"
check "rauc-bootloader: B's PARTUUID" "$root_b_partuuid" "$(sed -n 's/^ *B) echo \(.*\) ;;$/\1/p' "$here/rauc-bootloader")"

before=$(dump)
# The image written to a disk 64 MiB larger (the backup GPT is no longer at its end).
truncate -s +64M "$img"
mkdir "$t/repart.d"
cp "$here/repart-data.conf" "$t/repart.d/50-anjungan-data.conf"
systemd-repart --dry-run=no --no-pager --definitions="$t/repart.d" "$img" >"$t/repart.log" 2>&1 || {
  cat "$t/repart.log"
  exit 1
}
after=$(dump)
for n in 1 2 3; do
  check "partition $n unchanged" "$(grep "^$img$n " <<<"$before")" "$(part $n)"
done
size_of() { [[ $1 =~ size=\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }
start_of() { [[ $1 =~ start=\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }
old4=$(grep "^$img""4 " <<<"$before")
new4=$(part 4)
check "data keeps its start" "$(start_of "$old4")" "$(start_of "$new4")"
check "data keeps its PARTUUID" "$data_partuuid" "$(uuid_of 4)"
last_lba=$(sfdisk -d "$img" | sed -n 's/^last-lba: *//p')
end4=$(($(start_of "$new4") + $(size_of "$new4") - 1))
# (systemd-repart sizes partitions in multiples of 4096 bytes.)
check "data ends within 4 KiB of the disk's last usable sector" yes \
  "$([ "$end4" -le "$last_lba" ] && [ $((last_lba - end4)) -lt 8 ] && echo yes || echo no)"
check "data grew by about 64 MiB" yes \
  "$([ $(($(size_of "$new4") - $(size_of "$old4"))) -ge $((63 * 2048)) ] && echo yes || echo no)"
systemd-repart --dry-run=no --no-pager --definitions="$t/repart.d" "$img" >"$t/repart2.log" 2>&1
check "a second run changes nothing" "$after" "$(dump)"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
