#!/usr/bin/env python3
"""Draws bench/scale-results.csv (written by bench/scale.sh) as two SVG line charts, by hand
with the standard library only:

  bench/memory.svg  resident memory of `cohub serve` against log size
  bench/asof.svg    as-of read latency (p50 and p99; early, middle, late) against log size

  python3 bench/plot.py [CSV] [--out DIR] [--commit C ...] [--tag T]

With --commit, only the lines of those commits are drawn (a side-by-side run writes lines of
two builds; label the "before" ones with its commit); with --tag, the files are named
memory-T.svg and asof-T.svg. When a size was run more than once, its latest line is drawn (lines are grouped by the
size asked of `cohub generate`, which writes a few events more).
Each chart shows its target as a dashed line.
"""

import argparse
import csv
import math
import os
from xml.sax.saxutils import escape

W, H = 780, 440
LEFT, RIGHT, TOP, BOTTOM = 80, 230, 56, 64


def number(v):
    try:
        x = float(v)
        return x if math.isfinite(x) else None
    except (TypeError, ValueError):
        return None


def nice_max(v):
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * mag >= v:
            return m * mag
    return 10 * mag


def fmt(v):
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1_000:
        return f"{v / 1_000:g}k"
    return f"{v:g}"


# Line styles that stay apart in black and white: dash pattern, marker, grey.
STYLES = [
    ("", "circle", "#000"),
    ("6 4", "square", "#000"),
    ("2 3", "triangle", "#000"),
    ("", "circle-open", "#666"),
    ("6 4", "square-open", "#666"),
    ("2 3", "triangle-open", "#666"),
]


def marker(kind, x, y, colour):
    fill = "white" if kind.endswith("-open") else colour
    shape = kind.replace("-open", "")
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
    return (f'<polygon points="{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f}" '
            f'fill="{fill}" stroke="{colour}" stroke-width="1.5"/>')


