/** How many shards (scheduled invocations) a registry needs, from the timeout and a per-endpoint budget. */
import { probeBudgetMs } from "../lambda/deadline.js";
import { shardOf } from "../lambda/registry/shard.js";

/** Endpoints one invocation can probe: the probe budget times the connections open at once, over each endpoint's budget. */
export function endpointsPerShard(timeoutSeconds: number, concurrency: number, endpointBudgetSeconds: number): number {
  const budgetSeconds = probeBudgetMs(timeoutSeconds * 1000) / 1000;
  return Math.max(1, Math.floor((budgetSeconds * concurrency) / endpointBudgetSeconds));
}

export interface ShardPlan {
  shards: number;
  capacity: number;
  /** Endpoints per shard, by shard index. */
  sizes: number[];
}

/** The fewest shards such that no shard, as the hash distributes names, exceeds its capacity. */
export function planShards(names: string[], capacity: number): ShardPlan {
  let shards = Math.max(1, Math.ceil(names.length / capacity));
  for (;;) {
    const sizes = Array<number>(shards).fill(0);
    for (const n of names) sizes[shardOf(n, shards)]!++;
    if (Math.max(...sizes) <= capacity) return { shards, capacity, sizes };
    shards++;
  }
}
