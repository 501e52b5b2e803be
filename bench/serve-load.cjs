// One bounded load run against `letter serve` with autocannon (called by bench/serve-load.sh).
// usage: node serve-load.cjs URL BODIES_FILE CONNECTIONS SECONDS [OVERALL_RATE]
// Each request's body is drawn at random from BODIES_FILE (one JSON body per line), so histories of many
// lengths arrive together, as from real users. Prints one JSON line: throughput, latency percentiles, errors.
const autocannon = require('autocannon');
const fs = require('fs');

const [url, bodiesFile, connections, seconds, rate] = process.argv.slice(2);
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(url)) {
  console.error(`serve-load: ${url} is not a loopback address; this load test targets this machine only`);
  process.exit(2);
}
const bodies = fs.readFileSync(bodiesFile, 'utf8').split('\n').filter(l => l.trim().length > 0);
let seed = 12345;
const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const options = {
  url,
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 10,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  requests: [{ setupRequest: req => ({ ...req, body: bodies[Math.floor(next() * bodies.length)] }) }],
};
if (rate && Number(rate) > 0) options.overallRate = Number(rate);
autocannon(options, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  const done = r.requests.total;
  console.log(JSON.stringify({
    connections: Number(connections),
    target_rate: rate ? Number(rate) : null,
    seconds: r.duration,
    requests: done,
    throughput: Math.round((done / r.duration) * 10) / 10,
    p50_ms: r.latency.p50,
    p90_ms: r.latency.p90,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    status: r.statusCodeStats,
  }));
});
