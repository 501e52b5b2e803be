#!/usr/bin/env bash
# The identifier trie at scale: build time and memory (--benchmark trie) and beam-search speed
# (--benchmark beam:USERS:20:64, TIGER's default shape, seeded and untrained, fp32, beam 20, 2 threads)
# on Instruments' index and on a synthetic 1,000,000-item 4 x 256 index (written to /tmp once).
# With OLD_CHECKOUT (another checkout of Letter whose `train --benchmark` knows `trie`), every
# measurement alternates old, new, old, new, ... so that the machine's drift hits both alike; the
# old code is only run on Instruments (a dense trie cannot be built for 1M items: docs/benchmarks.md).
#   usage: bench/trie-scale.sh [ROUNDS=3] [OLD_CHECKOUT] [USERS=128]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}" old="${2:-}" users="${3:-128}"
data="$root/../shared/data/instruments"
synth="${TMPDIR:-/tmp}/letter-synth-1m-4x256.index.json"
[[ -f "$synth" ]] || python3 "$root/bench/synthetic-index.py" "$synth" 1000000 4 256 28
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
run() { # checkout label index-args...
  local dir="$1" label="$2"; shift 2
  printf '%s %s %s load %s: ' "$(date -u +%H:%M:%S)" "$label" "$*" "$(cut -d' ' -f1 /proc/loadavg)"
  "$dir/letter" train "$data" "$@" --out "$tmp/run" --threads 2 --beam 20 --benchmark "trie beam:$users:20:64" | tr '\n' ' '
  echo
}
"$root/letter" --version >/dev/null
[[ -z "$old" ]] || "$old/letter" --version >/dev/null
for ((r = 1; r <= rounds; r++)); do
  [[ -z "$old" ]] || run "$old" "old instruments"
  run "$root" "new instruments"
  run "$root" "new synthetic-1M" --index "$synth"
done
