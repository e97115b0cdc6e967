/**
 * How many shards (scheduled invocations) a registry needs: each endpoint costs what its plan makes it connect
 * (chains, member probes, the matrix: planEndpoint), each shard has the probe budget times the connections open at
 * once. A 100-member pool no longer counts as one small endpoint.
 */
import { probeBudgetMs } from "../lambda/deadline.js";
import { planEndpoint } from "../lambda/probe/plan.js";
import { RESUMPTION_MECHANISMS } from "../lambda/probe/types.js";
import { DEFAULT_ATTEMPTS, type Endpoint } from "../lambda/registry/schema.js";
import { shardOf } from "../lambda/registry/shard.js";

/** `endpointBudgetSeconds` is what an endpoint of the default shape (no members, 8 attempts: 24 connections) gets. */
const REFERENCE_CONNECTIONS = RESUMPTION_MECHANISMS.length * DEFAULT_ATTEMPTS;

/** Connection-seconds one endpoint's probe is given: its planned connections at the reference endpoint's rate. */
export function endpointCost(endpoint: Endpoint, endpointBudgetSeconds: number): number {
  return (endpointBudgetSeconds * planEndpoint(endpoint).connections.total) / REFERENCE_CONNECTIONS;
}

/** Connection-seconds one invocation has: its probe budget times the connections open at once. */
export function shardCapacity(timeoutSeconds: number, concurrency: number): number {
  return (probeBudgetMs(timeoutSeconds * 1000) / 1000) * concurrency;
}

export interface ShardPlan {
  shards: number;
  /** Connection-seconds per shard. */
  capacity: number;
  /** Endpoints per shard, by shard index. */
  sizes: number[];
  /** Connection-seconds planned per shard, by shard index. */
  costs: number[];
  /** Endpoints that alone need more than a shard has: they get a shard and will be cut by the deadline. */
  oversized: string[];
}

/**
 * The fewest shards such that no shard, as the hash distributes names, plans more than its capacity, nor holds
 * more than `maxEndpoints` endpoints (fleet alarms: one Metrics Insights query per shard returns at most 500).
 */
export function planShards(endpoints: Array<{ name: string; cost: number }>, capacity: number, maxEndpoints = Number.POSITIVE_INFINITY): ShardPlan {
  const oversized = endpoints.filter((e) => e.cost > capacity).map((e) => e.name);
  const total = endpoints.reduce((n, e) => n + Math.min(e.cost, capacity), 0);
  for (let shards = Math.max(1, Math.ceil(total / capacity), Math.ceil(endpoints.length / maxEndpoints)); ; shards++) {
    const sizes = Array<number>(shards).fill(0);
    const costs = Array<number>(shards).fill(0);
    for (const e of endpoints) {
      const s = shardOf(e.name, shards);
      sizes[s]!++;
      costs[s]! += Math.min(e.cost, capacity);
    }
    // An oversized endpoint alone in its shard is the best there is; otherwise every shard must fit.
    const fits = costs.every((c, i) => c <= capacity || sizes[i] === 1) && sizes.every((n) => n <= maxEndpoints);
    if (fits || shards >= endpoints.length) return { shards, capacity, sizes, costs, oversized };
  }
}
