#!/usr/bin/python3
"""The kiosk UI's speed and memory, side by side with a Chromium kiosk, in one run.

Run by scripts/bench-ui.sh (which installs what it needs and starts Xvfb). Every figure is
observed from outside the program, the same way for both: frames are seen by polling pixels
of the X server's screen, memory is the PSS of the whole process tree from /proc, and taps are
injected with XTest.

- start to first frame: from exec to the first time the header's blue shows on screen;
- PSS: of the running kiosk on the 1M-member database after the tap rounds, and of Chromium
  showing the equivalent static home screen;
- tap to next frame: from the injected button release to the first screen change the tap
  causes (a pixel learned per transition, away from the tapped control's own press effect).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from Xlib import X, XK, display
from Xlib.ext import xtest

W, H = 1080, 1920
HEADER_PIXEL = (540, 12)
BLUE = (0x0B, 0x5E, 0xA8)


def now():
    return time.monotonic()


class Screen:
    def __init__(self):
        self.d = display.Display()
        self.root = self.d.screen().root

    def pixel(self, x, y):
        data = self.root.get_image(x, y, 1, 1, X.ZPixmap, 0xFFFFFFFF).data
        return (data[2], data[1], data[0])

    def grab(self):
        """The whole kiosk area as bytes, 4 per pixel (B, G, R, x)."""
        return self.root.get_image(0, 0, W, H, X.ZPixmap, 0xFFFFFFFF).data



def close(a, b):
    return all(abs(p - q) <= 8 for p, q in zip(a, b))


def wait_first_frame(screen, proc, timeout=30.0):
    start = now()
    while now() - start < timeout:
        if close(screen.pixel(*HEADER_PIXEL), BLUE):
            return now()
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        time.sleep(0.001)
    raise RuntimeError("no first frame within %.0f s" % timeout)


def wait_screen_clear(screen, timeout=10.0):
    start = now()
    while close(screen.pixel(*HEADER_PIXEL), BLUE):
        if now() - start > timeout:
            raise RuntimeError("the previous window is still on screen")
        time.sleep(0.01)


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def pss_mib(pid):
    total_kb, procs = 0, 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        procs += 1
        except OSError:
            pass
    return total_kb / 1024, procs


def stop(proc):
    for p in reversed(tree(proc.pid)):
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        for p in tree(proc.pid):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        proc.wait()


LOG = tempfile.NamedTemporaryFile(prefix="bench-ui-", suffix=".log", delete=False)


def launch(cmd, env=None):
    """Starts a program; its stderr goes to LOG, read back by check_renderer."""
    return subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=LOG,
        env=env,
        start_new_session=True,
    )


def check_renderer():
    """Slint falls back to its default renderer when the asked one cannot load, and says
    so on stderr: figures labelled with a renderer must come from that renderer."""
    with open(LOG.name, errors="replace") as f:
        text = f.read()
    if "fallback to default" in text or "Could not load rendering backend" in text:
        raise RuntimeError("the requested renderer did not load:\n" + text[-2000:])


def first_frame(screen, cmd, env=None):
    """One start: the time to its first frame, and the running process."""
    wait_screen_clear(screen)
    t0 = now()
    proc = launch(cmd, env)
    t1 = wait_first_frame(screen, proc)
    return (t1 - t0) * 1000, proc


def interleaved_starts(screen, programs, runs):
    """Each program once to warm the caches, then `runs` rounds alternating their order,
    so load that drifts during the run falls on both alike."""
    times = {name: [] for name in programs}
    for name, (cmd, env) in programs.items():
        stop(first_frame(screen, cmd, env)[1])
    names = list(programs)
    for i in range(runs):
        for name in names if i % 2 == 0 else reversed(names):
            cmd, env = programs[name]
            ms, proc = first_frame(screen, cmd, env)
            stop(proc)
            times[name].append(ms)
    return times


def differing_pixel(before, pressed, after):
    """A pixel the tap's result changes but the press alone does not (a pressed button's
    own highlight would otherwise be timed instead of the next screen)."""
    # The page area only (the header's buttons move a pixel or two with the title's length),
    # and a strong change, not an antialiased edge.
    step = 4
    for y in range(200, H - 200, step):
        row = y * W * 4
        for x in range(0, W, step):
            i = row + x * 4
            a = (before[i + 2], before[i + 1], before[i])
            p = (pressed[i + 2], pressed[i + 1], pressed[i])
            b = (after[i + 2], after[i + 1], after[i])
            if close(a, p) and max(abs(u - v) for u, v in zip(a, b)) > 80:
                return (x, y, a, b)
    return None


def tap_rounds(screen, transitions, rounds):
    """Learns one changing pixel per transition, then times `rounds` cycles of them."""
    learned = []
    for name, (x, y) in transitions:
        before = screen.grab()
        xtest.fake_input(screen.d, X.MotionNotify, x=x, y=y)
        xtest.fake_input(screen.d, X.ButtonPress, 1)
        screen.d.sync()
        time.sleep(1.0)
        pressed = screen.grab()
        xtest.fake_input(screen.d, X.ButtonRelease, 1)
        screen.d.sync()
        time.sleep(1.5)
        after = screen.grab()
        found = differing_pixel(before, pressed, after)
        if found is None:
            raise RuntimeError(f"tap {name} at {x},{y} changed nothing on screen")
        learned.append((name, (x, y), found))
    samples = {name: [] for name, _ in transitions}
    for _ in range(rounds):
        for name, (x, y), (px, py, a, b) in learned:
            time.sleep(0.3)
            if not close(screen.pixel(px, py), a):
                raise RuntimeError(f"tap {name}: the screen is not in its starting state")
            xtest.fake_input(screen.d, X.MotionNotify, x=x, y=y)
            xtest.fake_input(screen.d, X.ButtonPress, 1)
            screen.d.sync()
            time.sleep(0.05)
            xtest.fake_input(screen.d, X.ButtonRelease, 1)
            screen.d.sync()
            t0 = now()
            while not close(screen.pixel(px, py), b):
                if now() - t0 > 5:
                    raise RuntimeError(f"tap {name}: no frame within 5 s")
                # Xvfb is one thread: leave it time to take the app's frame.
                time.sleep(0.0002)
            samples[name].append((now() - t0) * 1000)
    return samples, learned


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anjungan", required=True)
    ap.add_argument("--demo-dir", required=True)
    ap.add_argument("--big-db", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--renderer", default="winit-software")
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--speech", action="store_true",
        help="speech on: the demo records every utterance, the kiosk speaks after F4",
    )
    args = ap.parse_args()

    screen = Screen()
    env = dict(os.environ, SLINT_BACKEND=args.renderer, ANJUNGAN_LOG="warn")
    result = {"renderer": args.renderer, "runs": args.runs}

    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    chromium = [
        args.chromium, "--kiosk", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--noerrdialogs", "--disable-translate", f"--user-data-dir={profile}",
        "--window-position=0,0", f"--window-size={W},{H}", "file://" + os.path.abspath(args.html),
    ]
    demo = [args.anjungan, "demo", "--dir", args.demo_dir]
    speech_dir = tempfile.mkdtemp(prefix="bench-speech-")
    if args.speech:
        # Headphone mode from the start, every utterance synthesised and written as WAV.
        demo += ["--speech", "--speech-dir", speech_dir]
    result["speech"] = args.speech

    # Start-up, interleaved so both see the same machine.
    starts = interleaved_starts(
        screen, {"chromium": (chromium, None), "demo": (demo, env)}, args.runs
    )
    chromium_times, demo_times = starts["chromium"], starts["demo"]
    check_renderer()
    result["chromium_first_frame_ms"] = chromium_times
    result["demo_first_frame_ms"] = demo_times
    # Chromium's memory, settled after its start.
    _, chromium_proc = first_frame(screen, chromium)
    time.sleep(3)
    result["chromium_pss_mib"], result["chromium_processes"] = pss_mib(chromium_proc.pid)
    stop(chromium_proc)

    # The kiosk on the 1M-member database: taps, then memory.
    kiosk = [
        args.anjungan, "kiosk", "--db", args.big_db, "--windowed",
        "--location", "-6.9025,107.6188", "--idle-secs", "3600",
    ]
    if args.speech:
        kiosk += ["--speech", "headphones"]
    big_ms, proc = first_frame(screen, kiosk, env)
    result["kiosk_1m_first_frame_ms"] = big_ms
    if args.speech:
        # A member presses the speech key: every screen from here on is synthesised (and
        # played through aplay where there is one).
        # Without a window manager nothing gives the window the keyboard: give it.
        shown = [
            w for w in screen.root.query_tree().children
            if w.get_attributes().map_state == X.IsViewable
        ]
        screen.d.set_input_focus(shown[-1], X.RevertToParent, X.CurrentTime)
        screen.d.sync()
        time.sleep(0.3)
        f4 = screen.d.keysym_to_keycode(XK.string_to_keysym("F4"))
        xtest.fake_input(screen.d, X.KeyPress, f4)
        xtest.fake_input(screen.d, X.KeyRelease, f4)
        screen.d.sync()
    time.sleep(2)
    result["kiosk_1m_pss_idle_mib"], _ = pss_mib(proc.pid)
    # Portrait layout: the "Cari Faskes & Kantor" tile, the "P" key, the "Beranda" button.
    transitions = [
        ("home -> search", (540, 1000)),
        ("type P", (980, 1290)),
        ("search -> home", (335, 1849)),
    ]
    samples, learned = tap_rounds(screen, transitions, args.rounds)
    result["tap_pixels"] = {n: [px, py] for n, _, (px, py, _a, _b) in learned}
    result["tap_ms"] = samples
    result["kiosk_1m_pss_mib"], result["kiosk_processes"] = pss_mib(proc.pid)
    stop(proc)
    check_renderer()

    all_taps = [v for vs in samples.values() for v in vs]
    med_c = statistics.median(chromium_times)
    med_d = statistics.median(demo_times)
    summary = {
        "chromium start to first frame, median ms": round(med_c, 1),
        "anjungan demo start to first frame, median ms": round(med_d, 1),
        "ratio demo / chromium": round(med_d / med_c, 3),
        "chromium PSS MiB (processes)": (round(result["chromium_pss_mib"], 1), result["chromium_processes"]),
        "anjungan kiosk 1M PSS MiB after taps": round(result["kiosk_1m_pss_mib"], 1),
        "anjungan kiosk 1M PSS MiB idle": round(result["kiosk_1m_pss_idle_mib"], 1),
        "tap to next frame, median ms": round(statistics.median(all_taps), 1),
        "tap to next frame, p95 ms": round(pct(all_taps, 95), 1),
    }
    for name, vs in samples.items():
        summary[f"  {name}: median / p95 ms"] = (round(statistics.median(vs), 1), round(pct(vs, 95), 1))
    result["summary"] = summary
    summary["demo starts, min-max ms"] = (round(min(demo_times)), round(max(demo_times)))
    summary["chromium starts, min-max ms"] = (round(min(chromium_times)), round(max(chromium_times)))
    if args.speech:
        # Speech really ran: a demo left on its home screen for 3 s records its utterance,
        # and the kiosk's voice tried to play after F4 (no aplay here: it says so once).
        _, demo_proc = first_frame(screen, demo, env)
        time.sleep(3)
        stop(demo_proc)
        summary["demo utterances recorded (3 s on home)"] = len(
            [n for n in os.listdir(speech_dir) if n.endswith(".wav")]
        )
        with open(LOG.name, errors="replace") as f:
            summary["kiosk voice tried to play (log)"] = "no sound output" in f.read()
    for k, v in summary.items():
        print(f"{k}: {v}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
