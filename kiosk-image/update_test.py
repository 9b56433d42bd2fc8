#!/usr/bin/env python3
"""Drives test-update.sh's VM: the kiosk image under UEFI, updated by a real hub.

Steps (each with its own deadline; --steps picks a subset, in this order):
  first boot   slot A, the factory version; the kiosk syncs with the hub and its
               heartbeat reaches it; the member database is read once (a fingerprint).
  downgrade    the hub offers a bundle signed as any other but older (0.0.1) than the
               running root: the kiosk downloads it, RAUC's pre-install handler refuses it
               before writing slot B, the heartbeat says FAILED, and nothing reboots.
  rollback     the hub offers a bundle whose app never sends READY. The kiosk downloads
               it, installs it into B while idle, restarts; B is tried 3 times (boot-ok
               fails each try), systemd-boot falls back to A, and the heartbeat says
               ROLLED_BACK. The bundle is not installed again.
  update       the hub offers a good bundle (a new version string). It goes into B, B boots
               on trial, the app is healthy for 60 s, boot-ok marks B good (its entry loses
               the counter), the version the kiosk runs and reports is the new one, and the
               heartbeat says INSTALLED.
  powercut     a third bundle: QEMU is killed while RAUC writes slot A. The next power-on
               boots B (the running slot, untouched), the kiosk runs the same version, and
               the heartbeat says INTERRUPTED once the hub has paused the rollout.
  cmdline      the boot entry of the running slot is edited on the EFI partition (as
               anyone with the disk in hand can): the TPM does not open the data, the
               console asks for the recovery key. With the entry put back, the next
               power-on opens the data by itself.
  tpm          another PC's TPM (a fresh swtpm state): the data does not open by itself;
               the printed recovery key opens it, the good boot enrols the new TPM, and
               the next power-on opens the data without the key.
  notpm        (first, on a fresh copy of the factory disk) a PC without a TPM: first
               boot refuses with the bilingual message, the data partition stays ext4.
  passphrase   the same PC installed with [disk] unlock = "passphrase": LUKS2 without a
               TPM2 key, first boot runs and prints the recovery key; the next boot asks
               for it on the console and the typed key opens the data.
After every step the member database answers as before (same fingerprint) and the
outbox item queued while the hub was away reaches it after the power cut.
Prints figures and writes them to RUN/figures.json; exits non-zero on the first failure.
"""

import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot_test  # noqa: E402  (Qmp, Console, screendump helpers)
from boot_test import (  # noqa: E402
    T0, Console, Qmp, fail, home_stats, log, looks_like_home, read_ppm, write_png)


class Vm:
    """QEMU, started from RUN/qemu.args; survives the guest's own reboots."""

    def __init__(self, run):
        self.run = run
        with open(os.path.join(run, "qemu.args")) as f:
            self.args = [line.rstrip("\n") for line in f if line.strip()]
        self.proc = None
        self.tpm = None
        self.qmp = None
        self.con = None
        self.boots = 0
        tpm_args = os.path.join(run, "swtpm.args")
        self.tpm_args = None
        if os.path.exists(tpm_args):
            with open(tpm_args) as f:
                self.tpm_args = [line.rstrip("\n") for line in f if line.strip()]

    def start(self, tpm_state=None, disk=None, tpm=True):
        """Powers on; `tpm_state` is another folder for the TPM's state (another PC's TPM),
        `disk` another disk image, and tpm=False a PC without a TPM."""
        for sock in ("qmp.sock", "console.sock", "swtpm.sock"):
            try:
                os.unlink(os.path.join(self.run, sock))
            except FileNotFoundError:
                pass
        self.boots += 1
        args = list(self.args)
        if disk:
            args = [re.sub(r"^file=[^,]*", f"file={disk}", a) if a.startswith("file=") else a
                    for a in args]
        if not tpm:
            args = without_tpm(args)
        if self.tpm_args and tpm:
            tpm_args = list(self.tpm_args)
            if tpm_state:
                os.makedirs(tpm_state, exist_ok=True)
                tpm_args = [f"dir={tpm_state}" if a.startswith("dir=") else a for a in tpm_args]
            self.tpm = subprocess.Popen(tpm_args)
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(self.run, "swtpm.sock")):
                if time.monotonic() > deadline:
                    fail("swtpm did not start")
                time.sleep(0.1)
        log_path = os.path.join(self.run, f"qemu-{self.boots}.log")
        logf = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT)
        # QEMU makes its QMP socket once its devices are up (the TPM's handshake with
        # swtpm first): a loaded host can take a while.
        qmp = os.path.join(self.run, "qmp.sock")
        deadline = time.monotonic() + 120
        while not os.path.exists(qmp):
            if self.proc.poll() is not None:
                with open(log_path) as f:
                    fail(f"QEMU exited ({self.proc.returncode}): {f.read()[-2000:]}")
            if self.tpm and self.tpm.poll() is not None:
                fail(f"swtpm exited ({self.tpm.returncode}) while QEMU started")
            if time.monotonic() > deadline:
                waits = subprocess.run(["sh", "-c", f"grep . /proc/{self.proc.pid}/task/*/wchan"],
                                       capture_output=True, text=True).stdout
                fail(f"QEMU made no QMP socket within 120 s; its threads wait in: {waits}")
            time.sleep(0.5)
        self.qmp = Qmp(qmp)
        self.con = Console(os.path.join(self.run, "console.sock"))

    def kill(self):
        """The power cut: SIGKILL, no shutdown of any kind."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.stop_tpm()
        self.qmp = self.con = None

    def poweroff(self, timeout=300):
        """A clean shutdown from the guest's shell; waits for QEMU to end."""
        self.con.sock.sendall(b"systemctl poweroff\n")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            fail(f"the guest did not power off within {timeout} s")
        self.stop_tpm()
        self.qmp = self.con = None

    def stop_tpm(self):
        if self.tpm:
            self.tpm.terminate()
            try:
                self.tpm.wait(10)
            except subprocess.TimeoutExpired:
                self.tpm.kill()
            self.tpm = None

    def sh(self, command, timeout=30):
        r = self.con.run(command, timeout)
        if r is None:
            fail(f"guest shell did not answer: {command}")
        return r

    def try_sh(self, command, timeout=10):
        """None while the guest is rebooting (no shell)."""
        return self.con.run(command, timeout)

    def screendump(self, shots, name):
        ppm = os.path.join(shots, name + ".ppm")
        self.qmp.cmd("screendump", filename=ppm)
        w, h, rgb = read_ppm(ppm)
        write_png(os.path.join(shots, name + ".png"), w, h, rgb)
        os.unlink(ppm)
        return w, h, rgb


