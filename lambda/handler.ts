/**
 * The scheduled Lambda: a thin composition of the registry, the monitoring run and the AWS publisher.
 * Event: `{}` for every endpoint, or `{ "shard": 2, "shards": 8 }` for one shard of the registry.
 */
import type { Context } from "aws-lambda";
import { defaultClients, AwsPublisher } from "./aws/publisher.js";
import { jsonLogger, runMonitor, type RunSummary } from "./monitor.js";
import { loadRegistryFile } from "./registry/load.js";
import type { RegistryLoad } from "./registry/schema.js";
import { parseShard, shardOf } from "./registry/shard.js";
import { DEFAULT_NAMESPACE } from "./report/metrics.js";
import { fileURLToPath } from "node:url";
import { probeBudgetMs } from "./deadline.js";

export { probeBudgetMs } from "./deadline.js";

function registryPath(): string {
  return process.env.REGISTRY_FILE ?? fileURLToPath(new URL("./registry.json", import.meta.url));
}

// Read once per container; the file is part of the deployment package and does not change.
let registry: RegistryLoad | undefined;
let publisher: AwsPublisher | undefined;

/** The endpoints (and invalid entries) of one shard. */
export function selectShard(load: RegistryLoad, event: unknown): RegistryLoad {
  const shard = parseShard(event);
  if (!shard) return load;
  return {
    endpoints: load.endpoints.filter((e) => shardOf(e.name, shard.shards) === shard.shard),
    errors: load.errors.filter((e) => (e.endpointName === undefined ? shard.shard === 0 : shardOf(e.endpointName, shard.shards) === shard.shard)),
  };
}

export async function handler(event: unknown, context: Pick<Context, "getRemainingTimeInMillis">): Promise<RunSummary> {
  registry ??= loadRegistryFile(registryPath());
  publisher ??= (() => {
    const { cloudwatch, sns } = defaultClients();
    return new AwsPublisher(cloudwatch, sns);
  })();
  const { endpoints, errors } = selectShard(registry, event);
  const lookbackMinutes = Number(process.env.STATE_LOOKBACK_MINUTES ?? 30);
  const concurrency = process.env.CONCURRENCY ? Number(process.env.CONCURRENCY) : undefined;
  return runMonitor(endpoints, errors, {
    publisher,
    namespace: process.env.METRIC_NAMESPACE ?? DEFAULT_NAMESPACE,
    ...(process.env.ALERT_TOPIC_ARN ? { topicArn: process.env.ALERT_TOPIC_ARN } : {}),
    budgetMs: probeBudgetMs(context.getRemainingTimeInMillis()),
    ...(concurrency ? { concurrency } : {}),
    stateLookbackMs: lookbackMinutes * 60_000,
    log: jsonLogger,
  });
}
