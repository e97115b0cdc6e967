/**
 * One scale point, run in its own process from a bundle (as the Lambda runs), so that its peak RSS is the engine's:
 * argv[2] is JSON { pool, endpointsCount, concurrency }; prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { connectionLimiter } from "../lambda/probe/limiter.js";
import { probeEach } from "../lambda/probe/endpoint.js";
import { endpointOf, type Endpoint } from "../lambda/registry/schema.js";

export interface ScaleInput {
  pool: {
    delayedVip: { host: string; port: number };
    vip: { host: string; port: number };
    bigVip: { host: string; port: number };
    bigMembers: string[];
    ca: string;
  };
  endpointsCount: number;
  concurrency: number;
  servername: string;
  /** "fairness": the 120-member pool beside `endpointsCount` small endpoints, under a deadline of `deadlineSeconds`. */
  mode?: "scale" | "fairness";
  deadlineSeconds?: number;
}

export interface FairnessResult {
  smallEndpoints: number;
  smallFinished: number;
  /** Seconds from the start until the last small endpoint was done. */
  smallLastSeconds: number;
  bigOutcome: string;
  bigSeconds: number;
  bigConnections: number;
  wall: number;
  rss: number;
  baselineRss: number;
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
if (input.mode === "fairness") {
  console.log(JSON.stringify(await fairness()));
  process.exit(0);
}
const endpoints: Endpoint[] = Array.from({ length: input.endpointsCount }, (_, i) =>
  endpointOf({
    name: `bench-${i}`,
    host: input.pool.delayedVip.host,
    port: input.pool.delayedVip.port,
    servername: input.servername,
    discover: "none",
    attempts: 2, // 3 chains × 2 = 6 connections per endpoint
    ca: input.pool.ca,
    timeoutMs: 10_000,
  }),
);
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

/** The 120-member pool and the small endpoints in one run, streamed and under a deadline, as the Lambda runs them. */
async function fairness(): Promise<FairnessResult> {
  const big = endpointOf({
    name: "big",
    host: input.pool.bigVip.host,
    port: input.pool.bigVip.port,
    servername: input.servername,
    members: input.pool.bigMembers,
    discover: "none",
    attempts: 2,
    ca: input.pool.ca,
    timeoutMs: 10_000,
  });
  const small: Endpoint[] = Array.from({ length: input.endpointsCount }, (_, i) => ({
    ...big,
    name: `small-${i}`,
    host: input.pool.vip.host,
    port: input.pool.vip.port,
    members: [],
  }));
  const deadline = AbortSignal.timeout((input.deadlineSeconds ?? 60) * 1000);
  const start = performance.now();
  let smallFinished = 0;
  let smallLast = 0;
  let bigOutcome = "not seen";
  let bigSeconds = 0;
  let bigConnections = 0;
  await probeEach(
    [big, ...small],
    (probe) => {
      const seconds = (performance.now() - start) / 1000;
      const finished = probe.error?.code !== "DEADLINE" && probe.error?.code !== "BUDGET";
      if (probe.endpoint.name === "big") {
        bigOutcome = finished ? "finished" : `not finished (${probe.error?.code})`;
        bigSeconds = seconds;
        bigConnections = probe.matrix.length + probe.members.length * 4 + Object.values(probe.vip.chains).flat().length;
      } else if (finished) {
        smallFinished++;
        smallLast = seconds;
      }
    },
    { limit: connectionLimiter(input.concurrency), signal: deadline },
  );
  return {
    smallEndpoints: small.length,
    smallFinished,
    smallLastSeconds: smallLast,
    bigOutcome,
    bigSeconds,
    bigConnections,
    wall: (performance.now() - start) / 1000,
    rss: peakRssMb(),
    baselineRss,
  };
}