def without_tpm(args):
    """QEMU's arguments with the TPM's three options (chardev, tpmdev, device) taken out."""
    out, skip = [], False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a in ("-chardev", "-tpmdev", "-device") and "tpm" in nxt:
            skip = True
            continue
        out.append(a)
    return out


def tamper_entry(entry):
    """A boot loader entry with one more kernel parameter on its options line (None when it
    has none): what an attacker's `init=/bin/sh` does to the measurements."""
    edited = re.sub(r"(?m)^(options[ \t].*?)[ \t]*$", r"\1 anjungan.tampered=1", entry, count=1)
    return None if edited == entry else edited


def data_partition_type(disk):
    """What the data partition of a (powered-off) disk image holds, read on the host:
    "luks2", "ext4" or "other". The partition is found by its PARTUUID (layout.sh)."""
    table = json.loads(subprocess.run(["sfdisk", "-J", disk], capture_output=True, text=True,
                                      check=True).stdout)["partitiontable"]
    part = [p for p in table["partitions"] if p.get("uuid", "").lower().endswith("0003")]
    if not part:
        fail(f"no data partition in {disk}: {table}")
    start = part[0]["start"] * table.get("sectorsize", 512)
    with open(disk, "rb") as f:
        f.seek(start)
        head = f.read(2048)
    if head[:6] == b"LUKS\xba\xbe" and head[6:8] == b"\x00\x02":
        return "luks2"
    if head[1024 + 56:1024 + 58] == b"\x53\xef":
        return "ext4"
    return "other"


