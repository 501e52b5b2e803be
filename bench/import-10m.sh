#!/usr/bin/env bash
# Import speed and peak memory on a synthetic 10-million-row CSV (user_id,item_id,timestamp,rating):
# 200,000 users, 50,000 items with skewed popularity, written into /tmp and deleted afterwards.
# Usage: bench/import-10m.sh [ROWS]   (results go in docs/benchmarks.md by hand)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows="${1:-10000000}"
work="$(mktemp -d /tmp/letter-import-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
csv="$work/interactions.csv"

echo "writing $rows rows to $csv" >&2
# awk's rand() with a fixed seed: the same file every time
awk -v n="$rows" 'BEGIN {
  srand(12345); print "user_id,item_id,timestamp,rating";
  for (i = 0; i < n; i++) {
    r = rand();
    printf "u%d,i%d,%d,%d\n", int(rand() * 200000), int(50000 * r * r), 1500000000 + int(rand() * 100000000), 1 + int(rand() * 5)
  }
}' > "$csv"
ls -l "$csv" >&2

"$root/letter" --version >/dev/null   # build first, outside the measurement
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs); flags: $(grep -o -w 'avx512f\|avx512_bf16\|amx_tile\|amx_bf16' /proc/cpuinfo | sort -u | xargs)" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/time -v "$root/letter" import csv "$csv" --out "$work/out" --quiet 2> "$work/time.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
wall="$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')"
rss="$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')"
secs="$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
grep -E 'User time|System time|Percent of CPU' "$work/time.txt" >&2
echo "rows: $rows, wall: ${secs} s, rows/s: $(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }'), peak RSS: $((rss / 1024)) MiB"
