#!/usr/bin/env bash
# Builds the kiosk disk image from Debian 12 packages and the anjungan .deb:
#   kiosk-image/out/anjungan-kiosk.img  GPT: EFI (FAT, systemd-boot), root (ext4, read-only),
#                                       data (ext4, writable: database, config, logs)
#   kiosk-image/out/vmlinuz, initrd.img the same kernel and initrd, for QEMU's direct boot
# No loop devices and no mounts of our own: mkfs.ext4 -d fills the filesystems from folders,
# mtools fills the FAT, sfdisk partitions the image file, dd puts the pieces in place.
# (debootstrap mounts /proc and /sys inside the new root while its packages install, and
# unmounts them when done; see README.md.)
#
# Usage: kiosk-image/build.sh [--deb FILE]    (as root; see README.md for the variables)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUT:-$here/out}
suite=bookworm
# A fixed snapshot makes the package set reproducible, e.g.
# MIRROR=http://snapshot.debian.org/archive/debian/20250601T000000Z
mirror=${MIRROR:-http://deb.debian.org/debian}
# Timestamps inside the image (files, filesystems) are clamped to this. (Exported after
# `cargo deb`: some C build scripts rebuild when it changes, and the binary has no dates.)
source_date_epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}
# Fixed identifiers: the boot entry and fstab name partitions by them.
disk_guid=6a756e67-616e-4b00-8000-000000000000
esp_partuuid=6a756e67-616e-4b00-8000-000000000001
root_partuuid=6a756e67-616e-4b00-8000-000000000002
data_partuuid=6a756e67-616e-4b00-8000-000000000003
root_uuid=6a756e67-616e-4b00-8000-0000000000f2
data_uuid=6a756e67-616e-4b00-8000-0000000000f3
esp_volid=414e4a31
esp_mib=160
data_mib=${DATA_MIB:-512}

deb=""
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$2; shift 2 ;;
    *) echo "usage: $0 [--deb FILE]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "build.sh must run as root (debootstrap, file ownership in the image)" >&2
  exit 1
fi
for tool in debootstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install debootstrap e2fsprogs dosfstools mtools fdisk" >&2
    exit 1
  }
done

start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

if [ -z "$deb" ]; then
  step "cargo deb (release, --features kms)"
  # cargo deb prints the package's path last.
  deb=$(cd "$repo" && cargo deb --locked | tail -n1)
fi
step "package: $deb"
export SOURCE_DATE_EPOCH=$source_date_epoch

work=$out/work
rm -rf "$work"
mkdir -p "$work" "$out"
root=$work/root

packages=(
  systemd systemd-sysv udev dbus kmod
  linux-image-amd64 initramfs-tools systemd-boot-efi
  systemd-timesyncd systemd-resolved ca-certificates nftables
  libinput10 libxkbcommon0 libudev1 libfontconfig1 fonts-dejavu-core
  # Speech (docs/accessibility.md): the engine, and aplay/amixer for the sound card and
  # the headphone jack.
  espeak-ng alsa-utils
)
include=$(IFS=,; echo "${packages[*]}")
# debootstrap's result is kept in out/base.tar; REUSE_BASE=1 starts from it instead of
# debootstrapping again (for quick rebuilds while the package list is unchanged).
base=$out/base.tar
if [ "${REUSE_BASE:-0}" = 1 ] && [ -f "$base" ] && [ "$(cat "$base.packages" 2>/dev/null)" = "$mirror $include" ]; then
  step "reuse $base"
  mkdir -p "$root"
  tar -C "$root" --xattrs --numeric-owner -xf "$base"
else
  step "debootstrap $suite from $mirror"
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror"
  tar -C "$root" --xattrs --numeric-owner -cf "$base" .
  echo "$mirror $include" >"$base.packages"
fi

step "install the anjungan package"
cp "$deb" "$root/tmp/anjungan.deb"
chroot "$root" dpkg -i /tmp/anjungan.deb
rm "$root/tmp/anjungan.deb"
chroot "$root" apt-get clean

step "configure the kiosk system"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
EOF
echo anjungan-kiosk >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1 localhost
127.0.1.1 anjungan-kiosk
EOF
# Read-only root: the machine id is made up at each boot (see README.md).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
cat >"$root/etc/fstab" <<EOF
# Read-only root; everything that changes lives on the data partition.
PARTUUID=$root_partuuid  /                  ext4   ro,noatime                    0 1
PARTUUID=$data_partuuid  /data              ext4   rw,noatime                    0 2
PARTUUID=$esp_partuuid   /boot/efi          vfat   ro,umask=0077,nofail          0 2
/data/anjungan           /var/lib/anjungan  none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/etc-anjungan       /etc/anjungan      none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/log                /var/log           none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/systemd            /var/lib/systemd   none   bind,x-systemd.requires-mounts-for=/data 0 0
tmpfs                    /tmp               tmpfs  nosuid,nodev,mode=1777        0 0
tmpfs                    /var/tmp           tmpfs  nosuid,nodev,mode=1777        0 0
EOF
mkdir -p "$root/data" "$root/boot/efi" "$root/etc/anjungan" "$root/var/lib/anjungan"
install -d "$root/etc/systemd/journald.conf.d" "$root/etc/systemd/logind.conf.d" \
  "$root/etc/systemd/system.conf.d" "$root/etc/systemd/network" "$root/etc/sysctl.d"
