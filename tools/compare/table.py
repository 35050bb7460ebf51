#!/usr/bin/python3
"""Reads the JSON lines run.sh collected (each tagged with round and workload) and prints the
comparison as a Markdown table: per workload and implementation the median across rounds of
the per-round median latency, images/s from it, and the ratios of resnet4j's images/s to
PyTorch's and ONNX Runtime's (> 1: resnet4j is faster; at batch 1 it is the inverse ratio of
latencies). Then the per-round medians, to show the spread on a shared machine; the run of
resnet4j and ONNX Runtime in one JVM, alternating block by block (workload "i", Interleaved.java),
if there is one; and the targets.

    /usr/bin/python3 tools/compare/table.py RAW.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

WORKLOADS = {
    "a": "(a) inference resnet18, 1000 classes, 3x224x224",
    "b": "(b) training step resnet18, 10 classes, 1x28x28, Adam",
    "c": "(c) training step resnet18, 10 classes, 3x32x32, SGD momentum 0.9",
}
IMPLS = ["resnet4j", "pytorch-eager", "pytorch-jit", "onnxruntime"]
NAMES = {"resnet4j": "resnet4j", "pytorch-eager": "PyTorch eager", "pytorch-jit": "PyTorch JIT (frozen)",
         "onnxruntime": "ONNX Runtime"}


def main(path):
    runs = defaultdict(list)  # (workload, batch, impl) -> [median_ms per round]
    mins = defaultdict(list)  # (workload, batch, impl) -> [min_ms per round]
    peaks = []
    inter = []  # the interleaved run's lines
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r["workload"] == "i":
            inter.append(r)
            continue
        runs[(r["workload"], r["batch"], r["impl"])].append(r["median_ms"])
        mins[(r["workload"], r["batch"], r["impl"])].append(r["min_ms"])
        if r["impl"] == "resnet4j" and "peak_gflops" in r:
            peaks.append(r["peak_gflops"])
    rows = sorted({(w, b) for (w, b, _) in runs})
    med = {k: statistics.median(v) for k, v in runs.items()}

    def ips(w, b, impl):
        m = med.get((w, b, impl))
        return None if m is None else b / (m / 1e3)

    def cell(w, b, impl):
        m = med.get((w, b, impl))
        if m is None:
            return "n/a"
        return "%.1f ms, %.1f img/s" % (m, b / (m / 1e3))

    def ratio(w, b, impl):
        a, o = ips(w, b, "resnet4j"), ips(w, b, impl)
        return "n/a" if a is None or o is None else "%.2fx" % (a / o)

    out = []
    out.append("| workload | batch | " + " | ".join(NAMES[i] for i in IMPLS)
               + " | resnet4j/PyTorch eager | resnet4j/PyTorch JIT | resnet4j/ORT |")
    out.append("|---|---:|" + "---:|" * len(IMPLS) + "---:|---:|---:|")
    for w, b in rows:
        out.append("| %s | %d | %s | %s | %s | %s |" % (
            WORKLOADS.get(w, w), b, " | ".join(cell(w, b, i) for i in IMPLS),
            ratio(w, b, "pytorch-eager"), ratio(w, b, "pytorch-jit"), ratio(w, b, "onnxruntime")))
    out.append("")
    out.append("Ratios are resnet4j images/s divided by the other's (> 1: resnet4j faster). Cells: median over rounds "
               "of each round's median step; n/a: not run (ONNX Runtime has no training; TorchScript freezing is "
               "inference-only).")
    out.append("")
    out.append("Best observed (the fastest single timed iteration over all rounds; on a shared machine the least "
               "disturbed figure, so a second view of the same runs):")
    out.append("")
    out.append("| workload | batch | " + " | ".join(NAMES[i] for i in IMPLS) + " | resnet4j/PyTorch eager | resnet4j/PyTorch JIT | resnet4j/ORT |")
    out.append("|---|---:|" + "---:|" * len(IMPLS) + "---:|---:|---:|")
    best = {k: min(v) for k, v in mins.items()}

    def bcell(w, b, impl):
        m = best.get((w, b, impl))
        return "n/a" if m is None else "%.1f ms, %.1f img/s" % (m, b / (m / 1e3))

    def bratio(w, b, impl):
        a, o = best.get((w, b, "resnet4j")), best.get((w, b, impl))
        return "n/a" if a is None or o is None else "%.2fx" % (o / a)

    for w, b in rows:
        out.append("| %s | %d | %s | %s | %s | %s |" % (
            WORKLOADS.get(w, w), b, " | ".join(bcell(w, b, i) for i in IMPLS),
            bratio(w, b, "pytorch-eager"), bratio(w, b, "pytorch-jit"), bratio(w, b, "onnxruntime")))
    out.append("")
    out.append("Per-round medians (ms), in run order:")
    out.append("")
    for w, b in rows:
        parts = []
        for i in IMPLS:
            v = runs.get((w, b, i))
            if v:
                parts.append("%s %s" % (NAMES[i], " / ".join("%.1f" % x for x in v)))
        out.append("- %s, batch %d: %s" % (WORKLOADS.get(w, w), b, "; ".join(parts)))
    if peaks:
        out.append("")
        out.append("FP32 peak measured by resnet4j's FMA micro-benchmark at the start of each of its runs (2 threads): "
                   "median %.1f GFLOP/s, range %.1f-%.1f." % (statistics.median(peaks), min(peaks), max(peaks)))
    if inter:
        out.append("")
        out.append("In one JVM, resnet4j and ONNX Runtime alternating block by block (each block: one untimed and "
                   "%d timed iterations back to back, then a pause; `Interleaved.java`), so that a burst of load "
                   "hits both alike. Ratio: the median over blocks of resnet4j's images/s ÷ ONNX Runtime's, "
                   "each block pair's medians:" % max(1, next((r["iterations"] for r in inter if "iterations" in r), 2)
                                                      // max(1, next((r["blocks"] for r in inter if "blocks" in r), 1))))
        out.append("")
        out.append("| batch | resnet4j | ONNX Runtime | ratio (median, quartiles) | blocks resnet4j ahead |")
        out.append("|---:|---:|---:|---:|---:|")
        for b in sorted({r["batch"] for r in inter}):
            rr = next((r for r in inter if r["batch"] == b and r["impl"] == "resnet4j-interleaved"), None)
            ro = next((r for r in inter if r["batch"] == b and r["impl"] == "onnxruntime-interleaved"), None)
            q = next((r for r in inter if r["batch"] == b and r["impl"] == "interleaved-ratio"), None)
            if rr and ro and q:
                out.append("| %d | %.1f ms (min %.1f) | %.1f ms (min %.1f) | %.2fx (%.2f-%.2f) | %d of %d |" % (
                    b, rr["median_ms"], rr["min_ms"], ro["median_ms"], ro["min_ms"], q["ratio_median"],
                    q["ratio_q1"], q["ratio_q3"], q["resnet4j_ahead_blocks"], q["blocks"]))
    out.append("")
    out.append("Targets:")

    def target(name, ok, detail):
        out.append("- %s: %s (%s)" % (name, "MET" if ok else ("NOT MET" if ok is not None else "not measured"), detail))

    def check(w, b, impl, factor):
        a, o = ips(w, b, "resnet4j"), ips(w, b, impl)
        if a is None or o is None:
            return None, "missing"
        return a >= factor * o, "%.2fx" % (a / o)

    ok, d = check("a", 16, "onnxruntime", 1.0)
    target("inference batch 16 >= 1.0x ORT images/s", ok, d)
    ok, d = check("a", 1, "onnxruntime", 1.0)
    target("batch 1 latency <= ORT's", ok, d + " of ORT's speed" if ok is not None else d)
    for b, name in ((16, "inference batch 16 >= 1.0x ORT images/s"), (1, "batch 1 latency <= ORT's")):
        q = next((r for r in inter if r["batch"] == b and r["impl"] == "interleaved-ratio"), None)
        if q:
            target(name + ", in one JVM", q["ratio_median"] >= 1.0, "%.2fx" % q["ratio_median"])
    ok, d = check("b", 128, "pytorch-eager", 1.5)
    target("training (b) >= 1.5x PyTorch images/s", ok, d)
    ok, d = check("c", 128, "pytorch-eager", 1.5)
    target("training (c) >= 1.5x PyTorch images/s", ok, d)
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
