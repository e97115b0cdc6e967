/**
 * One scale point, run in its own process from a bundle (as the Lambda runs), so that its peak RSS is the engine's:
 * argv[2] is JSON { pool, endpointsCount, concurrency }; prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { connectionLimiter } from "../lambda/probe/limiter.js";
import { probeEach } from "../lambda/probe/endpoint.js";
import type { Endpoint } from "../lambda/registry/schema.js";

export interface ScaleInput {
  pool: { delayedVip: { host: string; port: number }; ca: string };
  endpointsCount: number;
  concurrency: number;
  servername: string;
}

export interface ScaleResult {
  endpoints: number;
  connections: number;
  failures: number;
  wall: number;
  cpu: number;
  rss: number;
  baselineRss: number;
  medianHandshakeMs: number;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;

const input = JSON.parse(process.argv[2]!) as ScaleInput;
const baselineRss = peakRssMb();
const endpoints: Endpoint[] = Array.from({ length: input.endpointsCount }, (_, i) => ({
  name: `bench-${i}`,
  host: input.pool.delayedVip.host,
  port: input.pool.delayedVip.port,
  servername: input.servername,
  members: [],
  discover: "none",
  attempts: 2, // 3 chains × 2 = 6 connections per endpoint
  ca: input.pool.ca,
  timeoutMs: 10_000,
}));
const limit = connectionLimiter(input.concurrency);
const cpuBefore = cpuSeconds();
const started = performance.now();
// As the Lambda runs: a bounded number of endpoints in flight, each result folded to numbers and dropped.
let connectionCount = 0;
let failures = 0;
const durations: number[] = [];
await probeEach(
  endpoints,
  (probe) => {
    for (const c of Object.values(probe.vip.chains).flat()) {
      connectionCount++;
      if (c.error) failures++;
      durations.push((c.connectMs ?? 0) + (c.handshakeMs ?? 0));
    }
  },
  { limit },
);
const wall = (performance.now() - started) / 1000;
durations.sort((a, b) => a - b);
const result: ScaleResult = {
  endpoints: input.endpointsCount,
  connections: connectionCount,
  failures,
  wall,
  cpu: cpuSeconds() - cpuBefore,
  rss: peakRssMb(),
  baselineRss,
  medianHandshakeMs: durations[Math.floor(durations.length / 2)] ?? 0,
};
console.log(JSON.stringify(result));
