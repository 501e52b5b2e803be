// One paced open-loop load run against `letter serve` (called by bench/serve-load.sh for its offered-rate steps).
// usage: node serve-rate.mjs URL BODIES_FILE RATE SECONDS
// Requests leave at a steady RATE per second, one every 1/RATE s whether or not earlier ones were answered
// (loadtest's requestsPerSecond: one high-resolution timer; a new connection when none is free), as requests
// from many independent users arrive. autocannon's overallRate sends each second's share in a burst at the
// start of the second, which measures the burst's queue, not the service at that rate. Each body is drawn at
// random (seeded) from BODIES_FILE. Prints one JSON line in serve-load.cjs's shape.
import fs from 'node:fs';
import path from 'node:path';
import { execSync } from 'node:child_process';

const [url, bodiesFile, rate, seconds] = process.argv.slice(2);
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(url)) {
  console.error(`serve-rate: ${url} is not a loopback address; this load test targets this machine only`);
  process.exit(2);
}
// loadtest is an ES module installed globally (ES imports ignore NODE_PATH): import it by its path
const globalRoot = execSync('npm root -g').toString().trim();
const { loadTest } = await import(path.join(globalRoot, 'loadtest', 'index.js'));

const bodies = fs.readFileSync(bodiesFile, 'utf8').split('\n').filter(l => l.trim().length > 0);
let seed = 12345;
const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const status = {};
let transport = 0; // no status: connection error or timeout (loadtest files both under "-1")
const result = await loadTest({
  url,
  method: 'POST',
  contentType: 'application/json',
  body: () => bodies[Math.floor(next() * bodies.length)],
  requestsPerSecond: Number(rate),
  maxSeconds: Number(seconds),
  timeout: 10000,
  agentKeepAlive: true,
  quiet: true,
  statusCallback: (error, r) => {
    if (r && r.statusCode) status[r.statusCode] = (status[r.statusCode] || 0) + 1;
    else if (error) transport++;
  },
});
const non2xx = Object.entries(status).filter(([c]) => !c.startsWith('2')).reduce((s, [, n]) => s + n, 0);
console.log(JSON.stringify({
  connections: result.clients,
  target_rate: Number(rate),
  seconds: result.elapsedSeconds,
  requests: result.totalRequests,
  throughput: Math.round((result.totalRequests / result.elapsedSeconds) * 10) / 10,
  p50_ms: result.percentiles[50],
  p90_ms: result.percentiles[90],
  p99_ms: result.percentiles[99],
  max_ms: result.maxLatencyMs,
  non2xx,
  errors: transport,
  timeouts: 0, // counted in errors
  status,
}));
