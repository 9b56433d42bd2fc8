#!/usr/bin/env python3
"""Drives the kiosk image booted by test-boot.sh: QMP (screendump, pointer input) and the
test root shell on ttyS0. Standard library only; QMP is JSON over a unix socket.

Checks, in order, each with its own deadline:
  1. the guest boots and systemd reports anjungan.service active (READY=1 was sent);
  2. the screen shows the home screen (a portrait frame in the theme's colours);
  3. a tap on "Ambil Antrean", then on service A, takes a ticket from the dispenser
     simulator and the virtual printer on the host receives the slip (where to tap comes
     from the app: its UI probe lists each labelled control's rectangle);
  4. the app killed with SIGKILL is restarted by systemd;
  5. the app frozen with SIGSTOP misses its watchdog heartbeats and is restarted.
Prints figures (boot-to-home, restart times) and exits non-zero on the first failure.
With --home-only (test-boot.sh --uefi) it only waits for the home screen.
"""

import argparse
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import zlib

T0 = time.monotonic()
# Where the test image's app lists its controls (build.sh --test-shell's ui-probe.conf).
PROBE_FILE = "/run/anjungan/ui-targets.json"
# Service A's row in the queue's service list, as the app labels it.
SERVICE_A = "A \u2014 Pendaftaran peserta baru"


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f} s] {msg}", flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    sys.exit(1)


def connect_unix(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Qmp:
    def __init__(self, path):
        self.sock = connect_unix(path, time.monotonic() + 30)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {name}: {reply['error']}")
        return reply.get("return")


# The test shell prints this when it starts (anjungan-test-shell.service).
SHELL_UP = b"ANJ-TEST-SHELL-UP"
# After these, ttyS0 is the firmware's and the boot loader's until the shell is up again:
# whatever is typed there is a key press in systemd-boot's menu ('d' sets the default
# entry, 't' the timeout), so nothing is typed then.
SHELL_GONE = (b"reboot: Restarting system", b"reboot: Power down", b"systemd-boot version")


def shell_state(seen, ready):
    """Whether the test shell is up after the console printed `seen`: the later of its
    start banner and a reboot marker decides; neither leaves it as it was."""
    up = seen.rfind(SHELL_UP)
    gone = max(seen.rfind(m) for m in SHELL_GONE)
    if up > gone:
        return True
    if gone > up:
        return False
    return ready


class Console:
    """The root shell on the guest's ttyS0 (kernel messages may interleave). Commands are
    typed only while the shell is up: between its start banner and a reboot."""

    def __init__(self, path):
        self.sock = connect_unix(path, time.monotonic() + 30)
        self.buf = b""
        self.lock = threading.Lock()
        self.seq = 0
        self.ready = False
        self._carry = b""
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            with self.lock:
                self.buf += data
                # Markers may straddle two reads: look at the end of the last one too.
                seen = self._carry + data
                self._carry = seen[-64:]
                self.ready = shell_state(seen, self.ready)

    def run(self, command, timeout=30):
        """Runs a command, returns (exit status, output) or None on timeout (also when
        the shell did not come up within it)."""
        deadline = time.monotonic() + timeout
        while not self.ready:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)
        self.seq += 1
        tag = f"AJ{self.seq}X"
        with self.lock:
            self.buf = b""
        # The shell echoes the line as typed; only the run prints the expanded marker.
        line = f"echo {tag}B; {command}; echo {tag}E$?\n"
        self.sock.sendall(line.encode())
        pattern = re.compile(rf"{tag}B\r?\n(.*?){tag}E(\d+)".encode(), re.S)
        while time.monotonic() < deadline:
            with self.lock:
                m = pattern.search(self.buf)
            if m:
                return int(m.group(2)), m.group(1).decode(errors="replace").strip()
            time.sleep(0.1)
        return None

    def wait_shell(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run("true", timeout=5) is not None:
                return True
        return False


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise RuntimeError(f"{path}: not a binary PPM")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end() : m.end() + w * h * 3]


def write_png(path, w, h, rgb):
    raw = b"".join(b"\x00" + rgb[y * w * 3 : (y + 1) * w * 3] for y in range(h))

    def chunk(kind, body):
        c = kind + body
        return struct.pack(">I", len(body)) + c + struct.pack(">I", zlib.crc32(c))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def share(w, rgb, rows, colours, tol=24):
    """The share of pixels in rows [a, b) within `tol` (per channel) of one of `colours`."""
    a, b = rows
    hits = total = 0
    # Every other row, every 4th pixel is plenty.
    for y in range(a, b, 2):
        base = y * w * 3
        for x in range(0, w, 4):
            i = base + x * 3
            total += 1
            px = rgb[i], rgb[i + 1], rgb[i + 2]
            if any(all(abs(p - c) <= tol for p, c in zip(px, col)) for col in colours):
                hits += 1
    return hits / max(total, 1)


