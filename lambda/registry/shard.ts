import { createHash } from "node:crypto";

/**
 * Which shard an endpoint belongs to: by a hash of its name, so that adding or removing one endpoint moves no other.
 * The CDK app and the Lambda use this same function.
 */
export function shardOf(endpointName: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash("sha256").update(endpointName).digest().readUInt32BE(0) % shards;
}

export interface ShardSelector {
  shard: number;
  shards: number;
}

/** Validates the `{ shard, shards }` of a scheduled event; undefined means "every endpoint". */
export function parseShard(event: unknown): ShardSelector | undefined {
  if (!event || typeof event !== "object" || !("shards" in event || "shard" in event)) return undefined;
  const { shard, shards } = event as { shard?: unknown; shards?: unknown };
  if (!Number.isInteger(shards) || (shards as number) < 1) throw new Error(`event.shards must be a positive integer (got ${JSON.stringify(shards)})`);
  if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= (shards as number)) {
    throw new Error(`event.shard must be an integer from 0 to ${(shards as number) - 1} (got ${JSON.stringify(shard)})`);
  }
  return { shard: shard as number, shards: shards as number };
}
