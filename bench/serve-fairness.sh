#!/usr/bin/env bash
# A small request sent while a large batch decodes, and the server's memory before and after it.
#
#   bench/serve-fairness.sh RUN [HISTORIES] [BEAM]
#
# Serves RUN (a private copy) on 127.0.0.1:$PORT, then: the latency of a lone small request (one history,
# beam 20, k 10; median of 5); a batch of HISTORIES histories at BEAM (k 10; default 32 x 200, at the
# default cost limit) sent, and 0.3 s later the same small request: its latency and the batch's; the
# resident memory before, at the end of the batch, and 5 s after. Run under the torch lock; say the load.
# SERVE_FLAGS adds `letter serve` flags (give `--answer-cache 0`: the small request repeats, a cache would answer it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="${1:?usage: bench/serve-fairness.sh RUN [HISTORIES] [BEAM]}"
n="${2:-32}"; beam="${3:-200}"
PORT="${PORT:-5091}"; url="http://127.0.0.1:$PORT"
OUT="$(mktemp -d /tmp/serve-fairness.XXXXXX)"
cp -r "$run" "$OUT/run"; find "$OUT/run" -name added-items.json -delete
"$root/letter" --version >/dev/null
"$root/letter" serve "$OUT/run" --urls "$url" ${SERVE_FLAGS:-} > "$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 120); do curl -sf "$url/health/ready" >/dev/null 2>&1 && break; sleep 1; done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$url" "$server" "$n" "$beam" <<'PY'
import json, sys, threading, time, urllib.request
url, pid, n, beam = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
items = json.load(urllib.request.urlopen(url + "/health/ready"))["model"]["items"]
def post(path, body):
    t = time.perf_counter()
    r = urllib.request.urlopen(urllib.request.Request(url + path, json.dumps(body).encode(), {"content-type": "application/json"}))
    r.read()
    return time.perf_counter() - t, r.status
def rss(): return int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
# dense item ids: the histories are made of item numbers, whatever ids the run's dataset has
small = {"ids": "dense", "history": [1, 2, 3], "k": 10, "beam": 20}
alone = sorted(post("/v1/recommend", small)[0] for _ in range(5))[2]
before = rss()
res = {}
big = {"ids": "dense", "requests": [{"history": [(i * 7 + j) % items for j in range(1 + i % 5)], "k": 10, "beam": beam} for i in range(n)]}
th = threading.Thread(target=lambda: res.__setitem__("batch", post("/v1/recommend:batch", big)))
th.start(); time.sleep(0.3)
res["small"] = post("/v1/recommend", small)
th.join()
end = rss(); time.sleep(5); after = rss()
print(f"small request alone: {alone*1000:.0f} ms (median of 5)")
print(f"batch of {n} histories at beam {beam}: {res['batch'][0]*1000:.0f} ms, status {res['batch'][1]}")
print(f"small request sent 0.3 s into the batch: {res['small'][0]*1000:.0f} ms, status {res['small'][1]}")
print(f"RSS MiB: before {before}, after the batch {end}, 5 s later {after}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
