#!/bin/bash
# Issue 32: why the tokenizer's first level collapses, and what the fix does in TIGER (docs/benchmarks.md,
# "The first level collapses"). Run from the repository root with ../shared beside it:
#   bench/first-level.sh OUT [diagnose|converge|tiger|scientific|all]
# Every job takes one torch thread, so two can run side by side on 2 cores.
set -euo pipefail
OUT=${1:?usage: bench/first-level.sh OUT [diagnose|converge|tiger|scientific|all]}
WHAT=${2:-all}
Y=../shared/data/yelp
S=../shared/data/scientific
mkdir -p "$OUT"
ORIGINAL="--first-level-epsilon 0"   # the original: nearest codes at level 1 in training
BALANCED="--first-level-epsilon 0.003"   # the default since issue 32: level 1 balanced by Sinkhorn in training

# 40-epoch diagnostics (1 k-means restart, usage measured every 5 epochs): the curves record codes used,
# entropy per level, mean ||z|| and ||z_q||.
diagnose() {
  local common="--epochs 40 --min-epochs 40 --patience 0 --eval-every 5 --kmeans-restarts 1 --sk-rounds 0 --bf16 --threads 1 --quiet"
  local scaled="$OUT/Yelp.emb-minilm-x20.npy"
  [ -f "$scaled" ] || python3 - "$Y/Yelp.emb-minilm.npy" "$scaled" <<'PY'
import array, struct, sys
b = open(sys.argv[1], 'rb').read()
hl = struct.unpack('<H', b[8:10])[0] if b[6] == 1 else struct.unpack('<I', b[8:12])[0]
off = (10 if b[6] == 1 else 12) + hl
d = array.array('f'); d.frombytes(b[off:])
open(sys.argv[2], 'wb').write(b[:off] + array.array('f', (x * 20 for x in d)).tobytes())
PY
  ./letter tokenize $Y --out "$OUT/diag/base" $common $ORIGINAL
  ./letter tokenize $Y --out "$OUT/diag/rqvae" $common $ORIGINAL --mode rqvae
  ./letter tokenize $Y --out "$OUT/diag/x20" $common $ORIGINAL --semantic "$scaled"
  ./letter tokenize $Y --out "$OUT/diag/lr1e-4" $common $ORIGINAL --lr 1e-4
  ./letter tokenize $Y --out "$OUT/diag/cos-t0.1" $common $ORIGINAL --cf-score cosine --cf-temperature 0.1
  ./letter tokenize $Y --out "$OUT/diag/revive" $common $ORIGINAL --revive-dead-codes
  ./letter tokenize $Y --out "$OUT/diag/sk1" $common $BALANCED
}

# Converged indexes (default stopping rule).
converge() {
  ./letter tokenize $Y --out "$OUT/tok-letter-before" $ORIGINAL --bf16 --threads 1
  ./letter tokenize $Y --out "$OUT/tok-letter-after" $BALANCED --bf16 --threads 1
  ./letter tokenize $Y --out "$OUT/tok-rqvae" --mode rqvae $ORIGINAL --epochs 150 --bf16 --threads 1
}

# TIGER, 2 epochs, same seed and settings on every index; then paired comparisons.
tiger() {
  local t="--epochs 2 --lr 0.001 --bf16 --threads 1 --valid-users 1000"
  ./letter train $Y --index $Y/Yelp.index.json --out "$OUT/tiger-official" $t
  for i in letter-before letter-after rqvae; do
    local idx="$OUT/tok-$i/Yelp.index.json"
    ./letter train $Y --index "$idx" --out "$OUT/tiger-$i" $t
  done
  for b in letter-before letter-after rqvae; do
    ./letter compare "$OUT/tiger-official" "$OUT/tiger-$b"
    ./letter compare "$OUT/tiger-official" "$OUT/tiger-$b" --item-match
  done
  ./letter compare "$OUT/tiger-rqvae" "$OUT/tiger-letter-after"
  ./letter compare "$OUT/tiger-letter-before" "$OUT/tiger-letter-after"
}

# Scientific: our SASRec vectors, the three tokenizers, TIGER 10 epochs each.
scientific() {
  local cf="$OUT/sci/Scientific.cf-sasrec-32d.npy"
  ./letter cf $S --out "$cf" --eval
  ./letter tokenize $S --cf "$cf" --out "$OUT/sci/tok-letter-before" $ORIGINAL --bf16 --threads 1
  ./letter tokenize $S --cf "$cf" --out "$OUT/sci/tok-letter-after" $BALANCED --bf16 --threads 1
  ./letter tokenize $S --cf "$cf" --out "$OUT/sci/tok-rqvae" --mode rqvae $ORIGINAL --bf16 --threads 1
  for i in letter-before letter-after rqvae; do
    ./letter train $S --index "$OUT/sci/tok-$i/Scientific.index.json" --out "$OUT/sci/tiger-$i" --epochs 10 --lr 0.001 --bf16 --threads 1 --valid-users 1000
  done
  ./letter compare "$OUT/sci/tiger-letter-before" "$OUT/sci/tiger-letter-after"
  ./letter compare "$OUT/sci/tiger-rqvae" "$OUT/sci/tiger-letter-after"
}

case $WHAT in
  diagnose) diagnose ;; converge) converge ;; tiger) tiger ;; scientific) scientific ;;
  all) diagnose; converge; tiger; scientific ;;
  *) echo "unknown part: $WHAT" >&2; exit 2 ;;
esac
