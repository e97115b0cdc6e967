/**
 * One scale point, run in its own process from a bundle (as the Lambda runs), so that its peak RSS is the engine's:
 * argv[2] is JSON { pool, endpointsCount, concurrency }; prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { connectionLimiter } from "../lambda/probe/limiter.js";
import { probeEndpoint } from "../lambda/probe/endpoint.js";
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
const results = await Promise.all(endpoints.map((e) => probeEndpoint(e, { limit })));
const wall = (performance.now() - started) / 1000;
const connections = results.flatMap((r) => Object.values(r.vip.chains).flat());
const durations = connections.map((c) => (c.connectMs ?? 0) + (c.handshakeMs ?? 0)).sort((a, b) => a - b);
const result: ScaleResult = {
  endpoints: input.endpointsCount,
  connections: connections.length,
  failures: connections.filter((c) => c.error).length,
  wall,
  cpu: cpuSeconds() - cpuBefore,
  rss: peakRssMb(),
  baselineRss,
  medianHandshakeMs: durations[Math.floor(durations.length / 2)] ?? 0,
};
console.log(JSON.stringify(result));
