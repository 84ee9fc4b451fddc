#!/usr/bin/env bash
# Times edgeinfer and ONNX Runtime (../shared/peer/run.sh) back to back on
# the same MobileNet-shaped networks, at 1 and 2 threads, and prints the
# medians and their ratio (ours / ONNX Runtime; below 1 means we are faster).
# Usage: scripts/bench-peer.sh            (env: ITERS=50, PEER=../shared/peer)
# The peer prints "<model or its .onnx path> threads=N  min X ms  median Y ms".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER:-$root/../shared/peer}
iters=${ITERS:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
go build -o "$work/edgeinfer" ./cmd/edgeinfer
go test -count=1 -run '^TestWrite$' ./internal/benchmodels -args -benchmodels.write="$work" >/dev/null
declare -A ours theirs
for m in mnv2_int8 mnv1_int8 mnv2_f32; do
  for t in 1 2; do
    med=$("$work/edgeinfer" bench --model "$work/$m.tflite" --threads "$t" --iters "$iters" | awk '/^latency/ {for (i=1;i<=NF;i++) if ($i=="median") print $(i+1)}')
    ours[$m/$t]=$med
  done
done
while read -r name th _ _ _ _ med _; do
  t=${th#threads=}
  case ${name##*/} in mnv2_u8*) m=mnv2_int8 ;; mnv1_u8*) m=mnv1_int8 ;; mnv2_f32*) m=mnv2_f32 ;; *) continue ;; esac
  theirs[$m/$t]=$med
done < <("$peer/run.sh" mnv2_u8 mnv1_u8 mnv2_f32)
printf '%-10s %7s %12s %12s %7s\n' model threads "edgeinfer" "onnxruntime" ratio
for m in mnv2_int8 mnv1_int8 mnv2_f32; do
  for t in 1 2; do
    a=${ours[$m/$t]:-nan} b=${theirs[$m/$t]:-nan}
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b+0 > 0) printf "%.2f", a/b; else print "n/a" }')
    printf '%-10s %7s %9s ms %9s ms %7s\n' "$m" "$t" "$a" "$b" "$r"
  done
done