cat >"$root/etc/systemd/journald.conf.d/anjungan.conf" <<'EOF'
# The journal lives on the data partition (/var/log is bound from /data/log).
[Journal]
Storage=persistent
SystemMaxUse=128M
EOF
cat >"$root/etc/systemd/logind.conf.d/anjungan.conf" <<'EOF'
# No login prompts on the display's consoles.
[Login]
NAutoVTs=0
ReserveVT=0
EOF
cat >"$root/etc/systemd/system.conf.d/anjungan.conf" <<'EOF'
# A hardware watchdog, where the PC has one, restarts a hung machine.
[Manager]
RuntimeWatchdogSec=60s
EOF
cat >"$root/etc/systemd/network/80-wired.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
LLMNR=no
MulticastDNS=no

[DHCPv4]
# The machine id changes per boot (read-only root): identify by MAC instead.
ClientIdentifier=mac
EOF
cat >"$root/etc/sysctl.d/50-anjungan.conf" <<'EOF'
# No magic SysRq from a keyboard plugged into the kiosk.
kernel.sysrq = 0
EOF
# No name service answered to the network: resolved's LLMNR (it listened on 0.0.0.0:5355)
# and mDNS off, on the resolver and on the link.
mkdir -p "$root/etc/systemd/resolved.conf.d"
cat >"$root/etc/systemd/resolved.conf.d/50-anjungan.conf" <<'EOF'
[Resolve]
LLMNR=no
MulticastDNS=no
EOF
# And a firewall that drops what the kiosk did not ask for (kiosk-image/nftables.conf).
install -m 0644 "$here/nftables.conf" "$root/etc/nftables.conf"
cp "$here/anjungan-test-shell.service" "$root/etc/systemd/system/"
chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service \
  systemd-timesyncd.service nftables.service anjungan-test-shell.service
chroot "$root" systemctl mask getty@tty1.service serial-getty@ttyS0.service \
  ctrl-alt-del.target systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer
chroot "$root" systemctl set-default multi-user.target
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

step "split off the data partition's contents"
data=$work/data
mkdir -p "$data/anjungan" "$data/etc-anjungan" "$data/log" "$data/systemd"
cp -a "$root/var/log/." "$data/log/"
find "$root/var/log" -mindepth 1 -delete
mkdir -p "$data/log/journal"
chroot "$root" getent group systemd-journal >/dev/null &&
  chown "0:$(chroot "$root" getent group systemd-journal | cut -d: -f3)" "$data/log/journal"
chmod 2755 "$data/log/journal"
cp -a "$root/var/lib/systemd/." "$data/systemd/"
anj_ids=$(chroot "$root" id -u anjungan):$(chroot "$root" id -g anjungan)
chown "$anj_ids" "$data/anjungan"
chmod 0750 "$data/anjungan"

step "boot files"
kver=$(basename "$(ls -d "$root"/lib/modules/*)")
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
cmdline="root=PARTUUID=$root_partuuid ro rootwait quiet loglevel=3 vt.global_cursor_default=0"
echo "$cmdline" >"$out/cmdline.txt"
esp=$work/esp
mkdir -p "$esp/EFI/BOOT" "$esp/loader/entries" "$esp/anjungan"
cp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
cp "$out/vmlinuz" "$out/initrd.img" "$esp/anjungan/"
cat >"$esp/loader/loader.conf" <<'EOF'
default anjungan.conf
timeout 0
editor no
EOF
cat >"$esp/loader/entries/anjungan.conf" <<EOF
title   Anjungan JKN kiosk
linux   /anjungan/vmlinuz
initrd  /anjungan/initrd.img
options $cmdline
EOF
# What the installer edits before the first boot (copied to /etc/anjungan on first boot).
cp "$here/config.toml" "$esp/anjungan/config.toml"
cat >"$esp/anjungan/environment" <<'EOF'
# Panel settings for the kiosk UI (systemd EnvironmentFile; see kiosk-image/README.md).
# SLINT_KMS_ROTATION=90
# SLINT_DRM_OUTPUT=HDMI-A-1
EOF

step "filesystems (timestamps clamped to SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
for tree in "$root" "$data" "$esp"; do
  find "$tree" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"
done
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
# Room for the files, their inodes and ext4's own metadata (the root stays read-only).
root_mib=$(($(du -sm "$root" | cut -f1) * 125 / 100 + 64))
root_inodes=$(($(find "$root" | wc -l) * 13 / 10 + 2048))
mkfs.ext4 -q -F -L anj-root -U "$root_uuid" -E hash_seed="$root_uuid",root_owner=0:0 \
  -N "$root_inodes" -d "$root" "$work/root.ext4" "${root_mib}M"
mkfs.ext4 -q -F -L anj-data -U "$data_uuid" -E hash_seed="$data_uuid",root_owner=0:0 \
  -d "$data" "$work/data.ext4" "${data_mib}M"
rm -f "$work/esp.fat"
mkfs.vfat -C -F 32 -n ANJ-EFI -i "$esp_volid" "$work/esp.fat" $((esp_mib * 1024)) >/dev/null
mcopy -s -p -m -i "$work/esp.fat" "$esp"/* ::/

step "partition the disk image"
img=$out/anjungan-kiosk.img
rm -f "$img"
total_mib=$((1 + esp_mib + root_mib + data_mib + 1))
truncate -s "${total_mib}M" "$img"
sfdisk --quiet "$img" <<EOF
label: gpt
label-id: $disk_guid
unit: sectors
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$esp_partuuid, name=anj-efi
size=$((root_mib * 2048)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$root_partuuid, name=anj-root
size=$((data_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$data_partuuid, name=anj-data
EOF
dd if="$work/esp.fat" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$img" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
dd if="$work/data.ext4" of="$img" bs=1M seek=$((1 + esp_mib + root_mib)) conv=notrunc,sparse status=none
rm -rf "$work"

step "done: $img ($(du -h --apparent-size "$img" | cut -f1), $(du -h "$img" | cut -f1) on disk)"
sha256sum "$img" | tee "$out/anjungan-kiosk.img.sha256"
