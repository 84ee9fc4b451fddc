#!/usr/bin/env bash
# Regenerates the reference outputs of the per-operator golden tests.
#
#   go test ./tflite/opgolden -run TestOpGolden -args -write /tmp/og   # models, inputs (also into testdata/)
#   tflite/opgolden/testdata/regen.sh /tmp/og [CASE...]                # reference outputs into testdata/
#
# Each case's REF says which runner: "tflm" runs ../shared/golden/tflm/tflm_run
# (TFLite Micro's reference kernels); "tflite" runs ../shared/golden/tflite/run.mjs
# --no-xnnpack (stock TFLite's builtin kernels). TFLITE_RUNNER names a copy of
# ../shared/golden/tflite where `npm ci` has been run (default: that directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
golden=${GOLDEN:-$root/../shared/golden}
runner=${TFLITE_RUNNER:-$golden/tflite}
src=${1:?usage: regen.sh WRITE_DIR [CASE...]}
shift
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  mapfile -t cases < <(ls "$src")
fi
failed=0
for c in "${cases[@]}"; do
  d=$src/$c
  ref=$(cat "$d/REF")
  ins=$(ls "$d"/in*.npy | sort -V)
  rm -f "$here/$c"/expect*.npy
  case $ref in
  tflm)
    "$golden/tflm/tflm_run" "$d/model.tflite" "$d/out" $ins >"$d/status.json"
    grep -q '"status":"ok"' "$d/status.json" || { echo "$c: $(cat "$d/status.json")" >&2; failed=1; continue; }
    for f in "$d"/out.out*.npy; do
      k=${f##*/out.out}
      cp "$f" "$here/$c/expect$k"
    done
    ;;
  tflite)
    node "$runner/run.mjs" "$d/model.tflite" $ins --out "$d/tfl" --no-xnnpack --quiet || { echo "$c: run.mjs failed" >&2; failed=1; continue; }
    for f in "$d"/tfl/out*.npy; do
      k=${f##*/out}
      cp "$f" "$here/$c/expect$k"
    done
    ;;
  *) echo "$c: unknown REF $ref" >&2; exit 1 ;;
  esac
  echo "$c: $ref"
done
exit $failed
