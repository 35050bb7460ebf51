#!/usr/bin/env python3
"""Per-node medians from an ONNX Runtime profile (OrtProfile's JSON): the last N runs of each node.

usage: ort_layers.py PROFILE.json N
"""
import collections
import json
import statistics
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, n = sys.argv[1], int(sys.argv[2])
    try:
        with open(path) as f:
            events = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"ort_layers.py: cannot read {path}: {e}")
    times = collections.defaultdict(list)
    ops = {}
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            node = e["name"][: -len("_kernel_time")]
            times[node].append(e["dur"])
            ops[node] = e.get("args", {}).get("op_name", "?")
    total = 0.0
    for node, v in times.items():
        m = statistics.median(v[-n:]) / 1000
        total += m
        print(f"  {node[:60]:60s} {ops[node]:18s} {m:8.3f} ms")
    print(f"  {'sum of medians':60s} {'':18s} {total:8.3f} ms")


if __name__ == "__main__":
    main()
