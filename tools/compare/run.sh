#!/usr/bin/env bash
# Side-by-side benchmark: resnet4j (`resnet bench --json`), PyTorch (torch_bench.py: eager, and
# for inference TorchScript trace+freeze+optimize_for_inference) and ONNX Runtime Java
# (ort-bench/, on the ONNX file torch_bench.py exports from the same weights PyTorch runs).
# The implementations run ALTERNATELY, workload by workload, for ROUNDS rounds; the table holds
# the median over rounds of each run's median step, so a burst of load on the shared machine
# hits all of them alike.
#
#   tools/compare/run.sh                      # 3 rounds, ~5-9 minutes on the 2-core box
#   ROUNDS=1 ITER_INFER=3 ITER_TRAIN=3 tools/compare/run.sh   # a quick look
#   then, unless INTERLEAVED_BLOCKS=0: resnet4j and ONNX Runtime in one JVM, alternating (~40 s)
#
# Workloads: (a) inference resnet18, 1000 classes, 3x224x224, batch 1 and 16;
#            (b) training step resnet18, 10 classes, 1x28x28, batch 128, Adam;
#            (c) training step resnet18, 10 classes, 3x32x32, batch 128, SGD momentum 0.9.
# Writes the table to $OUT (default tools/compare/results.md) and the raw JSON lines to $WORK/raw.jsonl.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2}
# every implementation warms up for at least this long per workload (JIT, heap, thread pools)
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
ITER_INFER=${ITER_INFER:-3}
ITER_TRAIN=${ITER_TRAIN:-3}
WORK=${WORK:-/tmp/resnet4j-compare}
OUT=${OUT:-$HERE/results.md}
PY=/usr/bin/python3
mkdir -p "$WORK"

echo "building resnet4j and ort-bench ..." >&2
(cd "$ROOT" && mvn -o -q -B package -DskipTests -Dbuild.dir="$WORK/resnet4j-build")
# not offline: the first build fetches com.microsoft.onnxruntime:onnxruntime from Maven Central
# lib/ emptied first: a jar of another ONNX Runtime version left there would come first on the class path
rm -rf "$WORK/ort-build/lib"
(cd "$HERE/ort-bench" && mvn -q -B package -Dbuild.dir="$WORK/ort-build")
ONNX="$WORK/resnet18_1000.onnx"
$PY "$HERE/torch_bench.py" --arch resnet18 --num-classes 1000 --input 3x224x224 --export-onnx "$ONNX"