def chart(title, xlabel, ylabel, series, target=None, note=None, xticks=None, ylog=False):
    """series: [(label, [(x, y), ...])]; target: (label, y) drawn dashed; xticks: [(x, label)]
    to mark the x axis there instead of at six even steps from 0; ylog: a logarithmic y axis
    (values above 0), marked at each power of ten."""
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts] + ([target[1]] if target else [])
    xmax = nice_max(max(xs) if xs else 1)
    ymax = nice_max(max(ys) * 1.05 if ys else 1)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    sx = lambda x: LEFT + pw * x / xmax
    sy = lambda y: TOP + ph * (1 - y / ymax)
    yticks = [ymax * i / 5 for i in range(6)]
    if ylog:
        lo = math.floor(math.log10(min(y for y in ys if y > 0)))
        hi = math.ceil(math.log10(max(ys)))
        hi = hi if hi > lo else lo + 1
        sy = lambda y: TOP + ph * (1 - (math.log10(max(y, 10 ** lo)) - lo) / (hi - lo))
        yticks = [10.0 ** e for e in range(lo, hi + 1)]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{W / 2:.0f}" y="26" text-anchor="middle" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    if note:
        out.append(f'<text x="{W / 2:.0f}" y="44" text-anchor="middle" font-size="11" fill="#444">{escape(note)}</text>')
    for yv in yticks:  # grid and ticks
        y = sy(yv)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        ytick = f"{yv:,.0f}" if yv >= 10 else f"{yv:g}"
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{ytick}</text>')
    for xv, xtick in xticks or [(xmax * i / 5, fmt(xmax * i / 5)) for i in range(6)]:
        x = sx(xv)
        out.append(f'<line x1="{x:.1f}" y1="{TOP + ph}" x2="{x:.1f}" y2="{TOP + ph + 5}" stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 20}" text-anchor="middle">{escape(xtick)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + ph}" stroke="black"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="black"/>')
    out.append(f'<text x="{LEFT + pw / 2:.0f}" y="{H - 18}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(20 {TOP + ph / 2:.0f}) rotate(-90)" text-anchor="middle">{escape(ylabel)}</text>')
    legend_y = TOP + 6
    if target:
        y = sy(target[1])
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="black" stroke-dasharray="10 4 2 4"/>')
        out.append(f'<line x1="{LEFT + pw + 14}" y1="{legend_y}" x2="{LEFT + pw + 40}" y2="{legend_y}" stroke="black" stroke-dasharray="10 4 2 4"/>')
        out.append(f'<text x="{LEFT + pw + 46}" y="{legend_y + 4}">{escape(target[0])}</text>')
        legend_y += 22
    for (label, pts), (dash, mk, colour) in zip(series, STYLES):
        pts = sorted(pts)
        if len(pts) > 1:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                       + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out += [marker(mk, sx(x), sy(y), colour) for x, y in pts]
        lx = LEFT + pw + 14
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 26}" y2="{legend_y}" stroke="{colour}" stroke-width="2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out.append(marker(mk, lx + 13, legend_y, colour))
        out.append(f'<text x="{lx + 32}" y="{legend_y + 4}">{escape(label)}</text>')
        legend_y += 22
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="?", default=os.path.join(here, "scale-results.csv"))
    ap.add_argument("--out", default=here)
    ap.add_argument("--commit", action="append", default=[],
                    help="draw only lines of this commit (repeatable; a prefix is enough)")
    ap.add_argument("--tag", help="name the files memory-TAG.svg and asof-TAG.svg")
    args = ap.parse_args()
    wanted = lambda c: not args.commit or any(c.startswith(w) or w.startswith(c) for w in args.commit)
    rows = {}
    with open(args.csv, newline="") as f:
        for row in csv.DictReader(f):
            n = number(row.get("events_requested")) or number(row.get("events"))
            if n and number(row.get("events")) and wanted(row.get("commit", "")):
                rows[n] = row  # the latest run of each requested size
    ordered = [rows[n] for n in sorted(rows)]
    commits = sorted({r["commit"] for r in ordered})
    note = f"cohub serve on sled, {ordered[-1]['hubs']} hubs; commit {', '.join(commits)}" if ordered else None

    def series(label, column):
        return (label, [(number(r["events"]), number(r[column])) for r in ordered
                        if number(r[column]) is not None])

    killed = [f"{number(r['events']):,.0f}" for r in ordered if "killed" in r.get("notes", "")]
    mem_note = note + (f"; killed at the RSS limit at {', '.join(killed)} events (peak = where it was stopped)" if killed else "")
    no_asof = [f"{number(r['events']):,.0f}" for r in ordered if number(r["asof_late_p99_ms"]) is None]
    asof_note = note + (f"; not measurable at {', '.join(no_asof)} events (server killed at the RSS limit)" if no_asof else "")
    memory = [
        series("ready (from checkpoint)", "rss_ready_mib"),
        series("after query load", "rss_after_load_mib"),
        series("peak (VmHWM)", "hwm_mib"),
        series("ready (first start)", "rss_ready_scratch_mib"),
    ]
    suffix = f"-{args.tag}" if args.tag else ""
    memory_svg = os.path.join(args.out, f"memory{suffix}.svg")
    asof_svg = os.path.join(args.out, f"asof{suffix}.svg")
    with open(memory_svg, "w") as f:
        f.write(chart("Resident memory of cohub serve", "events in the log",
                      "resident memory (MiB)", [s for s in memory if s[1]],
                      target=("target 256 MB", 256 * 1e6 / 2**20), note=mem_note))
    asof = [series(f"{q} {p}", f"asof_{p}_{q}_ms")
            for q in ("p99", "p50") for p in ("early", "middle", "late")]
    with open(asof_svg, "w") as f:
        f.write(chart("As-of read latency", "events in the log", "latency (ms)",
                      [s for s in asof if s[1]], target=("target p99 20 ms", 20), note=asof_note))
    print("wrote", memory_svg, "and", asof_svg)


if __name__ == "__main__":
    main()