class Hub:
    def __init__(self, anjungan, run, port):
        self.anjungan = anjungan
        self.dir = os.path.join(run, "hub")
        self.port = port
        self.proc = None

    def cli(self, *args):
        r = subprocess.run(
            [self.anjungan, "hub", *args, "--data", os.path.join(self.dir, "data")],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            fail(f"hub {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def start(self):
        k = os.path.join(self.dir, "keys")
        log_path = os.path.join(self.dir, "serve.log")
        self.proc = subprocess.Popen(
            [
                self.anjungan, "hub", "serve",
                "--data", os.path.join(self.dir, "data"),
                "--key", os.path.join(k, "hub.key"),
                "--kiosks", os.path.join(self.dir, "kiosks.toml"),
                "--listen", f"127.0.0.1:{self.port}",
                "--tls-cert", os.path.join(k, "tls.crt"),
                "--tls-key", os.path.join(k, "tls.key"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(log_path, "a"),
        )

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None

    def add(self, bundle, version):
        out = json.loads(
            self.cli("updates", "add", bundle, "--version", version, "--channel", "stable",
                     "--rollout", "100", "--json")
        )
        return out

    def updates(self):
        return json.loads(self.cli("updates", "list", "--json"))

    def fleet(self):
        rows = json.loads(self.cli("fleet", "--json"))
        if isinstance(rows, dict):
            rows = rows.get("rows", rows.get("kiosks", []))
        for r in rows:
            if r.get("cons_id") == "kiosk-1":
                return r
        return None

    def update_report(self):
        r = self.fleet()
        if not r:
            return None
        return (r.get("health") or {}).get("update")

    def requests(self):
        rows = json.loads(self.cli("requests", "list", "--json"))
        if isinstance(rows, dict):
            rows = rows.get("rows", rows.get("requests", []))
        return rows


class Test:
    def __init__(self, a):
        self.a = a
        self.vm = Vm(a.run)
        self.hub = Hub(a.anjungan, a.run, a.port)
        self.shots = os.path.join(a.run, "shots")
        self.figures = {}
        self.fingerprint = None
        self.recovery_key = None

    # ---- the guest ----
    def wait_shell(self, timeout, what):
        t = time.monotonic()
        if not self.vm.con.wait_shell(timeout):
            fail(f"no shell on ttyS0 ({what})")
        return round(time.monotonic() - t, 1)

    def slot(self):
        _, out = self.vm.sh("tr ' ' '\\n' </proc/cmdline | sed -n 's/^rauc\\.slot=//p'")
        return out.strip()

    def version(self):
        _, out = self.vm.sh("sed -n 's/^VERSION=//p' /etc/anjungan-release")
        return out.strip()

    def boot_id(self):
        _, out = self.vm.sh("cat /proc/sys/kernel/random/boot_id")
        return out.strip()

    def entries(self):
        _, out = self.vm.sh("ls /boot/efi/loader/entries/")
        return out.split()

    def wait_active(self, timeout):
        deadline = time.monotonic() + timeout
        u = ""
        while time.monotonic() < deadline:
            r = self.vm.try_sh("systemctl is-active anjungan.service", 10)
            if r and r[1].strip().splitlines()[-1:] == ["active"]:
                return
            u = r[1] if r else "(no shell)"
            time.sleep(2)
        fail(f"anjungan.service not active within {timeout} s: {u}")

    def wait_home(self, name, timeout):
        deadline = time.monotonic() + timeout
        while True:
            w, h, rgb = self.vm.screendump(self.shots, name)
            s = home_stats(w, h, rgb)
            if looks_like_home(w, h, s):
                return
            if time.monotonic() > deadline:
                fail(f"{name}: not the home screen ({s})")
            time.sleep(3)

    def kiosk_cli(self, args, timeout=60):
        """The kiosk's own binary, as its user, with the database key of its service (the
        sealed credential): what `anjungan.service` itself reads."""
        return self.vm.sh(
            "systemd-run --wait --pipe --quiet -p User=anjungan "
            "-p LoadCredentialEncrypted=db-key:/var/lib/anjungan/credstore/db-key "
            f"/usr/bin/anjungan {args}", timeout)

    def db_fingerprint(self):
        """One member's status as the kiosk's database answers it (the hub's dataset, once
        synced): it must not change through updates, rollbacks and power cuts."""
        card, dob = self.a.probe
        rc, out = self.kiosk_cli(
            f"query status --db /var/lib/anjungan/kiosk.db --card {card} --dob {dob} --json")
        if rc != 0 or '"status"' not in out:
            fail(f"the kiosk database could not be read: {out}")
        return hashlib.sha256(out.encode()).hexdigest()

    def check_db(self, when):
        fp = self.db_fingerprint()
        if self.fingerprint is None:
            self.fingerprint = fp
            log(f"database fingerprint {fp[:16]}… ({when})")
        elif fp != self.fingerprint:
            fail(f"the member database changed {when}: {fp} != {self.fingerprint}")
        else:
            log(f"database unchanged {when}")

    # ---- the hub's view ----
    def wait_report(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.hub.update_report()
            if last and pred(last):
                return last
            time.sleep(5)
        fail(f"the heartbeat never showed {what}; last: {json.dumps(last)}")

    def result(self, report):
        return (report.get("last_result") or {}).get("result")

    # ---- steps ----
    def first_boot(self):
        # The passphrase step's slip is on the virtual printer already: only this boot's.
        printed_before = set(os.listdir(os.path.join(self.a.run, "printed")))
        self.hub.start()
        self.vm.start()
        log("first boot (UEFI): waiting for the test shell")
        self.figures["first_boot_to_shell_s"] = self.wait_shell(900, "first boot")
        self.wait_active(600)
        self.figures["first_boot_to_ready_s"] = round(time.monotonic() - T0, 1)
        slot, version = self.slot(), self.version()
        log(f"slot {slot}, version {version}; entries {self.entries()}")
        if slot != "A" or version != self.a.base_version:
            fail(f"first boot should run slot A {self.a.base_version}: {slot} {version}")
        self.wait_home("first-home", 180)
        _, out = self.vm.sh("ls /boot/efi/anjungan/; ls -l /etc/anjungan/")
        log("after first boot: " + " | ".join(out.splitlines()))
        if "hub-secret" in out.split("\n")[0] or "config.toml" in out.split("\n")[0]:
            fail(f"first boot left a secret on the EFI partition: {out}")
        self.check_disk("first boot", tpm_keys=1, pcrs=[7], trial=True)
        _, out = self.vm.sh("blockdev --getsize64 /dev/mapper/data; df -B1 --output=size /data | tail -n1")
        sizes = [int(x) for x in out.split() if x.isdigit()]
        log(f"the data volume grew to the disk's end: {sizes} bytes (the image has 512 MiB)")
        if len(sizes) != 2 or min(sizes) < 1 << 31:
            fail(f"the data partition did not grow onto the larger disk: {out}")
        self.figures["data_volume_bytes"] = sizes[0]
        self.check_network()
        self.recovery_key = self.printed_recovery_key(printed_before)
        r = self.wait_report(lambda u: u.get("slot") == "A", 300, "slot A")
        log(f"heartbeat at the hub: {json.dumps(r)}")
        self.check_db("after first boot")

    # ---- the encrypted data partition, the firewall ----
    DATA = "/dev/disk/by-partuuid/6a756e67-616e-4b00-8000-000000000003"

    def luks(self):
        rc, out = self.vm.sh(f"cryptsetup luksDump --dump-json-metadata {self.DATA}", 30)
        if rc != 0:
            fail(f"the data partition is not LUKS2: {out}")
        return json.loads(out[out.index("{"):])

    def check_disk(self, when, tpm_keys, pcrs, trial):
        meta = self.luks()
        tokens = list(meta.get("tokens", {}).values())
        tpm = [t for t in tokens if t.get("type") == "systemd-tpm2"]
        rec = [t for t in tokens if t.get("type") == "systemd-recovery"]
        _, src = self.vm.sh("findmnt -no SOURCE /data; ls /data/anjungan-crypt/")
        log(f"{when}: LUKS2, {len(meta.get('keyslots', {}))} key slots, TPM2 keys "
            f"{[t.get('tpm2-pcrs') for t in tpm]}, {len(rec)} recovery key; /data from "
            + " | ".join(src.splitlines()))
        if "/dev/mapper/data" not in src:
            fail(f"{when}: /data is not the opened LUKS volume: {src}")
        if len(tpm) != tpm_keys or len(rec) != 1:
            fail(f"{when}: expected {tpm_keys} TPM2 key(s) and one recovery key: {tokens}")
        if pcrs is not None and not any(sorted(t.get("tpm2-pcrs", [])) == sorted(pcrs) for t in tpm):
            fail(f"{when}: no TPM2 key bound to PCRs {pcrs}: {[t.get('tpm2-pcrs') for t in tpm]}")
        if ("trial" in src.split()) != trial:
            fail(f"{when}: the trial mark should {'' if trial else 'not '}be there: {src}")
        if "recovery.key" in src.split() and not when.startswith("first boot"):
            fail(f"{when}: the recovery key is still on the disk after it was printed")
        self.figures[f"tpm2_pcrs_{when.replace(' ', '_')}"] = [t.get("tpm2-pcrs") for t in tpm]
        return tpm

    def pcrs(self):
        _, out = self.vm.sh("for p in 4 7 8 9 12; do printf '%s=' $p; cat /sys/class/tpm/tpm0/pcr-sha256/$p; done")
        return dict(line.split("=", 1) for line in out.split() if "=" in line)

    def check_network(self):
        rc, out = self.vm.sh("systemctl is-active nftables.service; nft list ruleset | grep -c 'policy drop'")
        lines = out.split()
        if not lines or lines[0] != "active" or lines[-1] == "0":
            fail(f"the firewall is not loaded: {out}")
        _, out = self.vm.sh("for f in tcp tcp6 udp udp6; do sed \"1d;s/^/$f /\" /proc/net/$f; done")
        listening, exposed = boot_test.parse_sockets(out)
        log(f"firewall loaded; listening sockets: {', '.join(listening) or 'none'}")
        if exposed:
            fail(f"sockets reachable from the network: {exposed}")
        self.figures["listening_sockets"] = listening

    def printed_recovery_key(self, before=()):
        """The slip the kiosk printed at first boot (the virtual printer on the host), among
        the slips not in `before`."""
        deadline = time.monotonic() + 120
        printed = os.path.join(self.a.run, "printed")
        while time.monotonic() < deadline:
            for name in sorted(os.listdir(printed)):
                if not name.endswith(".txt") or name in before:
                    continue
                with open(os.path.join(printed, name), encoding="utf-8", errors="replace") as f:
                    text = f.read()
                if "DISK RECOVERY KEY" in text:
                    groups = re.findall(r"\b([cbdefghijklnrtuv]{8})-([cbdefghijklnrtuv]{8})\b", text)
                    key = "-".join(g for pair in groups for g in pair)
                    if len(groups) != 4:
                        fail(f"the recovery key slip does not hold a key: {text}")
                    log(f"the recovery key was printed ({name}); not kept on the disk")
                    return key
            time.sleep(3)
        fail("no recovery key slip reached the printer")

    def wait_boot_into(self, slot, version, timeout, what):
        """Waits through the guest's reboots until it runs `slot` with `version`."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            r = self.vm.try_sh("tr ' ' '\\n' </proc/cmdline | sed -n 's/^rauc\\.slot=//p'; "
                               "sed -n 's/^VERSION=//p' /etc/anjungan-release; "
                               "cat /proc/sys/kernel/random/boot_id", 10)
            if r and r[0] == 0:
                lines = r[1].split()
                if len(lines) >= 3:
                    if not seen or seen[-1][2] != lines[2]:
                        seen.append(lines)
                        log(f"booted slot {lines[0]} version {lines[1]}")
                    if lines[0] == slot and lines[1] == version:
                        return seen
            time.sleep(5)
        fail(f"{what}: never ran slot {slot} {version}; boots seen: {seen}")

    def downgrade(self):
        """An older bundle, correctly signed: refused by rauc-pre-install, no slot written."""
        slot, ents, boot = self.slot(), self.entries(), self.boot_id()
        sha = self.hub.add(self.a.old, OLD_VERSION)
        log(f"hub offers an older bundle ({OLD_VERSION}): {json.dumps(sha)}")
        t = time.monotonic()
        r = self.wait_report(
            lambda u: self.result(u) == "FAILED"
            and (u.get("last_result") or {}).get("version") == OLD_VERSION,
            1800, f"FAILED for {OLD_VERSION}")
        self.figures["older_offer_to_refused_s"] = round(time.monotonic() - t, 1)
        log(f"heartbeat: {json.dumps(r)}")
        message = (r.get("last_result") or {}).get("message") or ""
        if "Pre-install handler error" not in message:
            fail(f"the failure does not say the pre-install handler refused it: {message}")
        _, j = self.vm.sh("journalctl -b -u rauc --no-pager -o cat | grep -i 'older than' | tail -n 2")
        if "older than the running" not in j:
            fail(f"rauc's journal does not have the handler's reason: {j}")
        log("rauc: " + " | ".join(j.strip().splitlines()))
        if self.boot_id() != boot or self.slot() != slot or self.entries() != ents:
            fail(f"the refused bundle changed the boot: {slot} {ents} -> {self.slot()} "
                 f"{self.entries()}")
        r = self.wait_report(lambda u: u.get("phase") == "REFUSED", 120, "REFUSED")
        log(f"the older bundle is refused: phase {r.get('phase')}; still {slot}, entries {ents}")
        self.check_db("after the refused downgrade")
        self.hub.cli("updates", "remove", sha_of(self.a.old))

    def rollback(self):
        sha = self.hub.add(self.a.bad, self.a.base_version + ".bad")
        log(f"hub offers the never-READY bundle: {json.dumps(sha)}")
        t = time.monotonic()
        # Downloaded, installed into B while idle, and the reboot: B runs (on trial).
        self.wait_boot_into("B", self.a.base_version + ".bad", 1800, "the bad bundle installed")
        self.figures["bad_offer_to_slot_b_s"] = round(time.monotonic() - t, 1)
        # B on trial, three times, then A again.
        boots = self.wait_boot_into("A", self.a.base_version, 3600, "rollback")
        self.figures["rollback_s"] = round(time.monotonic() - t, 1)
        self.wait_active(600)
        ents = self.entries()
        log(f"back on A; entries {ents}")
        if not any(re.fullmatch(r"anjungan-b\+0-3\.conf", e) for e in ents):
            fail(f"slot B's entry should have used its 3 tries (+0-3): {ents}")
        _, console = self.vm.sh("journalctl -b -1 -u anjungan-boot-ok --no-pager | tail -n 3")
        log("boot-ok on the last try: " + " | ".join(console.splitlines()))
        r = self.wait_report(lambda u: self.result(u) == "ROLLED_BACK", 300, "ROLLED_BACK")
        log(f"heartbeat: {json.dumps(r)}")
        self.figures["rollback_boots_seen"] = len(boots)
        self.wait_home("after-rollback", 180)
        self.check_db("after the rollback")
        # Back on A, with the machine id on its line: the good boot sealed the data key to
        # its measurements, and the trial key is gone.
        self.wait_sealed("after the rollback")
        # Refused from now on: no second download while the offer stands.
        r = self.wait_report(lambda u: u.get("phase") == "REFUSED", 120, "REFUSED")
        log(f"the bad bundle is refused: phase {r.get('phase')}")
        self.hub.cli("updates", "remove", sha_of(self.a.bad))

    def update(self):
        version = self.a.base_version + ".next"
        self.hub.add(self.a.good, version)
        log("hub offers the good bundle")
        t = time.monotonic()
        self.wait_boot_into("B", version, 2400, "update")
        self.figures["good_offer_to_new_slot_s"] = round(time.monotonic() - t, 1)
        self.wait_active(600)
        t2 = time.monotonic()
        deadline = t2 + 400
        while True:
            ents = self.entries()
            if "anjungan-b.conf" in ents:
                break
            if time.monotonic() > deadline:
                _, j = self.vm.sh("journalctl -b -u anjungan-boot-ok --no-pager | tail -n 5")
                fail(f"slot B was not marked good: {ents}; {j}")
            time.sleep(5)
        self.figures["ready_to_marked_good_s"] = round(time.monotonic() - t2, 1)
        _, j = self.vm.sh("journalctl -b -u anjungan-boot-ok --no-pager | tail -n 2")
        log(f"B marked good: {ents}; " + " | ".join(j.splitlines()))
        r = self.wait_report(lambda u: self.result(u) == "INSTALLED" and u.get("version") == version,
                             300, "INSTALLED")
        log(f"heartbeat: {json.dumps(r)}")
        self.wait_home("after-update", 180)
        self.check_db("after the update")
        self.wait_sealed("after the update")
        self.hub.cli("updates", "remove", sha_of(self.a.good))

    def powercut(self):
        running = self.version()
        version = self.a.base_version + ".third"
        self.hub.add(self.a.third, version)
        log("hub offers a third bundle; waiting for RAUC to write slot A")
        deadline = time.monotonic() + 900
        while True:
            rc, out = self.vm.sh(
                "busctl get-property de.pengutronix.rauc / de.pengutronix.rauc.Installer "
                "Progress 2>/dev/null", 15)
            m = re.search(r"\(isi\) (\d+)", out)
            if m and 45 <= int(m.group(1)) < 90:  # past "Checking bundle done." (40 %): writing slot A
                break
            if time.monotonic() > deadline:
                fail(f"never saw RAUC installing: {out}")
            time.sleep(1)
        log(f"RAUC at {m.group(1)} %: {out}")
        # The hub goes away and a member's request is queued, then the power goes.
        self.hub.stop()
        queued = self.queue_request()
        self.vm.kill()
        log("QEMU killed (power cut) in the middle of the install")
        self.hub.cli("updates", "pause")
        self.hub.start()
        t = time.monotonic()
        self.vm.start()
        self.wait_shell(900, "after the power cut")
        self.figures["power_on_to_shell_s"] = round(time.monotonic() - t, 1)
        slot, v = self.slot(), self.version()
        if slot != "B" or v != running:
            fail(f"after the power cut the running slot B {running} should boot: {slot} {v}")
        self.wait_active(600)
        log(f"slot {slot} {v} runs; entries {self.entries()}")
        r = self.wait_report(lambda u: self.result(u) == "INTERRUPTED", 600, "INTERRUPTED")
        log(f"heartbeat: {json.dumps(r)}")
        self.wait_home("after-powercut", 180)
        self.check_db("after the power cut")
        if queued:
            deadline = time.monotonic() + 300
            while not self.hub.requests():
                if time.monotonic() > deadline:
                    fail("the request queued before the power cut never reached the hub")
                time.sleep(5)
            log(f"the queued request reached the hub: {len(self.hub.requests())} request(s)")

    def wait_sealed(self, when, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            _, out = self.vm.sh("ls /data/anjungan-crypt/")
            if "trial" not in out.split():
                break
            if time.monotonic() > deadline:
                _, j = self.vm.sh("journalctl -b -u anjungan-boot-ok --no-pager | tail -n 5")
                fail(f"{when}: the data key was not sealed: {j}")
            time.sleep(5)
        tpm = self.check_disk(when, tpm_keys=1, pcrs=None, trial=False)
        pcrs = tpm[0].get("tpm2-pcrs", [])
        if not {4, 7}.issubset(pcrs) or not ({8, 12} & set(pcrs)):
            fail(f"{when}: the data key should be bound to the boot loader, kernel and "
                 f"command line (PCR 4, 7 and 12 or 8): {pcrs}")
        log(f"{when}: the data key is sealed to PCRs {pcrs}; this boot measured {self.pcrs()}")

    ESP = "@@1M"  # the EFI partition's offset in the raw disk image, for mtools

    def cmdline(self):
        """An edited boot entry (a kernel command line of the attacker's choosing): the
        TPM's key, sealed to what the boot loader measured, does not open the data; the
        prompt asks for the recovery key, which the attacker does not have. Power off there,
        put the entry back from the host, and the next power-on opens the data by itself."""
        _, out = self.vm.sh("ls /data/anjungan-crypt/")
        if "trial" in out.split():
            # Right after the first boot the key is a PCR 7 trial key (that boot's line
            # lacked the machine id): the second boot seals it to the full set.
            log("the data key is still the first boot's trial key: one more boot seals it")
            self.vm.poweroff()
            self.vm.start()
            self.wait_shell(900, "the second boot, before the command-line step")
            self.wait_active(600)
        self.wait_sealed("before the command-line step")
        slot = self.slot()
        names = [n for n in self.entries() if n.startswith(f"anjungan-{slot.lower()}")]
        if len(names) != 1:
            fail(f"no single boot entry for the running slot {slot}: {self.entries()}")
        name = names[0]
        self.vm.poweroff()
        disk = os.path.join(self.a.run, "disk.img")
        kept = os.path.join(self.a.run, f"entry-{name}")
        subprocess.run(["mcopy", "-o", "-i", disk + self.ESP, f"::/loader/entries/{name}", kept],
                       check=True)
        with open(kept) as f:
            entry = f.read()
        edited = tamper_entry(entry)
        if edited is None:
            fail(f"no options line in {name}: {entry}")
        tampered = kept + ".tampered"
        with open(tampered, "w") as f:
            f.write(edited)
        subprocess.run(["mcopy", "-o", "-i", disk + self.ESP, tampered, f"::/loader/entries/{name}"],
                       check=True)
        log(f"{name}: the kernel command line edited on the EFI partition (anjungan.tampered=1)")
        t = time.monotonic()
        self.vm.start()
        self.wait_console(r"(?i)(passphrase|recovery key) for disk", 900,
                          "the passphrase prompt after an edited command line (or the TPM "
                          "opened the data anyway)")
        self.figures["edited_cmdline_to_prompt_s"] = round(time.monotonic() - t, 1)
        # Long enough for the shell to come up, had the data opened after all.
        time.sleep(30)
        self.vm.screendump(self.shots, "edited-cmdline-prompt")
        with self.vm.con.lock:
            text = self.vm.con.buf.decode(errors="replace")
        if "ANJ-TEST-SHELL-UP" in text:
            fail("after an edited command line a shell came up: the data opened")
        log("an edited command line: the TPM did not open the data; the console asks for "
            "the recovery key")
        self.vm.kill()
        subprocess.run(["mcopy", "-o", "-i", disk + self.ESP, kept, f"::/loader/entries/{name}"],
                       check=True)
        log(f"{name} put back; powering on")
        self.figures["restored_cmdline_power_on_to_shell_s"] = self.boot_without_prompt(
            "the boot after the entry was put back")
        self.check_disk("after the entry was put back", tpm_keys=1, pcrs=None, trial=False)
        log("the entry put back: the TPM opened the data by itself")
        self.check_db("after the edited command line")

    def boot_without_prompt(self, what, tpm_state=None):
        """Powers on and expects the TPM to open the data: the shell comes up, the console
        shows no passphrase prompt, the app runs on /dev/mapper/data. Returns the seconds
        from power-on to the shell."""
        console_log = os.path.join(self.a.run, "console.log")
        seen = os.path.getsize(console_log)
        t = time.monotonic()
        self.vm.start(tpm_state=tpm_state)
        self.wait_shell(900, what)
        to_shell = round(time.monotonic() - t, 1)
        with open(console_log, "rb") as f:
            f.seek(seen)
            text = f.read().decode(errors="replace")
        if re.search(r"(?i)(passphrase|recovery key) for disk", text):
            fail(f"{what}: the console asked for the passphrase")
        self.wait_active(600)
        _, out = self.vm.sh("findmnt -no SOURCE /data")
        if "/dev/mapper/data" not in out:
            fail(f"{what}: /data is not the volume the TPM opened: {out}")
        return to_shell

    def tpm(self):
        """Another PC's TPM (a fresh swtpm state): the data does not open by itself; the
        printed recovery key opens it, and the member database is the same. The good boot
        then enrols the new TPM, and the next power-on opens the data without the key."""
        self.vm.poweroff()
        t = time.monotonic()
        self.vm.start(tpm_state=os.path.join(self.a.run, "tpm-other"))
        log("powered on with another TPM: waiting for the passphrase prompt")
        self.figures["other_tpm_to_prompt_s"] = self.type_recovery_key(
            self.recovery_key, t, "another TPM", "other-tpm")
        self.check_db("after opening the data with the recovery key on another TPM")
        # The good boot enrols this TPM (anjungan-data-crypt seal: "enrolling this TPM" when
        # no trial key stood, as after a first boot's), and the next power-on with it opens
        # the data by itself.
        deadline = time.monotonic() + 300
        while True:
            _, j = self.vm.sh("journalctl -b -u anjungan-boot-ok --no-pager -o cat | grep 'data key sealed to PCRs'")
            if "sealed to PCRs" in j:
                break
            if time.monotonic() > deadline:
                fail(f"the new TPM was not enrolled after the recovery: {j}")
            time.sleep(5)
        log(f"after the recovery: {j.strip().splitlines()[-1]}")
        self.wait_sealed("after the recovery, on the new TPM")
        self.vm.poweroff()
        log("powering on again with the new TPM: the data should open without a prompt")
        self.figures["new_tpm_power_on_to_shell_s"] = self.boot_without_prompt(
            "the new TPM's second boot", tpm_state=os.path.join(self.a.run, "tpm-other"))
        log("the new TPM opened the data by itself")
        self.check_db("on the new TPM, without the recovery key")

    # ---- PCs without a TPM ----
    def factory_disk(self, name, unlock=None):
        """A fresh copy of the factory disk (before any boot), with the installer's
        config.toml on its FAT partition changed to `[disk] unlock = UNLOCK`."""
        disk = os.path.join(self.a.run, f"disk-{name}.img")
        subprocess.run(["cp", "--sparse=always", self.factory, disk], check=True)
        if unlock:
            fat = f"{disk}@@1M"
            conf = os.path.join(self.a.run, f"config-{name}.toml")
            subprocess.run(["mcopy", "-o", "-i", fat, "::/anjungan/config.toml", conf], check=True)
            with open(conf) as f:
                text = f.read()
            changed = re.sub(r'(?m)^unlock = "tpm2"', f'unlock = "{unlock}"', text)
            if changed == text:
                fail(f"no [disk] unlock line in the installer's config: {conf}")
            with open(conf, "w") as f:
                f.write(changed)
            subprocess.run(["mcopy", "-o", "-i", fat, conf, "::/anjungan/config.toml"], check=True)
        return disk

    def wait_console(self, pattern, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            with self.vm.con.lock:
                text = self.vm.con.buf.decode(errors="replace")
            m = re.search(pattern, text)
            if m:
                return m
            if time.monotonic() > deadline:
                fail(f"{what}: not on the console within {timeout} s")
            time.sleep(2)

    def type_recovery_key(self, key, t, what, shots):
        """At the console's passphrase prompt (no TPM key opened the data), types the
        printed recovery key, then waits for the shell, the app and its home screen with
        /data opened. Returns the seconds from `t` (the power-on) to the prompt."""
        self.wait_console(r"(?i)(passphrase|recovery key) for disk", 900,
                          f"the passphrase prompt ({what}; or the data opened without one)")
        to_prompt = round(time.monotonic() - t, 1)
        self.vm.screendump(self.shots, f"{shots}-prompt")
        # (Nothing else is typed now: the console's input is the prompt's.) The root shell
        # starts after local-fs.target, which waits for /data: it is not up.
        time.sleep(5)
        log(f"{what}: the data did not open by itself; typing the printed recovery key")
        self.vm.con.sock.sendall((key + "\n").encode())
        self.wait_shell(600, f"after the recovery key ({what})")
        self.wait_active(600)
        _, out = self.vm.sh("findmnt -no SOURCE /data")
        if "/dev/mapper/data" not in out:
            fail(f"{what}: /data not opened by the recovery key: {out}")
        self.wait_home(f"{shots}-home", 180)
        return to_prompt

    def notpm(self):
        """A PC without a TPM and the default config: first boot refuses, says why on the
        screen in both languages, and leaves the factory data partition as it was."""
        disk = self.factory_disk("notpm")
        t = time.monotonic()
        self.vm.start(disk=disk, tpm=False)
        log("powered on without a TPM: waiting for the refusal")
        self.wait_console(r"This kiosk has no TPM 2\.0", 900, "the no-TPM refusal")
        self.figures["no_tpm_to_refusal_s"] = round(time.monotonic() - t, 1)
        self.wait_console(r"Kiosk ini tidak punya TPM 2\.0", 5, "the Indonesian refusal")
        time.sleep(20)
        w, h, rgb = self.vm.screendump(self.shots, "no-tpm-refused")
        if looks_like_home(w, h, home_stats(w, h, rgb)):
            fail("without a TPM the kiosk started anyway")
        r = self.vm.try_sh("systemctl is-active anjungan.service", 10)
        if r and r[1].strip().splitlines()[-1:] == ["active"]:
            fail(f"without a TPM anjungan.service is active: {r}")
        self.vm.kill()
        kind = data_partition_type(disk)
        log(f"refused without a TPM; the data partition is still {kind}")
        if kind != "ext4":
            fail(f"the refused first boot changed the data partition: {kind}")
        os.unlink(disk)

    def passphrase(self):
        """A PC without a TPM installed with [disk] unlock = "passphrase": encrypted all the
        same (no TPM2 key), first boot goes through and prints the recovery key; every later
        boot asks for it on the console, and the typed key opens the data."""
        disk = self.factory_disk("passphrase", unlock="passphrase")
        before = set(os.listdir(os.path.join(self.a.run, "printed")))
        t = time.monotonic()
        self.vm.start(disk=disk, tpm=False)
        log("powered on without a TPM, unlock = passphrase: first boot")
        self.wait_shell(900, "first boot, passphrase")
        self.wait_active(600)
        self.figures["passphrase_first_boot_to_ready_s"] = round(time.monotonic() - t, 1)
        self.wait_home("passphrase-first-home", 180)
        self.check_disk("first boot, passphrase", tpm_keys=0, pcrs=None, trial=False)
        key = self.printed_recovery_key(before)
        self.vm.poweroff()
        if data_partition_type(disk) != "luks2":
            fail("the passphrase disk is not LUKS2 on the host's reading")
        t = time.monotonic()
        self.vm.start(disk=disk, tpm=False)
        log("second boot without a TPM: waiting for the passphrase prompt")
        self.figures["passphrase_boot_to_prompt_s"] = self.type_recovery_key(
            key, t, "no TPM, passphrase", "passphrase")
        log("the typed recovery key opened the data; the kiosk runs")
        self.vm.kill()
        os.unlink(disk)

    def queue_request(self):
        """A kelas change into the outbox while the hub is down (test-update.sh found, with
        the same binary on the host, a member of the hub's dataset who may ask)."""
        if not self.a.member:
            log("no eligible member in the sample data: no request queued")
            return False
        card, dob, to = self.a.member.split(",")
        rc, out = self.kiosk_cli(
            f"request change-kelas --db /var/lib/anjungan/kiosk.db --card {card} --dob {dob} "
            f"--to {to} --json")
        if rc != 0:
            fail(f"the kelas change could not be queued: {out}")
        log("request queued in the outbox while the hub is down")
        return True

    def run(self):
        steps = self.a.steps.split(",")
        unknown = set(steps) - set(STEPS)
        if unknown:
            fail(f"unknown steps {sorted(unknown)}; the steps are {','.join(STEPS)}")
        # The disk as the factory made it, for the PCs without a TPM (they run first: they
        # need neither the hub nor the first boot).
        if set(steps) & {"notpm", "passphrase"}:
            self.factory = os.path.join(self.a.run, "factory.img")
            subprocess.run(["cp", "--sparse=always", os.path.join(self.a.run, "disk.img"),
                            self.factory], check=True)
            for name in ("notpm", "passphrase"):
                if name in steps:
                    log(f"== {name}")
                    t = time.monotonic()
                    getattr(self, name)()
                    self.figures[f"{name}_step_s"] = round(time.monotonic() - t, 1)
            os.unlink(self.factory)
        if not set(steps) & {"downgrade", "rollback", "update", "powercut", "cmdline", "tpm"}:
            self.finish()
            return
        self.first_boot()
        for name in ("downgrade", "rollback", "update", "powercut", "cmdline", "tpm"):
            if name in steps:
                log(f"== {name}")
                t = time.monotonic()
                getattr(self, name)()
                self.figures[f"{name}_step_s"] = round(time.monotonic() - t, 1)
        self.finish()

    def finish(self):
        self.figures["total_s"] = round(time.monotonic() - T0, 1)
        log("PASS " + json.dumps(self.figures))
        with open(os.path.join(self.a.run, "figures.json"), "w") as f:
            json.dump(self.figures, f, indent=1)

    def diagnose(self):
        """On a failure: what the guest says about the kiosk's units, if its shell answers,
        into the log and RUN/diagnose.txt."""
        if not self.vm.con:
            return
        r = self.vm.try_sh(
            "systemctl --no-pager --failed; systemctl --no-pager status anjungan.service | head -n 12; "
            "journalctl -b --no-pager -n 60 -u anjungan -u anjungan-firstboot -u anjungan-boot-ok "
            "-u rauc", 60)
        text = r[1] if r else "(the guest's shell did not answer)"
        with open(os.path.join(self.a.run, "diagnose.txt"), "w") as f:
            f.write(text)
        log("the guest at the failure:\n" + text)

    def close(self):
        try:
            if self.vm.proc:
                self.vm.proc.kill()
            self.vm.stop_tpm()
        finally:
            self.hub.stop()


STEPS = ("notpm", "passphrase", "downgrade", "rollback", "update", "powercut", "cmdline", "tpm")
# The older bundle's version: below every image version (0.1.0+…).
OLD_VERSION = "0.0.1"


def self_test():
    """The host-side helpers, without a VM (check.sh runs this)."""
    import tempfile
    args = ["qemu-system-x86_64", "-drive", "file=d.img,if=virtio,format=raw",
            "-chardev", "serial,id=prn,path=/dev/pts/3", "-serial", "chardev:prn",
            "-chardev", "socket,id=chrtpm,path=/r/swtpm.sock",
            "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-crb,tpmdev=tpm0",
            "-device", "usb-tablet"]
    assert without_tpm(args) == args[:7] + ["-device", "usb-tablet"], without_tpm(args)
    entry = "title Anjungan A\nlinux /a/vmlinuz\noptions root=PARTUUID=x rauc.slot=A quiet \n"
    assert tamper_entry(entry) == entry.replace("quiet \n", "quiet anjungan.tampered=1\n"), \
        tamper_entry(entry)
    assert tamper_entry("title x\nlinux /v\n") is None
    with tempfile.TemporaryDirectory() as d:
        disk = os.path.join(d, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(8 << 20)
        subprocess.run(["sfdisk", "-q", disk], check=True, text=True, input=(
            "label: gpt\n"
            "start=2048, size=4096, uuid=6a756e67-616e-4b00-8000-000000000001\n"
            "start=6144, size=4096, uuid=6a756e67-616e-4b00-8000-000000000003\n"))
        def put(data, at):
            with open(disk, "r+b") as f:
                f.seek(6144 * 512 + at)
                f.write(data)
        assert data_partition_type(disk) == "other"
        put(b"\x53\xef", 1024 + 56)
        assert data_partition_type(disk) == "ext4"
        put(b"LUKS\xba\xbe\x00\x02", 0)
        assert data_partition_type(disk) == "luks2"


def sha_of(path):
    with open(path + ".sha256") as f:
        return f.read().split()[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--anjungan", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bad", required=True)
    p.add_argument("--good", required=True)
    p.add_argument("--third", required=True)
    p.add_argument("--old", required=True, help="a bundle of version OLD_VERSION")
    p.add_argument("--base-version", required=True)
    p.add_argument("--member", default="", help="CARD,DOB,KELAS of a member who may ask")
    p.add_argument("--probe", required=True, type=lambda v: v.split(","),
                   help="CARD,DOB of the member whose status fingerprints the database")
    p.add_argument("--steps", default=",".join(STEPS))
    t = Test(p.parse_args())
    try:
        t.run()
    except SystemExit as e:
        if e.code:
            t.diagnose()
        raise
    finally:
        t.close()


if __name__ == "__main__":
    main()