PRIMARY = (0x0B, 0x5E, 0xA8)
BACKGROUND = (0xF3, 0xF6, 0xF9)
WHITE = (0xFF, 0xFF, 0xFF)
ACCENT = (0x00, 0x9A, 0x4E)


def home_stats(w, h, rgb):
    return {
        "header_primary": share(w, rgb, (0, h * 9 // 100), [PRIMARY]),
        # Home's header is taller than the other pages' (two-line title).
        "header_low_band": share(w, rgb, (h * 85 // 1000, h * 98 // 1000), [PRIMARY]),
        "body_light": share(w, rgb, (h * 12 // 100, h * 68 // 100), [BACKGROUND, WHITE]),
        "body_accent": share(w, rgb, (h * 12 // 100, h * 90 // 100), [ACCENT], tol=40),
        "black": share(w, rgb, (0, h), [(0, 0, 0)], tol=8),
    }


def looks_like_home(w, h, s):
    # Portrait panel; blue header band, light tiles, green tile icons; not a black screen.
    return (
        h > w
        and s["header_primary"] > 0.35
        and s["header_low_band"] > 0.5
        and s["body_light"] > 0.75
        and s["body_accent"] > 0.001
        and s["black"] < 0.05
    )


def loopback(hexaddr):
    """A /proc/net address (host-order hex words) on 127.0.0.0/8, ::1 or ::ffff:127.x."""
    if len(hexaddr) == 8:
        return int(hexaddr[6:8], 16) == 127
    if hexaddr == "00000000000000000000000001000000":
        return True
    return hexaddr[:24] == "0000000000000000FFFF0000" and int(hexaddr[30:32], 16) == 127


def parse_sockets(text):
    """Lines `PROTO sl: LOCAL REMOTE STATE ...` from /proc/net/{tcp,tcp6,udp,udp6}: the
    listening ones (TCP LISTEN, UDP unconnected) as `proto addr:port`, and those of them not
    on loopback."""
    listening, exposed = [], []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5 or ":" not in f[2]:
            continue
        proto, local, state = f[0], f[2], f[4]
        if (proto.startswith("tcp") and state != "0A") or (proto.startswith("udp") and state != "07"):
            continue
        addr, port = local.split(":")
        name = f"{proto} {addr}:{int(port, 16)}"
        listening.append(name)
        # The DHCP client's own socket (systemd-networkd, bound to its lease, port 68):
        # the firewall lets only DHCP servers' answers (source port 67) reach it.
        if proto == "udp" and int(port, 16) == 68:
            continue
        if not loopback(addr):
            exposed.append(name)
    return listening, exposed


def self_test():
    assert shell_state(b"[ 9.1] systemd[1]: ...\r\nANJ-TEST-SHELL-UP\r\n# ", False)
    assert shell_state(b"AJ3XE0\r\n# ", True), "output of a command keeps it up"
    assert not shell_state(b"ANJ-TEST-SHELL-UP ... [ 325.7] reboot: Restarting system", True)
    assert not shell_state(b"  systemd-boot version: 252.39", True)
    assert shell_state(b"systemd-boot version ... ANJ-TEST-SHELL-UP\n", False)
    assert not shell_state(b"BdsDxe: loading Boot0001", False), "the firmware: still down"
    """check.sh runs this: the socket reader above on lines as the kernel writes them."""
    sample = "\n".join([
        "tcp 0: 3500007F:0035 00000000:0000 0A 00000000:00000000",  # resolved, 127.0.0.53:53
        "tcp 1: 0F02000A:A2C4 6402000A:2233 01 00000000:00000000",  # a connection out: not listening
        "tcp6 0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A x",
        "udp 0: 00000000:14EB 00000000:0000 07 00000000:00000000",  # LLMNR on 0.0.0.0:5355
        "udp6 0: 0000000000000000FFFF00000100007F:0277 00000000000000000000000000000000:0000 07 x",
        "udp 1: 0F02000A:B3A1 6402000A:007B 01 00000000:00000000",  # timesyncd, connected
        "udp 2: 0F02000A:0044 00000000:0000 07 00000000:00000000",  # networkd's DHCP client
    ])
    listening, exposed = parse_sockets(sample)
    assert listening == ["tcp 3500007F:53", "tcp6 00000000000000000000000001000000:8080",
                         "udp 00000000:5355", "udp6 0000000000000000FFFF00000100007F:631",
                         "udp 0F02000A:68"], listening
    assert exposed == ["udp 00000000:5355"], exposed


class Test:
    def __init__(self, args):
        self.args = args
        self.qmp = Qmp(args.qmp)
        self.con = None if args.home_only else Console(args.console)
        self.shots = args.shots
        self.figures = {}

    def screendump(self, name):
        ppm = os.path.join(self.shots, name + ".ppm")
        self.qmp.cmd("screendump", filename=ppm)
        w, h, rgb = read_ppm(ppm)
        write_png(os.path.join(self.shots, name + ".png"), w, h, rgb)
        return w, h, rgb

    def tap(self, x, y, w, h):
        ax = round(x * 32767 / (w - 1))
        ay = round(y * 32767 / (h - 1))
        self.qmp.cmd(
            "input-send-event",
            events=[
                {"type": "abs", "data": {"axis": "x", "value": ax}},
                {"type": "abs", "data": {"axis": "y", "value": ay}},
            ],
        )
        time.sleep(0.3)
        for down in (True, False):
            self.qmp.cmd(
                "input-send-event",
                events=[{"type": "btn", "data": {"down": down, "button": "left"}}],
            )
            time.sleep(0.15)

    def targets(self):
        """The controls on screen now, as the app's UI probe lists them (src/ui/probe.rs):
        {"width", "height", "scale", "targets": [{"role", "label", "x", "y", "w", "h"}]}
        in the app's physical pixels. None while the file is not there yet."""
        r = self.con.run(f"cat {PROBE_FILE} 2>/dev/null | tr -d '\\n'", timeout=15)
        if r is None or r[0] != 0 or not r[1]:
            return None
        try:
            return json.loads(r[1])
        except ValueError:
            return None  # a console line got in between; ask again

    def wait_target(self, want, what, timeout):
        """Waits until a control for which want(target) holds is on screen; returns it with
        the probe's snapshot."""
        deadline = time.monotonic() + timeout
        snap = None
        while time.monotonic() < deadline:
            snap = self.targets()
            for t in (snap or {}).get("targets", []):
                if want(t):
                    return t, snap
            time.sleep(1)
        labels = [t["label"] for t in (snap or {}).get("targets", [])]
        fail(f"{what}: not on screen within {timeout} s (the app lists {labels})")

    def tap_label(self, label, w, h, timeout=30):
        """Taps the middle of the control labelled `label`, scaled from the app's pixels to
        the screendump's (the same on a panel at scale 1)."""
        t, snap = self.wait_target(lambda t: t["label"] == label, f"{label!r}", timeout)
        x = (t["x"] + t["w"] / 2) * w / snap["width"]
        y = (t["y"] + t["h"] / 2) * h / snap["height"]
        log(f"tap: {label} at ({x:.0f}, {y:.0f})")
        self.figures.setdefault("taps", {})[label] = [round(x), round(y)]
        self.tap(x, y, w, h)

    def sh(self, command, timeout=30):
        r = self.con.run(command, timeout)
        if r is None:
            fail(f"guest shell did not answer: {command}")
        return r

    def unit(self, *props):
        _, out = self.sh(
            "systemctl show anjungan.service " + " ".join(f"-p {p}" for p in props)
        )
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_active(self, old_pid, timeout):
        """Waits for anjungan.service active with a main PID other than old_pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            u = self.unit("ActiveState", "SubState", "MainPID", "NRestarts")
            if u.get("ActiveState") == "active" and u.get("MainPID") not in ("0", old_pid):
                return u
            time.sleep(1)
        fail(f"anjungan.service not active again within {timeout} s: {u}")

    def wait_home(self, name, timeout):
        deadline = time.monotonic() + timeout
        while True:
            w, h, rgb = self.screendump(name)
            s = home_stats(w, h, rgb)
            if looks_like_home(w, h, s):
                return w, h, s
            if time.monotonic() > deadline:
                fail(f"{name}: not the home screen ({w}x{h}, {s})")
            time.sleep(2)

    def check_sockets(self):
        """Nothing on the kiosk answers the network: every listening TCP socket and every
        unconnected UDP socket is bound to loopback. Read from /proc/net (the image has no
        ss), so what counts is the kernel's own table."""
        _, out = self.sh("for f in tcp tcp6 udp udp6; do sed \"1d;s/^/$f /\" /proc/net/$f; done")
        listening, exposed = parse_sockets(out)
        log("listening sockets: " + (", ".join(listening) or "none"))
        if exposed:
            fail(f"sockets reachable from the network: {exposed}")
        self.figures["listening_sockets"] = listening

    def run_home_only(self):
        """The UEFI boot (firmware, systemd-boot, kernel): no test shell, the screen only."""
        log("waiting for the home screen (UEFI boot)")
        w, h, s = self.wait_home("uefi-home", self.args.boot_timeout)
        self.figures["uefi_boot_to_home_s"] = round(time.monotonic() - T0, 1)
        log(f"home screen shown {w}x{h}: {s}")
        log("PASS " + json.dumps(self.figures))

    def run(self):
        a = self.args
        if a.home_only:
            return self.run_home_only()
        log("waiting for the guest's test shell on ttyS0")
        if not self.con.wait_shell(a.boot_timeout):
            fail("no shell on ttyS0")
        log("shell up; waiting for anjungan.service to be active (READY=1)")
        u = self.wait_active("0", a.boot_timeout)
        self.figures["boot_to_ready_s"] = round(time.monotonic() - T0, 1)
        log(f"anjungan.service active: {u}")
        w, h, s = self.wait_home("home", 120)
        self.figures["boot_to_home_s"] = round(time.monotonic() - T0, 1)
        log(f"home screen shown {w}x{h}: {s}")

        _, out = self.sh("ls -l /dev/anjungan-printer /dev/anjungan-dispenser")
        log("udev names: " + " | ".join(out.splitlines()))
        _, out = self.sh("findmnt -no TARGET,OPTIONS / ; findmnt -no TARGET,SOURCE /var/log")
        log("mounts: " + " | ".join(out.splitlines()))
        if not re.search(r"^/\s+ro\b", out, re.M):
            fail(f"root is not read-only: {out}")
        self.check_sockets()

        # Tap "Ambil Antrean" (a home tile), then service A's row, where the app says they
        # are (its UI probe, src/ui/probe.rs).
        before = set(os.listdir(a.printed))
        self.tap_label("Ambil Antrean", w, h)
        self.wait_target(lambda t: t["label"] == SERVICE_A, "the service list", 30)
        self.screendump("queue")
        log("service list shown")
        self.tap_label(SERVICE_A, w, h)
        deadline = time.monotonic() + 60
        printed = []
        while time.monotonic() < deadline:
            printed = sorted(set(os.listdir(a.printed)) - before)
            if any(p.endswith(".txt") for p in printed):
                break
            time.sleep(1)
        txts = [p for p in printed if p.endswith(".txt")]
        if not txts:
            self.screendump("after-tap")
            fail("the virtual printer received nothing")
        time.sleep(2)
        with open(os.path.join(a.printed, txts[0]), encoding="utf-8", errors="replace") as f:
            slip = f.read()
        log("printed slip:\n" + slip)
        if "NOMOR ANTREAN" not in slip or not re.search(r"^A-?\d+$", slip, re.M):
            fail("the slip is not a queue ticket for service A")
        self.screendump("ticket")

        # Kill the app: systemd restarts it (Restart=always).
        u = self.unit("MainPID", "NRestarts")
        pid, restarts = u["MainPID"], int(u["NRestarts"])
        log(f"kill -KILL {pid}")
        t = time.monotonic()
        self.sh(f"kill -KILL {pid}")
        u = self.wait_active(pid, 180)
        self.figures["restart_after_kill_s"] = round(time.monotonic() - t, 1)
        if int(u["NRestarts"]) != restarts + 1:
            fail(f"NRestarts did not go up by one: {u}")
        log(f"restarted: {u}")
        self.wait_home("home-after-restart", 120)

        # Freeze it: no heartbeat from the UI thread, the watchdog kills and restarts it.
        pid = u["MainPID"]
        log(f"kill -STOP {pid} (WatchdogSec=30s)")
        t = time.monotonic()
        self.sh(f"kill -STOP {pid}")
        u = self.wait_active(pid, 180)
        self.figures["restart_after_freeze_s"] = round(time.monotonic() - t, 1)
        _, journal = self.sh("journalctl -u anjungan.service --no-pager | grep -i watchdog | tail -n 3")
        log("journal: " + " | ".join(journal.splitlines()))
        if "watchdog" not in journal.lower():
            fail("no watchdog timeout in the journal")
        self.wait_home("home-after-watchdog", 120)
        _, jdir = self.sh("ls /var/log/journal/ | head -n 3; journalctl --disk-usage")
        log("journal on the data partition: " + " | ".join(jdir.splitlines()))
        log("PASS " + json.dumps(self.figures))
        with open(os.path.join(self.shots, "figures.json"), "w") as f:
            json.dump(self.figures, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qmp", required=True)
    p.add_argument("--console")
    p.add_argument("--printed", help="the virtual printer's --png-dir")
    p.add_argument("--home-only", action="store_true", help="only wait for the home screen")
    p.add_argument("--shots", required=True)
    p.add_argument("--boot-timeout", type=int, default=600)
    Test(p.parse_args()).run()


if __name__ == "__main__":
    main()
