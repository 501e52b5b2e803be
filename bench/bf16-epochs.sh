#!/usr/bin/env bash
# One TIGER epoch (Instruments, a seeded 5,000-user sample) and tokenizer epochs (Yelp, LETTER mode)
# in fp32 and bf16, alternated round by round so that drift of a shared machine hits both alike.
# Prints the CPU, its bf16-relevant flags and the load before every run. Results: docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA:-$root/../shared/data}"
out="${OUT:-/tmp/letter-bf16-epochs}"
rounds="${ROUNDS:-2}"
cd "$root"
grep -m1 'model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_.*)$' | tr '\n' ' '; echo
./letter --version
rm -rf "$out"
for r in $(seq "$rounds"); do
  for p in fp32 bf16; do
    flag=(); [[ $p == bf16 ]] && flag=(--bf16)
    echo "== round $r $p tokenizer; $(uptime)"
    ./letter tokenize "$data/yelp" --semantic "$data/yelp/Yelp.emb-minilm.npy" --cf "$data/yelp/Yelp.cf-sasrec-32d.npy" --mode letter \
      --out "$out/tok-$p-$r" --epochs 3 --min-epochs 3 --eval-every 100 --kmeans-restarts 1 --threads 2 --sk-rounds 0 \
      --original-collisions --quiet "${flag[@]}" > /dev/null
    python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print('tokenizer epoch seconds:', [round(e.get('seconds', e.get('Seconds', 0)), 2) for e in c])" \
      "$out/tok-$p-$r/training-curve.json"
    echo "== round $r $p TIGER; $(uptime)"
    ./letter train "$data/instruments" --out "$out/tiger-$p-$r" --epochs 1 --max-users 5000 --threads 2 "${flag[@]}" 2>&1 \
      | grep -E '^(epoch 1:|[0-9]+ threads)' || true
  done
done
echo "== done; $(uptime)"
