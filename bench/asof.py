#!/usr/bin/env python3
"""As-of read latency for bench/scale.sh (standard library only; run by hand, not a test).

Sends GraphQL reads of hubs and distributions as they stood at positions early (10 %), in the
middle (50 %) and late (90 %) in the log, one at a time over one keep-alive connection, and
prints one JSON object with p50/p99 in milliseconds per point.

  bench/asof.py --url http://127.0.0.1:PORT/graphql --head HEAD --hubs FILE [--reads 200]

FILE holds one line per hub: `<hub id> <token of one of its members>`. Each point's positions
are spread at random (fixed seed) over a window of 1 % of the log around it, so the reads are
of many positions, not one; every read alternates between the hubs in FILE and between

  hub(id, atPosition) { problems(first: 10) { edges { node { current { title { text } } } } } }
  distribution(id, atPosition) { status versions { version } consents { version voided } }

(the distribution one of that hub proposed before the position). Distributions are found
first with a read of the current state, so no as-of read warms anything before it is timed.
The very first as-of read of each point is also reported on its own ("first_ms"): after a
restart from a checkpoint, it may replay the log from the start and leave snapshots behind.

Then, on the current state, the hubs' feeds ("feeds" in the output, --feed-reads per kind,
alternating between the hubs): the newest page of a hub's activity feed, a page from the middle
of it (after a cursor), and the first page of a hub's whole history with its total count (which
reads every event of the hub).
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

PROBLEMS = (
    "query($id: UUID!, $p: Int!) { hub(id: $id, atPosition: $p) { asOfPosition "
    "problems(first: 10) { edges { node { current { title { text } } } } } } }"
)
DISTRIBUTION = (
    "query($id: UUID!, $p: Int!) { distribution(id: $id, atPosition: $p) "
    "{ status versions { version } consents { version voided } } }"
)
FEED_NEWEST = (
    "query($id: UUID!) { hub(id: $id) { activity(first: 20, newestFirst: true) "
    "{ edges { node { position summary } } } } }"
)
FEED_AFTER = (
    "query($id: UUID!, $after: String) { hub(id: $id) { activity(first: 20, after: $after) "
    "{ edges { node { position summary } } } } }"
)
HISTORY = (
    "query($id: UUID!) { history(hubId: $id, first: 20) "
    "{ totalCount edges { node { position summary } } } }"
)
DISTRIBUTIONS_NOW = (
    "query($id: UUID!, $after: String) { hub(id: $id) { distributions(first: 100, after: $after) "
    "{ pageInfo { hasNextPage endCursor } edges { node { id proposed { position } } } } } }"
)


class Client:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/graphql"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.errors = 0
        self.first_error = None

    def post(self, token, query, variables):
        body = json.dumps({"query": query, "variables": variables})
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        for attempt in range(2):
            try:
                self.conn.request("POST", self.path, body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
                if attempt:
                    raise
        answer = json.loads(data)
        if resp.status != 200 or answer.get("errors"):
            self.errors += 1
            if self.first_error is None:
                self.first_error = data[:300].decode("utf-8", "replace")
        return answer


def percentile(values, q):
    ordered = sorted(values)
    # nearest rank
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--head", type=int, required=True)
    ap.add_argument("--hubs", required=True)
    ap.add_argument("--reads", type=int, default=200, help="timed reads per point")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--feed-reads", type=int, default=40, help="timed reads per kind of feed read")
    args = ap.parse_args()

    hubs = [line.split() for line in open(args.hubs) if line.strip()]
    client = Client(args.url)
    rng = random.Random(args.seed)

    # Every distribution of each hub with the position it was proposed at (current state).
    proposed = {}
    for hub, token in hubs:
        found, after = [], None
        while True:
            a = client.post(token, DISTRIBUTIONS_NOW, {"id": hub, "after": after})
            conn = ((a.get("data") or {}).get("hub") or {}).get("distributions")
            if not conn:
                break
            found += [(e["node"]["proposed"]["position"], e["node"]["id"]) for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        proposed[hub] = sorted(found)
    setup_errors, client.errors = client.errors, 0

    out = {"head": args.head, "reads_per_point": args.reads, "hubs": len(hubs), "points": {}}
    for name, frac in (("early", 0.10), ("middle", 0.50), ("late", 0.90)):
        centre = int(args.head * frac)
        half = max(1, args.head // 200)
        times, kinds = [], {"problems": [], "distribution": []}
        for i in range(args.reads):
            hub, token = hubs[i % len(hubs)]
            pos = max(1, min(args.head, centre + rng.randint(-half, half)))
            dists = [d for p, d in proposed.get(hub, []) if p <= pos]
            if i % 2 == 1 and dists:
                kind, query, var = "distribution", DISTRIBUTION, {"id": rng.choice(dists), "p": pos}
            else:
                kind, query, var = "problems", PROBLEMS, {"id": hub, "p": pos}
            t0 = time.perf_counter()
            client.post(token, query, var)
            ms = (time.perf_counter() - t0) * 1000.0
            times.append(ms)
            kinds[kind].append(ms)
        rest = times[1:] or times
        out["points"][name] = {
            "position": centre,
            "first_ms": round(times[0], 2),
            "p50_ms": round(percentile(times, 50), 2),
            "p99_ms": round(percentile(times, 99), 2),
            "max_ms": round(max(times), 2),
            "p50_ms_without_first": round(percentile(rest, 50), 2),
            "p99_ms_without_first": round(percentile(rest, 99), 2),
            "mean_ms": round(statistics.fmean(times), 2),
            "reads": {k: len(v) for k, v in kinds.items()},
            "p50_ms_by_kind": {k: round(percentile(v, 50), 2) for k, v in kinds.items() if v},
            "p99_ms_by_kind": {k: round(percentile(v, 99), 2) for k, v in kinds.items() if v},
        }
    feeds = {"newest": [], "after_cursor": [], "history": []}
    for i in range(args.feed_reads):
        hub, token = hubs[i % len(hubs)]
        cursor = str(rng.randint(1, max(1, args.head // 2)))
        for kind, query, var in (
            ("newest", FEED_NEWEST, {"id": hub}),
            ("after_cursor", FEED_AFTER, {"id": hub, "after": cursor}),
            ("history", HISTORY, {"id": hub}),
        ):
            t0 = time.perf_counter()
            client.post(token, query, var)
            feeds[kind].append((time.perf_counter() - t0) * 1000.0)
    out["feeds"] = {
        k: {"p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2)}
        for k, v in feeds.items()
        if v
    }
    out["errors"] = client.errors
    out["setup_errors"] = setup_errors
    out["first_error"] = client.first_error
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