# resnet4j runs as the ./resnet launcher runs it: the newest JDK found, the parallel collector
R4J_JAVA=java
for cand in /usr/lib/jvm/*; do
  [ -x "$cand/bin/java" ] || continue
  v=$("$cand/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  cur=$("$R4J_JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  if [ -n "$v" ] && [ "$v" -gt "${cur:-0}" ]; then R4J_JAVA="$cand/bin/java"; fi
done
echo "resnet4j runs on $("$R4J_JAVA" -version 2>&1 | head -n1)" >&2
# as the launcher: inference with 64-byte object alignment (packed weights and activations on
# cache lines, kernels/Align.java) and, where THP is "madvise", transparent huge pages for the
# heap; training without either
ALIGN=(-XX:ObjectAlignmentInBytes=64)
if grep -qs '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled; then
  ALIGN+=(-XX:+UseTransparentHugePages)
fi
R4J_ARGS=(-cp "$WORK/resnet4j-build/resnet4j.jar:$WORK/resnet4j-build/lib/*"
     dev.resnet4j.cli.Main bench --threads "$THREADS" --json --warmup "$WARMUP" --warmup-seconds "$WARMUP_SECONDS")
R4J=("$R4J_JAVA" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx6g "${R4J_ARGS[@]}")
R4J_INFER=("$R4J_JAVA" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx6g "${ALIGN[@]}" "${R4J_ARGS[@]}")
TORCH=($PY "$HERE/torch_bench.py" --threads "$THREADS" --warmup "$WARMUP" --warmup-seconds "$WARMUP_SECONDS")
ORT=(java -cp "$WORK/ort-build/ort-bench.jar:$WORK/ort-build/lib/*" dev.resnet4j.compare.OrtBench "$ONNX"
     --threads "$THREADS" --warmup "$WARMUP" --warmup-seconds "$WARMUP_SECONDS")

RAW="$WORK/raw.jsonl"
: > "$RAW"
# runs a command, tags its JSON lines with the round and workload, and echoes them
run() {
  local round=$1 workload=$2
  shift 2
  echo "[round $round, workload $workload] ${*: -12}" >&2
  "$@" 2> >(grep -v '^WARNING: Using incubator modules' >&2) \
    | sed -u "s/^{/{\"round\":$round,\"workload\":\"$workload\",/" | tee -a "$RAW"
}

LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
START=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  A=(--arch resnet18 --num-classes 1000 --input 3x224x224 --batch 1,16)
  run "$round" a "${R4J_INFER[@]}" "${A[@]}" --iterations "$ITER_INFER"
  run "$round" a "${TORCH[@]}" "${A[@]}" --iterations "$ITER_INFER" --mode eager
  run "$round" a "${TORCH[@]}" "${A[@]}" --iterations "$ITER_INFER" --mode jit
  run "$round" a "${ORT[@]}" --input 3x224x224 --batch 1,16 --iterations "$ITER_INFER"
  B=(--arch resnet18 --num-classes 10 --input 1x28x28 --batch 128 --train --optimizer adam --iterations "$ITER_TRAIN")
  run "$round" b "${R4J[@]}" "${B[@]}"
  run "$round" b "${TORCH[@]}" "${B[@]}"
  C=(--arch resnet18 --num-classes 10 --input 3x32x32 --batch 128 --train --optimizer sgd --iterations "$ITER_TRAIN")
  run "$round" c "${R4J[@]}" "${C[@]}"
  run "$round" c "${TORCH[@]}" "${C[@]}"
done
# resnet4j and ONNX Runtime in one JVM, alternating block by block (ort-bench's Interleaved.java):
# the ratio separate processes cannot give on a machine whose load swings by 30 % in a minute.
# INTERLEAVED_BLOCKS=0 skips it; else the blocks for batch 1 and batch 16 (~40 s at the default).
INTERLEAVED_BLOCKS=${INTERLEAVED_BLOCKS:-40,20}
if [ "$INTERLEAVED_BLOCKS" != "0" ]; then
  run 0 i "$R4J_JAVA" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx6g "${ALIGN[@]}" \
    -cp "$WORK/ort-build/ort-bench.jar:$WORK/ort-build/lib/*:$WORK/resnet4j-build/resnet4j.jar:$WORK/resnet4j-build/lib/*" \
    dev.resnet4j.compare.Interleaved "$ONNX" --batch 1,16 --threads "$THREADS" --blocks "$INTERLEAVED_BLOCKS" \
    --warmup-seconds "$WARMUP_SECONDS"
fi
END=$(date +%s)

{
  echo "# resnet4j vs PyTorch vs ONNX Runtime"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); \
$THREADS threads each; $ROUNDS rounds, warm-up $WARMUP iterations and at least $WARMUP_SECONDS s, $ITER_INFER inference / $ITER_TRAIN training iterations per run; \
the runs took $((END - START)) s; load average at the start: $LOAD0."
  echo
  echo "Command: \`ROUNDS=$ROUNDS ITER_INFER=$ITER_INFER ITER_TRAIN=$ITER_TRAIN WARMUP_SECONDS=$WARMUP_SECONDS tools/compare/run.sh\`"
  echo
  $PY "$HERE/table.py" "$RAW"
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
} > "$OUT"
cat "$OUT"
echo "table written to $OUT; raw lines in $RAW" >&2
