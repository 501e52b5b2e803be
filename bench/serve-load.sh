#!/usr/bin/env bash
# Load test of `letter serve` on loopback, bounded in time (about 16 minutes with the defaults).
#
#   bench/serve-load.sh RUN [--quick]
#
# RUN: a trained run of any kind (the project's numbers: a TIGER Instruments model, whose dataset gives the user ids).
# Serves a private copy of RUN on 127.0.0.1:$PORT with beam 20 and k 10, and measures with autocannon (closed
# loop) and loadtest (paced open loop; both npm, installed when missing):
#   1. throughput and p50/p99 latency at 1, 8 and 64 concurrent clients ($LOAD_SECONDS each);
#   2. the highest offered rate whose p99 stays under 100 ms with zero errors (rates rising by 25%), requests
#      leaving at a steady pace (bench/serve-rate.mjs; autocannon's rate mode bursts each second's share);
#   3. a reload during load (3 reloads, the second swapping in another checkpoint): errors must be 0;
#   4. a soak of $SOAK_SECONDS at 80% of the best rate (paced), with the server's resident memory sampled.
# Every request asks for a random one of 2,000 users (seeded), so histories of all lengths mix.
# Results: one JSON line per run in $OUT/results.jsonl, RSS samples in $OUT/rss.tsv, a summary on stdout.
# STEPS (default "clients rate reload soak") picks steps; SOAK_RATE sets the soak's rate (default 80% of the best);
# SERVE_FLAGS adds `letter serve` flags; LETTER names another checkout's ./letter (before/after comparisons).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${1:?usage: bench/serve-load.sh RUN [--quick]}"
quick="${2:-}"
PORT="${PORT:-5090}"
LOAD_SECONDS="${LOAD_SECONDS:-20}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
if [[ "$quick" == "--quick" ]]; then LOAD_SECONDS=5; SOAK_SECONDS=30; fi
OUT="${OUT:-$(mktemp -d /tmp/serve-load.XXXXXX)}"
mkdir -p "$OUT"
url="http://127.0.0.1:$PORT"

# the load generator
if ! node -e "require('autocannon')" 2>/dev/null && ! NODE_PATH="$(npm root -g)" node -e "require('autocannon')" 2>/dev/null; then
  echo "serve-load: installing autocannon (npm i -g autocannon@8)" >&2
  npm i -g autocannon@8 >/dev/null
fi
if [[ ! -f "$(npm root -g)/loadtest/index.js" ]]; then
  echo "serve-load: installing loadtest (npm i -g loadtest@8)" >&2
  npm i -g loadtest@8 >/dev/null
fi
export NODE_PATH="$(npm root -g)"
STEPS="${STEPS:-clients rate reload soak}"
step() { [[ " $STEPS " == *" $1 "* ]]; }
letter="${LETTER:-$root/letter}"
paced() { timeout $(( ${2} + 60 )) node "$root/bench/serve-rate.mjs" "$url/v1/recommend" "$OUT/bodies.txt" "$1" "$2"; }
load() { timeout $(( ${2} + 60 )) node "$root/bench/serve-load.cjs" "$url/v1/recommend" "$OUT/bodies.txt" "$1" "$2" "${3:-}"; }

# a private copy of the run: the reload step swaps its checkpoint
model="$run"
for kind in tiger lc-rec; do [[ -f "$run/$kind/config.json" ]] && model="$run/$kind"; done
copy="$OUT/run"
rm -rf "$copy"; mkdir -p "$copy"
cp -r "$model"/. "$copy"/
rm -f "$copy/added-items.json"
# run records are snake_case (schema 2); records written before (camelCase) still name it datasetDirectory
dataset="$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("dataset_directory") or c["datasetDirectory"])' "$copy/config.json")"
[[ -d "$dataset" ]] || { echo "serve-load: the run's dataset $dataset is not here (needed for user ids)" >&2; exit 2; }

# 2,000 seeded users of the dataset, one request body each
python3 - "$dataset" "$OUT/bodies.txt" <<'PY'
import glob, json, random, sys
inter = glob.glob(sys.argv[1] + "/*.inter.json")[0]
users = sorted(json.load(open(inter)).keys())
random.Random(7).shuffle(users)
with open(sys.argv[2], "w") as f:
    for u in users[:2000]:
        f.write(json.dumps({"ids": "dense", "user": u, "k": 10, "beam": 20}) + "\n")  # the inter file's user keys
PY

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512f|avx512_bf16|amx_tile|amx_bf16|amx_int8)$' | tr '\n' ' ')"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cpu: $cpu ($(nproc) cores) flags: ${flags:-none}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)   results: $OUT"

"$letter" --version >/dev/null   # builds the CLI when needed, before the clock starts
"$letter" serve "$copy" --urls "$url" --max-batch "${MAX_BATCH:-32}" --max-wait-ms "${MAX_WAIT_MS:-5}" --queue "${QUEUE:-256}" \
  ${SERVE_FLAGS:-} > "$OUT/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -sf "$url/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 1
