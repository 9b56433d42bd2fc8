#!/usr/bin/env bash
# Builds the kiosk disk image from Debian 12 packages and the anjungan .deb:
#   kiosk-image/out/anjungan-kiosk.img  GPT: 1 EFI (FAT, systemd-boot), 2 root slot A (ext4,
#                                       read-only), 3 root slot B (empty until the first
#                                       update), 4 data (ext4, writable: database, config,
#                                       logs, RAUC's status; grows to fill the disk)
#   kiosk-image/out/root.ext4           slot A's filesystem, for bundle.sh (+ .version)
#   kiosk-image/out/vmlinuz, initrd.img the same kernel and initrd, for QEMU's direct boot
#   kiosk-image/out/version             the image's version (also /etc/anjungan-release)
# With --test-shell: anjungan-kiosk-test.img and root-test.ext4 instead, the variant the
# boot test boots, with a root shell on ttyS0 (anjungan-test-shell.service, started by
# anjungan.test_shell=1 on the kernel line). The default image has no such unit.
# No loop devices and no mounts of our own: mkfs.ext4 -d fills the filesystems from folders,
# mtools fills the FAT, sfdisk partitions the image file, dd puts the pieces in place.
# (debootstrap mounts /proc and /sys inside the new root while its packages install, and
# unmounts them when done; see README.md.)
#
# Usage: kiosk-image/build.sh [--deb FILE] [--test-shell]   (as root; see README.md for the
#        variables: MIRROR, SOURCE_DATE_EPOCH, DATA_MIB, ROOT_SLOT_MIB, KEYRING, OUT, ...)
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
# Fixed identifiers: the partition table's (disk GUID, PARTUUIDs) are in layout.sh, with
# the table itself; the boot entries, fstab and RAUC's slots name partitions by them.
# shellcheck source-path=SCRIPTDIR source=layout.sh
. "$here/layout.sh"
root_uuid=6a756e67-616e-4b00-8000-0000000000f2
data_uuid=6a756e67-616e-4b00-8000-0000000000f3
esp_volid=414e4a31
# The EFI partition holds a kernel and initrd per slot, and an update writes the new
# slot's pair before the old one goes (checked below).
esp_mib=512
# Each root slot: room for the root filesystems of later updates, not just this one's.
root_slot_mib=${ROOT_SLOT_MIB:-2048}
# The data partition's size in the image; systemd-repart grows it to the disk's end.
data_mib=${DATA_MIB:-512}

deb=""
test_shell=false
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$2; shift 2 ;;
    --test-shell) test_shell=true; shift ;;
    *) echo "usage: $0 [--deb FILE] [--test-shell]" >&2; exit 2 ;;
  esac
done
if $test_shell; then
  variant="test"
  img_name=anjungan-kiosk-test.img
  root_name="root-test.ext4"
else
  variant="production"
  img_name=anjungan-kiosk.img
  root_name="root.ext4"
fi
# The CA the image trusts for RAUC bundles (bundle.sh signs with a certificate it issued).
keyring=${KEYRING:-$out/keys/ca.cert.pem}
if [ ! -f "$keyring" ]; then
  echo "missing $keyring: run kiosk-image/make-keys.sh (development keys) or set KEYRING" >&2
  exit 1
fi

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
# The image's version: the package's, the build's date and commit. RAUC bundles made from
# this root carry it (bundle.sh); the kiosk reads it from /etc/anjungan-release.
deb_version=$(dpkg-deb -f "$deb" Version)
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD 2>/dev/null || commit=$commit.dirty
build_date=$(date -u -d "@$source_date_epoch" +%Y%m%dT%H%M%SZ)
image_version=${IMAGE_VERSION:-$deb_version+$build_date.$commit}
$test_shell && image_version=$image_version.test
step "image version $image_version ($variant)"

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
  # A/B updates (README.md "Updates and rollback"): rauc verifies a signed bundle and
  # writes it into the root slot not running; rauc-service is its D-Bus service
  # (rauc.service, bus activation), which the rauc command line talks to.
  rauc rauc-service
  # The encrypted data partition (README.md "The encrypted data partition"): cryptsetup to
  # format it at first boot; the TPM2 libraries systemd-cryptenroll and systemd-cryptsetup
  # load to seal and unseal its key.
  cryptsetup-bin libtss2-esys-3.0.2-0 libtss2-rc0 libtss2-mu0 libtss2-tcti-device0
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
# Read-only root: empty here; the first boot's id (made up by systemd) is kept by
# anjungan-machine-id.service on the data partition and the kernel line (see README.md).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# No line for /: both slots share this fstab, and the kernel line (root=PARTUUID= of
# the slot's own partition, ro) says which partition is the root.
cat >"$root/etc/fstab" <<EOF
# Read-only root (slot A or B, from the kernel line); what changes lives on /data.
/dev/mapper/data         /data              ext4   rw,noatime,x-systemd.growfs   0 2
PARTUUID=$esp_partuuid   /boot/efi          vfat   ro,umask=0077,nofail          0 2
/data/anjungan           /var/lib/anjungan  none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/etc-anjungan       /etc/anjungan      none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/log                /var/log           none   bind,x-systemd.requires-mounts-for=/data 0 0
/data/systemd            /var/lib/systemd   none   bind,x-systemd.requires-mounts-for=/data 0 0
tmpfs                    /tmp               tmpfs  nosuid,nodev,mode=1777        0 0
tmpfs                    /var/tmp           tmpfs  nosuid,nodev,mode=1777        0 0
EOF
# The data partition is LUKS2 from the first boot on (anjungan-data-crypt encrypts the
# factory ext4 in place of it): opened with its TPM2 key, else the console asks for the
# recovery key (or, with [disk] unlock = "passphrase", that key at every boot).
cat >"$root/etc/crypttab" <<EOF
data  PARTUUID=$data_partuuid  none  luks,tpm2-device=auto
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
# Updates (README.md "Updates and rollback"): RAUC's configuration, the CA it trusts,
# our bootloader backend, who may call it on D-Bus, and the units that bless a slot,
# reboot for the app and keep the machine id.
install -d "$root/etc/rauc" "$root/usr/lib/anjungan" "$root/etc/dbus-1/system.d" \
  "$root/etc/repart.d" "$root/etc/systemd/system/systemd-growfs@data.service.d"
