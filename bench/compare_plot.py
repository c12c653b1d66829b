#!/usr/bin/env python3
"""Draws bench/compare.csv (written by bench/compare.sh) as two SVG charts, with plot.py's
hand-written chart, and writes the figures and their ratios into bench/RESULTS.md between the
markers <!-- compare:begin --> and <!-- compare:end --> (the rest of the file is kept):

  compare-throughput.svg  mutations (raw limits: events) per second against connections
  compare-p99.svg         99th-percentile latency against connections

  python3 bench/compare_plot.py CSV --out DIR --results RESULTS.md \
      --machine TEXT --commit C --seconds S
"""

import argparse
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot import chart  # noqa: E402

ORDER = ["raw-sled", "raw-pg", "fixed", "peer", "cohub-sled", "cohub-pg"]
LABELS = {
    "raw-sled": "sled limit",
    "raw-pg": "PostgreSQL limit",
    "fixed": "axum fixed JSON",
    "peer": "cqrs-es peer (PG)",
    "cohub-sled": "cohub, sled",
    "cohub-pg": "cohub, PostgreSQL",
}
# Ratios worth stating: (numerator, denominator, what it says).
RATIOS = [
    ("cohub-sled", "peer", "cohub on sled ÷ the peer"),
    ("cohub-pg", "peer", "cohub on PostgreSQL ÷ the peer"),
    ("peer", "raw-pg", "the peer ÷ the PostgreSQL limit"),
    ("cohub-pg", "raw-pg", "cohub on PostgreSQL ÷ the PostgreSQL limit"),
    ("cohub-sled", "raw-sled", "cohub on sled ÷ the sled limit"),
    ("cohub-sled", "fixed", "cohub on sled ÷ the HTTP ceiling"),
]
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--machine", default="")
    ap.add_argument("--commit", default="")
    ap.add_argument("--seconds", default="")
    args = ap.parse_args()

    rows = list(csv.DictReader(open(args.csv)))
    fig = {}  # (system, connections) -> row
    for r in rows:
        fig[(r["system"], int(r["connections"]))] = r
    conns = sorted({c for _, c in fig})
    systems = [s for s in ORDER if any((s, c) in fig for c in conns)]

    # Connections double and quadruple: the x axis is logarithmic (log2), marked at each count.
    def series(field):
        return [(LABELS[s], [(math.log2(c) + 1, float(fig[(s, c)][field]))
                             for c in conns if (s, c) in fig])
                for s in systems]
    xticks = [(math.log2(c) + 1, str(c)) for c in conns]

    note = f"{args.machine}; commit {args.commit}; {args.seconds} s per point"
    with open(os.path.join(args.out, "compare-throughput.svg"), "w") as f:
        f.write(chart("Durable writes per second", "connections, log scale (raw limits: batch size)",
                      "mutations/s, log scale (raw limits: events/s)", series("per_second"), note=note, xticks=xticks,
                      target=("target, 64 conns (sled)", 10_000),
                      ylog=True))
    with open(os.path.join(args.out, "compare-p99.svg"), "w") as f:
        f.write(chart("p99 latency of a write", "connections, log scale (raw limits: batch size)",
                      "p99 ms, log scale (raw limits: a batch)", series("p99_ms"), note=note, xticks=xticks,
                      target=("target (sled)", 20),
                      ylog=True))

    lines = [BEGIN, "## Side by side: cohub, the peer and the limits", ""]
    lines.append(f"Run by hand with `bench/compare.sh` ({args.seconds} s per point), commit "
                 f"{args.commit}, on {args.machine}. Each connection works in a hub of its own; "
                 "a round is frame a problem, propose an idea, give feedback, propose a "
                 "distribution, consent. One driver (`cohub-bench load`) loads every server, on "
                 "the same cores as the server. Raw limits write batches of N events straight "
                 "to the store (N in the connections column).")
    lines.append("")
    lines.append("![throughput](compare-throughput.svg) ![p99](compare-p99.svg)")
    lines.append("")
    lines.append("| system | connections | per second | p50 ms | p99 ms | errors |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for c in conns:
        for s in systems:
            r = fig.get((s, c))
            if r:
                lines.append(f"| {LABELS[s]} | {c} | {float(r['per_second']):,.0f} | "
                             f"{float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {r['errors']} |")
    lines.append("")
    lines.append("Ratios of throughput (per second), at each connection count:")
    lines.append("")
    lines.append("| ratio | " + " | ".join(str(c) for c in conns) + " |")
    lines.append("|---|" + "---:|" * len(conns))
    for a, b, what in RATIOS:
        cells = []
        for c in conns:
            ra, rb = fig.get((a, c)), fig.get((b, c))
            if ra and rb and float(rb["per_second"]) > 0:
                cells.append(f"{float(ra['per_second']) / float(rb['per_second']):.2f}×")
            else:
                cells.append("–")
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    lines.append(END)
    section = "\n".join(lines) + "\n"

    text = open(args.results).read() if os.path.exists(args.results) else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    with open(args.results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