done
curl -sf "$url/health/ready" >/dev/null || { echo "serve-load: not ready after 300 s" >&2; exit 1; }
pid="$server"   # ./letter execs dotnet: the same process
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "ready; server RSS $(( $(rss) / 1024 )) MiB"

load 8 5 >/dev/null   # warm-up
cat > "$OUT/check.py" <<'PY'
import json, sys
r = json.loads(sys.argv[2])
errors = r["errors"] + r["non2xx"] + r["timeouts"]
if sys.argv[1] == "summary":
    print(f"{sys.argv[3]:<28} {r['throughput']:>7} req/s  p50 {r['p50_ms']:>5} ms  p99 {r['p99_ms']:>5} ms  errors {errors}")
else:  # ok: p99 under 100 ms, no error, and the offered rate was delivered
    sys.exit(0 if errors == 0 and r["p99_ms"] < 100 and r["throughput"] >= 0.95 * r["target_rate"] else 1)
PY
summary() { python3 "$OUT/check.py" summary "$1" "$2"; }
ok() { python3 "$OUT/check.py" ok "$1"; }

if step clients; then
echo "== closed loop: each client sends its next request when the last is answered"
for c in 1 8 64; do
  r="$(load "$c" "$LOAD_SECONDS")"; echo "{\"step\":\"clients\",$(echo "$r" | cut -c2-)" >> "$OUT/results.jsonl"
  summary "$r" "$c clients"
done
fi

best=0
if step rate; then
echo "== offered rate (paced, one request every 1/rate s): the highest with p99 < 100 ms and no error"
# up by 25% from START_RATE while it holds; when START_RATE already fails, down by 20% until one holds
best=0; rate="${START_RATE:-20}"; failed_at=0
while (( rate >= 2 && rate <= ${MAX_RATE:-2000} )); do
  r="$(paced "$rate" "$LOAD_SECONDS")"; echo "{\"step\":\"rate\",$(echo "$r" | cut -c2-)" >> "$OUT/results.jsonl"
  summary "$r" "offered $rate req/s"
  if ok "$r"; then
    best="$rate"
    (( failed_at > 0 )) && break
    rate=$(( rate * 5 / 4 + 1 ))
  else
    (( best > 0 )) && break
    failed_at="$rate"; rate=$(( rate * 4 / 5 ))
  fi
done
echo "highest rate with p99 < 100 ms and zero errors: $best req/s"
fi

if step reload; then
echo "== reload during load (8 clients, 3 reloads; the second swaps in the run's last checkpoint)"
load 8 30 > "$OUT/reload.json" &
loader=$!
for i in 1 2 3; do
  sleep 6
  if [[ $i == 2 && -f "$copy/checkpoints/last.ckpt" ]]; then cp "$copy/checkpoints/last.ckpt" "$copy/checkpoints/.next" && mv "$copy/checkpoints/.next" "$copy/checkpoints/best.ckpt"; fi
  curl -sf -XPOST "$url/admin/reload" | python3 -c 'import json,sys; r=json.load(sys.stdin); m=r["model"]; print("  reload: version", m["version"], "in", round(r["tookMs"]), "ms")'
done
wait "$loader"
r="$(cat "$OUT/reload.json")"; echo "{\"step\":\"reload\",$(echo "$r" | cut -c2-)" >> "$OUT/results.jsonl"
summary "$r" "during 3 reloads"
fi

if step soak; then
soak_rate="${SOAK_RATE:-$(( best > 2 ? best * 4 / 5 : 2 ))}"
echo "== soak: $SOAK_SECONDS s at $soak_rate req/s (paced), RSS every 15 s"
printf 'seconds\trss_kib\n' > "$OUT/rss.tsv"
paced "$soak_rate" "$SOAK_SECONDS" > "$OUT/soak.json" &
loader=$!
start=$(date +%s)
while kill -0 "$loader" 2>/dev/null; do
  printf '%s\t%s\n' "$(( $(date +%s) - start ))" "$(rss)" >> "$OUT/rss.tsv"
  sleep 15
done
wait "$loader"
r="$(cat "$OUT/soak.json")"; echo "{\"step\":\"soak\",$(echo "$r" | cut -c2-)" >> "$OUT/results.jsonl"
summary "$r" "soak"
python3 - "$OUT/rss.tsv" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n")[1:] if l]
mib = [int(r[1]) / 1024 for r in rows]
n = len(mib)
if n:
    print(f"RSS MiB: first {mib[0]:.0f}, after 1/3 {mib[n // 3]:.0f}, after 2/3 {mib[2 * n // 3]:.0f}, last {mib[-1]:.0f}, max {max(mib):.0f} ({n} samples)")
PY
fi
curl -s "$url/metrics" | grep -E '^letter_service_(decode_batch_size_(sum|count)|refusals_total|client_gone_total|queue_rejected_total|reloads_total)' | sed 's/^/  /'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