install -m 0644 "$here/rauc-system.conf" "$root/etc/rauc/system.conf"
install -m 0644 "$keyring" "$root/etc/rauc/keyring.pem"
install -m 0755 "$here/rauc-bootloader" "$here/rauc-pre-install" "$here/anjungan-boot-ok" \
  "$here/anjungan-machine-id" "$here/anjungan-data-crypt" "$here/anjungan-recovery-print" \
  "$root/usr/lib/anjungan/"
install -m 0644 "$here/anjungan-rauc.conf" "$root/etc/dbus-1/system.d/anjungan-rauc.conf"
for unit in anjungan-boot-ok.service anjungan-reboot.path anjungan-reboot.service \
  anjungan-machine-id.service anjungan-data-crypt.service anjungan-recovery-print.service; do
  install -m 0644 "$here/$unit" "$root/etc/systemd/system/"
done
# The LUKS volume is opened only once first boot made it one.
install -d "$root/etc/systemd/system/systemd-cryptsetup@data.service.d"
cat >"$root/etc/systemd/system/systemd-cryptsetup@data.service.d/anjungan.conf" <<'EOF'
[Unit]
Requires=anjungan-data-crypt.service
After=anjungan-data-crypt.service
EOF
# The data partition grows to the end of the disk (repart), then its ext4 (growfs).
install -m 0644 "$here/repart-data.conf" "$root/etc/repart.d/50-anjungan-data.conf"
cat >"$root/etc/systemd/system/systemd-growfs@data.service.d/after-repart.conf" <<'EOF'
# Grow /data's ext4 after systemd-repart grew its partition (both run at every boot).
[Unit]
After=systemd-repart.service
EOF
# Stable names of this root's kernel and initrd, relative links inside the slot, which
# rauc-bootloader copies onto the EFI partition when the slot becomes primary.
kver=$(basename "$(ls -d "$root"/lib/modules/*)")
ln -sf "vmlinuz-$kver" "$root/boot/vmlinuz"
ln -sf "initrd.img-$kver" "$root/boot/initrd.img"
# Which version this root is (the app reports it; bundles carry the same string).
cat >"$root/etc/anjungan-release" <<EOF
VERSION=$image_version
VARIANT=$variant
PACKAGE_VERSION=$deb_version
COMMIT=$commit
BUILD_DATE=$build_date
EOF
os_release=$(readlink -f "$root/etc/os-release")
case "$os_release" in "$root"/*) ;; *) os_release=$root/usr/lib/os-release ;; esac
printf 'IMAGE_ID=anjungan-kiosk\nIMAGE_VERSION=%s\n' "$image_version" >>"$os_release"
enable=(systemd-networkd.service systemd-resolved.service systemd-timesyncd.service
  nftables.service anjungan-boot-ok.service anjungan-reboot.path anjungan-machine-id.service
  anjungan-recovery-print.service)
if $test_shell; then
  # The boot test's variant only: a root shell on ttyS0 (anjungan.test_shell=1).
  cp "$here/anjungan-test-shell.service" "$root/etc/systemd/system/"
  enable+=(anjungan-test-shell.service)
  # ... and the app's UI probe (src/ui/probe.rs): where each labelled control is on
  # screen, in /run/anjungan/ui-targets.json, so boot_test.py taps by label.
  mkdir -p "$root/etc/systemd/system/anjungan.service.d"
  printf '[Service]\nEnvironment=ANJUNGAN_UI_PROBE=/run/anjungan/ui-targets.json\n' \
    >"$root/etc/systemd/system/anjungan.service.d/ui-probe.conf"
fi
chroot "$root" systemctl enable "${enable[@]}"
# systemd-bless-boot is not in the image (it comes with the systemd-boot package, which
# is not installed: systemd-boot-efi only): our backend blesses an entry, on
# `rauc status mark-good`. Masked all the same, should a later package list bring it:
# it would fail on the read-only EFI partition.
chroot "$root" systemctl mask getty@tty1.service serial-getty@ttyS0.service \
  ctrl-alt-del.target systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer systemd-bless-boot.service
chroot "$root" systemctl set-default multi-user.target
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

step "split off the data partition's contents"
data=$work/data
mkdir -p "$data/anjungan" "$data/etc-anjungan" "$data/log" "$data/systemd"
# RAUC's slot status (rauc-system.conf: data-directory=/data/rauc).
install -d -m 0700 "$data/rauc"
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
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
cmdline="root=PARTUUID=$root_a_partuuid rauc.slot=A ro rootwait quiet loglevel=3 vt.global_cursor_default=0"
echo "$cmdline" >"$out/cmdline.txt"
echo "$image_version" >"$out/version"
esp=$work/esp
mkdir -p "$esp/EFI/BOOT" "$esp/loader/entries" "$esp/anjungan" "$esp/anjungan-a"
cp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
cp "$out/vmlinuz" "$out/initrd.img" "$esp/anjungan-a/"
# Room on the EFI partition: slot A's pair, slot B's, and B's new pair while an update
# copies it (rauc-bootloader writes *.new, then renames), with 32 MiB to spare.
pair_mib=$(( ($(stat -c %s "$out/vmlinuz") + $(stat -c %s "$out/initrd.img")) / 1048576 + 1 ))
if [ $((3 * pair_mib + 32)) -gt "$esp_mib" ]; then
  echo "kernel + initrd is $pair_mib MiB: three of them do not fit the $esp_mib MiB EFI partition" >&2
  exit 1
fi
# No `default`: systemd-boot boots the first entry in its order (entries with no tries
# left last, then sort-key, then version, newest first); rauc-bootloader keeps the
# primary slot's entry first. See README.md "Updates and rollback".
cat >"$esp/loader/loader.conf" <<'EOF'
timeout 0
editor no
EOF
# Slot A, blessed (no boot counter): the image's first boot has nothing to fall back to.
# Slot B has no entry until an update writes it (rauc-bootloader set-primary B).
# The test variant's entry also starts its shell and names the simulators' ports, so a
# UEFI boot (test-update.sh) has them; updates carry an entry's options to the new slot.
entry_options=$cmdline
if $test_shell; then
  entry_options+=" console=ttyS0,115200 anjungan.test_shell=1 anjungan.dispenser=ttyS1 anjungan.printer=ttyS2"
fi
cat >"$esp/loader/entries/anjungan-a.conf" <<EOF
title    Anjungan JKN kiosk (slot A)
sort-key anjungan
version  1
linux    /anjungan-a/vmlinuz
initrd   /anjungan-a/initrd.img
options  $entry_options
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
if [ "$root_mib" -gt "$root_slot_mib" ]; then
  echo "the root filesystem needs $root_mib MiB: more than a $root_slot_mib MiB slot (ROOT_SLOT_MIB)" >&2
  exit 1
fi
mkfs.ext4 -q -F -L anj-root -U "$root_uuid" -E hash_seed="$root_uuid",root_owner=0:0 \
  -N "$root_inodes" -d "$root" "$work/root.ext4" "${root_mib}M"
mkfs.ext4 -q -F -L anj-data -U "$data_uuid" -E hash_seed="$data_uuid",root_owner=0:0 \
  -d "$data" "$work/data.ext4" "${data_mib}M"
rm -f "$work/esp.fat"
mkfs.vfat -C -F 32 -n ANJ-EFI -i "$esp_volid" "$work/esp.fat" $((esp_mib * 1024)) >/dev/null
mcopy -s -p -m -i "$work/esp.fat" "$esp"/* ::/

step "partition the disk image"
img=$out/$img_name
write_partition_table "$img" "$esp_mib" "$root_slot_mib" "$data_mib"
# Slot B stays empty (zeros, sparse): RAUC sees it as bad (no boot entry) and writes it at
# the first update; a copy of A would only make the image slower to write.
dd if="$work/esp.fat" of="$img" bs=1M seek="$(esp_offset_mib)" conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$img" bs=1M seek="$(root_a_offset_mib "$esp_mib")" \
  conv=notrunc,sparse status=none
dd if="$work/data.ext4" of="$img" bs=1M seek="$(data_offset_mib "$esp_mib" "$root_slot_mib")" \
  conv=notrunc,sparse status=none
# The root filesystem, for bundle.sh (an update to this version).
mv "$work/root.ext4" "$out/$root_name"
echo "$image_version" >"$out/$root_name.version"
rm -rf "$work"

step "done: $img ($(du -h --apparent-size "$img" | cut -f1), $(du -h "$img" | cut -f1) on disk)"
sha256sum "$img" | tee "$img.sha256"
