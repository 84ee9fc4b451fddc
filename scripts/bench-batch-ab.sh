#!/usr/bin/env bash
# bench-batch-ab.sh REV [ROUNDS] — the batch pipeline benchmarks of REV
# (a commit, e.g. main or a hash) and of the working tree, back to back in
# one run: on a shared machine only figures taken side by side compare.
# Each round runs REV's benchmarks, then the tree's; the load average is
# printed before each round. Needs bin/versitygw (make tools).
#
#   scripts/bench-batch-ab.sh 2a7f4ac 3
#   BENCH='PipelineLargeObject' EDGEINFER_BENCH_MB=1024 scripts/bench-batch-ab.sh 2a7f4ac 1
#
# BENCH selects the benchmarks (default: the make bench-batch set without
# the large object); BENCHTIME their -benchtime (default 3x).
set -euo pipefail

rev=${1:?usage: bench-batch-ab.sh REV [ROUNDS]}
rounds=${2:-3}
bench=${BENCH:-'PipelineNDJSON30B|PipelineNDJSON1KB|RunNDJSON30BMem|RunNDJSON1KBMem'}
benchtime=${BENCHTIME:-3x}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/before" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

git -C "$root" worktree add --detach "$tmp/before" "$rev" >/dev/null 2>&1
ln -s "$root/bin" "$tmp/before/bin"
(cd "$tmp/before" && go test -c -o "$tmp/before.test" ./batch/)
(cd "$root" && go test -c -o "$tmp/after.test" ./batch/)
echo "before: $rev ($(git -C "$root" rev-parse --short "$rev")); after: working tree at $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' + changes')"
for r in $(seq "$rounds"); do
	echo "== round $r: $(cut -d' ' -f1-3 /proc/loadavg) (load average)"
	for side in before after; do
		dir=$tmp/before/batch
		[ "$side" = after ] && dir=$root/batch
		(cd "$dir" && "$tmp/$side.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.benchtime "$benchtime" 2>&1) |
			grep '^Benchmark' | sed "s/^/$side /"
	done
done
