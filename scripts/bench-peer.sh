#!/usr/bin/env bash
# Times edgeinfer and ONNX Runtime (../shared/peer/run.sh) back to back on
# the same MobileNet-shaped networks, at 1 and 2 threads, and prints the
# medians and their ratio (ours / ONNX Runtime; below 1 means we are faster).
# The machine is shared and noisy, so each round runs ours and the peer on
# one model right after each other, and the table shows the median over
# ROUNDS rounds of each side's median latency.
# Usage: scripts/bench-peer.sh   (env: ITERS=50 ROUNDS=3 PEER=../shared/peer)
# The peer prints "<model or its .onnx path> threads=N  min X ms  median Y ms".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER:-$root/../shared/peer}
iters=${ITERS:-50}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
go build -o "$work/edgeinfer" ./cmd/edgeinfer
go test -count=1 -run '^TestWrite$' ./internal/benchmodels -args -benchmodels.write="$work" >/dev/null
declare -A peername=([mnv2_int8]=mnv2_u8 [mnv1_int8]=mnv1_u8 [mnv2_f32]=mnv2_f32)
models=(mnv2_int8 mnv1_int8 mnv2_f32)
: >"$work/results" # lines: side model threads median_ms
for ((r = 1; r <= rounds; r++)); do
  for m in "${models[@]}"; do
    for t in 1 2; do
      med=$("$work/edgeinfer" bench --model "$work/$m.tflite" --threads "$t" --iters "$iters" |
        awk '/^latency/ {for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1)}')
      echo "ours $m $t $med" >>"$work/results"
    done
    "$peer/run.sh" "${peername[$m]}" | while read -r _ th _ _ _ _ med _; do
      echo "peer $m ${th#threads=} $med" >>"$work/results"
    done
  done
done
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-10s %7s %12s %12s %7s   (median of %d rounds × %d runs)\n' model threads edgeinfer onnxruntime ratio "$rounds" "$iters"
for m in "${models[@]}"; do
  for t in 1 2; do
    a=$(awk -v m="$m" -v t="$t" '$1 == "ours" && $2 == m && $3 == t {print $4}' "$work/results" | median)
    b=$(awk -v m="$m" -v t="$t" '$1 == "peer" && $2 == m && $3 == t {print $4}' "$work/results" | median)
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-10s %7s %9s ms %9s ms %7s\n' "$m" "$t" "$a" "$b" "$ratio"
  done
done
