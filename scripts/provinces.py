#!/usr/bin/python3
"""Indonesia's provinces as SVG path data, for the hub console's fleet map (hub/assets/provinces.tsv).

Source: Natural Earth 1:50m "Admin 1 – States, Provinces" (ne_50m_admin_1_states_provinces),
a 5.x release (the commit below pins which), public domain (https://www.naturalearthdata.com/about/terms-of-use/: "All versions
of Natural Earth raster + vector map data found on this website are in the public domain").
  canonical copy: github.com/nvkelso/natural-earth-vector,
                  geojson/ne_50m_admin_1_states_provinces.geojson,
                  commit 6a9da465f6f05b9936e34340d6a81a00f79ac1a2
  (https://raw.githubusercontent.com/nvkelso/natural-earth-vector/6a9da465f6f05b9936e34340d6a81a00f79ac1a2/geojson/ne_50m_admin_1_states_provinces.geojson)
  copy actually read (the same release, written by ogr2ogr at full precision; spot checks of
  its Indonesian features match the canonical file to its 6 decimals, attributes too):
                  github.com/jmosesson/Languages,
                  ne_50m_admin_1_states_provinces.geojson,
                  commit bed11bc73b8ed36c8aa659510c31998102d74055
Either file works as input; coordinates are rounded to 6 decimals first, so both give the same
output. 50m, not 10m: here 1 px is about 0.05 degree, about the spacing of 50m's points, so 10m
would mostly add points that the simplification drops again (and tiny islands).

Natural Earth has Indonesia's 33 provinces of before late 2012: Kalimantan Utara is still inside
Kalimantan Timur, and Papua and Papua Barat are not split into the six provinces of 2022.
It carries ISO 3166-2 codes (iso_3166_2) but no BPS province codes, so none are written.

What it does, in the console's equirectangular frame (hub/src/console/fleet.rs: WEST..EAST,
NORTH..SOUTH onto WIDTH x HEIGHT px):
  1. keeps the features with adm0_a3 == "IDN";
  2. projects to pixels;
  3. splits every ring into arcs at the points where provinces meet, and simplifies each arc
     once (Douglas-Peucker, --tolerance px), so neighbouring provinces keep one shared border
     with no slivers or gaps;
  4. drops rings whose projected area is under --min-area px^2, clips to the frame;
  5. rounds to 0.1 px and writes compact relative SVG path data ("m dx dy dx dy ... z").
Output: one line per province, `iso_code<TAB>name<TAB>svg_path_d`, sorted by ISO code, no header.

Regenerate (from the repository root; stdlib only, no packages needed), with either copy:
  git --git-dir=<clone of jmosesson/Languages> show \
      bed11bc73b8ed36c8aa659510c31998102d74055:ne_50m_admin_1_states_provinces.geojson \
      > /tmp/ne_50m_admin_1_states_provinces.geojson
  python3 scripts/provinces.py /tmp/ne_50m_admin_1_states_provinces.geojson
(writes hub/assets/provinces.tsv; --svg FILE also writes a preview SVG).
"""

import argparse
import gzip
import json
import math
import os
import sys

# The console's frame: keep equal to hub/src/console/fleet.rs.
WEST, EAST, NORTH, SOUTH = 94.5, 141.5, 6.5, -11.5
WIDTH, HEIGHT = 940.0, 360.0

DEFAULT_TOLERANCE = 0.3  # px
DEFAULT_MIN_AREA = 0.5  # px^2


def project(lon, lat):
    return ((lon - WEST) / (EAST - WEST) * WIDTH, (NORTH - lat) / (NORTH - SOUTH) * HEIGHT)


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def clean_ring(ring):
    """Ring as a list of (lon, lat) keys rounded to 6 decimals, closed, no repeated points."""
    out = []
    for lon, lat, *_ in ring:
        p = (round(lon, 6), round(lat, 6))
        if not out or out[-1] != p:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def ring_area(pts):
    a = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        a += x0 * y1 - x1 * y0
    return a / 2.0


