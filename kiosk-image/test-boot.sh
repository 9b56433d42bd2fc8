#!/usr/bin/env bash
# Boots the built kiosk image (kiosk-image/out/, from build.sh) under qemu-system-x86_64 and
# proves it boots into Anjungan: see boot_test.py for the checks. The host runs the
# dispenser simulator and the virtual printer on pseudo-terminals that QEMU wires to the
# guest's ttyS1 and ttyS2; the guest's udev rules name them /dev/anjungan-dispenser and
# /dev/anjungan-printer (anjungan.dispenser=ttyS1 anjungan.printer=ttyS2 on the kernel line).
#
# It boots the --test-shell variant (build.sh --test-shell: anjungan-kiosk-test.img, the
# one with a root shell on ttyS0); the production image has no shell to drive.
#
# Usage: kiosk-image/test-boot.sh [--update-screenshot] [--uefi]
#   --uefi          boot the disk as a PC does instead (OVMF firmware, systemd-boot from the
#                   EFI partition, the image's own kernel line): checks the home screen only,
#                   on the production image (anjungan-kiosk.img) when it was built
#   IMG=path        the disk image to boot
#   ANJUNGAN=path   the host's anjungan binary for the simulators (default: target/release)
#   ACCEL=kvm       hardware virtualisation (default: tcg, software emulation)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUT:-$here/out}
anjungan=${ANJUNGAN:-$repo/target/release/anjungan}
update_screenshot=false
uefi=false
for arg in "$@"; do
  case "$arg" in
    --update-screenshot) update_screenshot=true ;;
    --uefi) uefi=true ;;
    *) echo "usage: $0 [--update-screenshot] [--uefi]" >&2; exit 2 ;;
  esac
done
ovmf=${OVMF:-/usr/share/ovmf/OVMF.fd}
if $uefi && [ ! -f "$ovmf" ]; then
  echo "missing $ovmf: apt-get install ovmf" >&2
  exit 1
fi
if [ -n "${IMG:-}" ]; then
  img=$IMG
elif $uefi && [ -f "$out/anjungan-kiosk.img" ]; then
  img=$out/anjungan-kiosk.img
else
  img=$out/anjungan-kiosk-test.img
fi

for f in "$img" "$out/vmlinuz" "$out/initrd.img" "$out/cmdline.txt" "$anjungan"; do
  [ -e "$f" ] || { echo "missing $f: run kiosk-image/build.sh --test-shell first" >&2; exit 1; }
done
for tool in qemu-system-x86_64 qemu-img python3 swtpm; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install qemu-system-x86 qemu-utils python3 swtpm" >&2
    exit 1
  }
done

# Each run keeps its own folder: the screenshots of earlier runs stay.
run=$out/test-run/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run/printed" "$run/shots" "$run/tpm"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# shellcheck source=kiosk-image/sims.sh
. "$here/sims.sh"
start_simulators "$anjungan" "$run"
echo "== dispenser simulator on $dispenser_pty, virtual printer on $printer_pty"

# The test boots a throwaway overlay: the built image stays as the first boot finds it.
qemu-img create -q -f qcow2 -F raw -b "$img" "$run/disk.qcow2"

# TCG by default: nested KVM on the build VMs hangs this guest. ACCEL=kvm on a real host.
accel=${ACCEL:-tcg}
if $uefi; then
  boot=(-bios "$ovmf")
  check=(--home-only)
  echo "== qemu ($accel): UEFI firmware, systemd-boot, the image's own kernel line"
else
  cmdline="$(cat "$out/cmdline.txt") console=ttyS0,115200 anjungan.test_shell=1"
  cmdline+=" anjungan.dispenser=ttyS1 anjungan.printer=ttyS2"
  boot=(-kernel "$out/vmlinuz" -initrd "$out/initrd.img" -append "$cmdline")
  check=(--console "$run/console.sock" --printed "$run/printed")
  echo "== qemu ($accel): $cmdline"
fi
# The kiosk's TPM 2.0 (first boot seals the data partition's key to it; with no TPM it
# refuses to start, kiosk-image/README.md "The encrypted data partition").
swtpm socket --tpm2 --tpmstate "dir=$run/tpm" --ctrl "type=unixio,path=$run/swtpm.sock" \
  --log "file=$run/swtpm.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$run/swtpm.sock" ] && break; sleep 0.1; done
start=$(date +%s)
qemu-system-x86_64 \
  -machine q35 -accel "$accel" -m 1536 -smp 2 \
  "${boot[@]}" \
  -drive "file=$run/disk.qcow2,if=virtio,format=qcow2" \
  -vga none -device virtio-gpu-pci,xres=1080,yres=1920 -display none \
  -device qemu-xhci -device usb-tablet \
  -nic none \
  -chardev "socket,id=con,path=$run/console.sock,server=on,wait=off,logfile=$run/console.log" \
  -serial chardev:con \
  -chardev "serial,id=disp,path=$dispenser_pty" -serial chardev:disp \
  -chardev "serial,id=prn,path=$printer_pty" -serial chardev:prn \
  -qmp "unix:$run/qmp.sock,server=on,wait=off" \
  -chardev "socket,id=chrtpm,path=$run/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
  -device tpm-crb,tpmdev=tpm0 \
  >"$run/qemu.log" 2>&1 &
qemu=$!
pids+=("$qemu")

status=0
python3 "$here/boot_test.py" --qmp "$run/qmp.sock" --shots "$run/shots" "${check[@]}" ||
  status=$?
echo "== $(($(date +%s) - start)) s from QEMU's start; screenshots in $run/shots"
if [ "$status" != 0 ]; then
  echo "== FAILED; the guest's console (last lines):"
  tail -n 40 "$run/console.log" || true
  cat "$run/qemu.log" || true
  exit "$status"
fi
if $update_screenshot && ! $uefi; then
  cp "$run/shots/home.png" "$here/screenshot-home.png"
  cp "$run/shots/ticket.png" "$here/screenshot-ticket.png"
  echo "== updated kiosk-image/screenshot-home.png and screenshot-ticket.png"
fi
echo "== PASS"
