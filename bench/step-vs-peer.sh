#!/usr/bin/env bash
# Our bf16 TIGER training step against the PyTorch peer's (../shared/bench/pytorch_tiger_step.py),
# alternated ROUNDS times so that the VM's drift hits both alike. Batch 256, HISTORY_ITEMS items:
# ours reads ITEMS*4 code tokens + end-of-sequence, the peer ITEMS*4 tokens (it has no EOS).
# Prints one line per run and the medians of the per-run medians. Run it with nothing else on the machine.
#   usage: bench/step-vs-peer.sh [ROUNDS=5] [HISTORY_ITEMS=5] [DATASET=../shared/data/instruments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}" items="${2:-5}" data="${3:-$root/../shared/data/instruments}"
peer="$root/../shared/bench/pytorch_tiger_step.py"
[[ -f "$peer" ]] || { echo "step-vs-peer: $peer is missing (../shared beside the repository)" >&2; exit 1; }
index="$(ls "$data"/*.index.json | head -1)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$root/letter" --version >/dev/null   # builds the CLI first if needed, outside the timed runs

ours=() theirs=()
for ((r = 1; r <= rounds; r++)); do
  s="$("$root/letter" train "$data" --out "$tmp/run" --batch-size 256 --bf16 --threads 2 --benchmark "step:$items" \
       | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["MedianSeconds"])')"
  ours+=("$s")
  p="$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 "$peer" --threads 2 --lens $((items * 4)) --steps 10 --warmup 2 \
       --bf16 --users 0 --index "$index" --json "$tmp/peer.json" >/dev/null \
       && python3 -c 'import json,sys; print([t["median_s"] for t in json.load(open(sys.argv[1]))["train"] if t["bf16"]][0])' "$tmp/peer.json")"
  theirs+=("$p")
  printf 'round %d: ours %.3f s, peer %.3f s, ours/peer %.3f\n' "$r" "$s" "$p" "$(python3 -c "print($s/$p)")"
done
python3 - "${ours[*]}" "${theirs[*]}" <<'EOF'
import statistics, sys
o = [float(x) for x in sys.argv[1].split()]; p = [float(x) for x in sys.argv[2].split()]
ratios = [a / b for a, b in zip(o, p)]
print(f"median ours {statistics.median(o):.3f} s, peer {statistics.median(p):.3f} s; "
      f"ours/peer per round {[round(r, 3) for r in ratios]}, median {statistics.median(ratios):.3f}; "
      f"ours faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds")
EOF