def seg_dist(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(pts, tol):
    """Indices kept of an open polyline (both ends always kept)."""
    n = len(pts)
    if n <= 2:
        return list(range(n))
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        best, at = -1.0, -1
        for k in range(i + 1, j):
            d = seg_dist(pts[k], pts[i], pts[j])
            if d > best:
                best, at = d, k
        if at >= 0 and best > tol:
            keep[at] = True
            stack.append((i, at))
            stack.append((at, j))
    return [k for k in range(n) if keep[k]]


def simplify_arc(arc, tol, proj):
    """Simplified arc (list of keys). A closed arc is split at its farthest point first."""
    pts = [proj[k] for k in arc]
    if arc[0] == arc[-1]:
        far = max(range(len(pts)), key=lambda k: math.hypot(pts[k][0] - pts[0][0], pts[k][1] - pts[0][1]))
        a = douglas_peucker(pts[: far + 1], tol)
        b = douglas_peucker(pts[far:], tol)
        idx = a + [far + k for k in b[1:]]
    else:
        idx = douglas_peucker(pts, tol)
    return [arc[k] for k in idx]


def find_junctions(rings):
    """Points where a ring meets another ring (or itself) in a different way: arc ends."""
    neighbours = {}
    for ring in rings:
        m = len(ring) - 1  # ring[-1] == ring[0]
        for i in range(m):
            s = neighbours.setdefault(ring[i], set())
            s.add(ring[i - 1] if i > 0 else ring[m - 1])
            s.add(ring[i + 1])
    return {p for p, s in neighbours.items() if len(s) > 2}


def split_ring(ring, junctions):
    """The ring's arcs, each a list of keys; a ring without junctions is one closed arc
    starting at its smallest point (so a ring shared whole splits the same way twice)."""
    body = ring[:-1]
    cuts = [i for i, p in enumerate(body) if p in junctions]
    if not cuts:
        s = body.index(min(body))
        body = body[s:] + body[:s]
        return [body + [body[0]]]
    s = cuts[0]
    body = body[s:] + body[:s]
    cuts = [i - s for i in cuts]
    arcs = []
    for a, b in zip(cuts, cuts[1:] + [len(body)]):
        arcs.append(body[a : b + 1] if b < len(body) else body[a:] + [body[0]])
    return arcs


def clip_ring(pts):
    """Sutherland-Hodgman clip of a closed ring (list of (x, y), first == last) to the frame."""
    def clip(poly, inside, cross):
        out = []
        for i in range(len(poly)):
            cur, prev = poly[i], poly[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
        return out

    def at_x(x):
        return lambda p, q: (x, p[1] + (q[1] - p[1]) * (x - p[0]) / (q[0] - p[0]))

    def at_y(y):
        return lambda p, q: (p[0] + (q[0] - p[0]) * (y - p[1]) / (q[1] - p[1]), y)

    poly = pts[:-1]
    for inside, cross in (
        (lambda p: p[0] >= 0.0, at_x(0.0)),
        (lambda p: p[0] <= WIDTH, at_x(WIDTH)),
        (lambda p: p[1] >= 0.0, at_y(0.0)),
        (lambda p: p[1] <= HEIGHT, at_y(HEIGHT)),
    ):
        if not poly:
            break
        poly = clip(poly, inside, cross)
    return poly + poly[:1] if len(poly) >= 3 else None


def fmt(t):
    """A number in tenths of a pixel, as short as SVG allows: 5 -> .5, -12 -> -1.2, 30 -> 3."""
    s = "-" if t < 0 else ""
    i, f = divmod(abs(t), 10)
    if f == 0:
        return s + str(i)
    return s + (str(i) if i else "") + "." + str(f)


def join_numbers(nums):
    out = ""
    for n in nums:
        if out and not (n[0] == "-" or (n[0] == "." and "." in last)):
            out += " "
        out += n
        last = n
    return out


def path_d(rings):
    """rings: lists of (x, y) in tenths of a pixel, closed. One "m ... z" per ring; the first
    m is absolute by SVG's rule, later ones are relative to the previous ring's start."""
    d = []
    start = (0, 0)
    for ring in rings:
        pts = ring[:-1]
        nums = [fmt(pts[0][0] - start[0]), fmt(pts[0][1] - start[1])]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            nums += [fmt(x1 - x0), fmt(y1 - y0)]
        d.append("m" + join_numbers(nums) + "z")
        start = pts[0]
    return "".join(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="ne_50m_admin_1_states_provinces.geojson (or .geojson.gz)")
    ap.add_argument("-o", "--output", default=os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "hub", "assets", "provinces.tsv")))
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="Douglas-Peucker tolerance, px")
    ap.add_argument("--min-area", type=float, default=DEFAULT_MIN_AREA, help="smallest ring kept, px^2")
    ap.add_argument("--svg", help="also write a preview SVG here")
    args = ap.parse_args()

    provinces = []  # (iso, name, [rings of keys with is_hole])
    for feat in load(args.source)["features"]:
        p = feat["properties"]
        if p.get("adm0_a3") != "IDN":
            continue
        rings = []
        for poly in polygons(feat["geometry"]):
            for r, ring in enumerate(poly):
                ring = clean_ring(ring)
                if ring:
                    rings.append(ring)
        provinces.append((p["iso_3166_2"], p["name"], rings))
    if not provinces:
        sys.exit("no feature with adm0_a3 == IDN in " + args.source)
    provinces.sort()

    proj = {}
    for _, _, rings in provinces:
        for ring in rings:
            for k in ring:
                if k not in proj:
                    proj[k] = project(*k)
    junctions = find_junctions([r for _, _, rings in provinces for r in rings])

    cache = {}  # arc in canonical direction -> simplified arc

    def simplified(arc):
        t = tuple(arc)
        rev = t[::-1]
        if rev < t:
            return cache.setdefault(rev, simplify_arc(list(rev), args.tolerance, proj))[::-1]
        return cache.setdefault(t, simplify_arc(arc, args.tolerance, proj))

    lines, dropped, points = [], 0, 0
    for iso, name, rings in provinces:
        out = []
        for ring in rings:
            if abs(ring_area([proj[k] for k in ring])) < args.min_area:
                dropped += 1
                continue
            keys = []
            for arc in split_ring(ring, junctions):
                s = simplified(arc)
                keys.extend(s if not keys else s[1:])
            pts = [proj[k] for k in keys]
            if any(not (0 <= x <= WIDTH and 0 <= y <= HEIGHT) for x, y in pts):
                pts = clip_ring(pts)
                if not pts:
                    dropped += 1
                    continue
            tenths = []
            for x, y in pts:
                q = (round(x * 10), round(y * 10))
                if not tenths or tenths[-1] != q:
                    tenths.append(q)
            if tenths[0] != tenths[-1]:
                tenths.append(tenths[0])
            if len(tenths) < 4 or ring_area(tenths) == 0:
                dropped += 1
                continue
            out.append(tenths)
            points += len(tenths) - 1
        lines.append((iso, name, path_d(out)))

    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        for iso, name, d in lines:
            f.write(f"{iso}\t{name}\t{d}\n")
    if args.svg:
        with open(args.svg, "w", encoding="utf-8") as f:
            f.write(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
                    f'width="{WIDTH:g}" height="{HEIGHT:g}"><rect width="100%" height="100%" fill="#f5f7f8"/>'
                    '<g fill="#cfd8dc" stroke="#fff" stroke-width="0.6" stroke-linejoin="round" fill-rule="evenodd">\n')
            for iso, name, d in lines:
                f.write(f'<path d="{d}"><title>{iso} {name}</title></path>\n')
            f.write("</g></svg>\n")
    print(f"{len(lines)} provinces, {points} points, {dropped} rings dropped, "
          f"{os.path.getsize(args.output)} bytes -> {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
