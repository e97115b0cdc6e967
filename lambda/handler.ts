/**
 * The scheduled Lambda: a thin composition of the settings, the registry, the monitoring run and the AWS publisher.
 * Event: `{}` for every endpoint, or `{ "shard": 2, "shards": 8 }` for one shard of the registry.
 */
import type { Context } from "aws-lambda";
import { fileURLToPath } from "node:url";
import { defaultClients, AwsClientCertificates, AwsPublisher, AwsTargetGroups } from "./aws/publisher.js";
import { DynamoMemoryStore } from "./aws/state-table.js";
import { awsDeadlineMs, probeBudgetMs } from "./deadline.js";
import { jsonLogger, runMonitor, type RunSummary } from "./monitor.js";
import { loadRegistryFile } from "./registry/load.js";
import { clientSecretArn, type RegistryLoad } from "./registry/schema.js";
import { parseShard, shardOf } from "./registry/shard.js";
import { ENV, readSettings, type LambdaSettings } from "./settings.js";
import type { AlertOrigin } from "./report/alerts.js";

export { probeBudgetMs } from "./deadline.js";

// Read once per container; the registry is part of the deployment package and does not change.
let settings: LambdaSettings | undefined;
let registry: RegistryLoad | undefined;
let publisher: AwsPublisher | undefined;
let targetGroups: AwsTargetGroups | undefined;
let clientCertificates: AwsClientCertificates | undefined;
let memory: DynamoMemoryStore | undefined;

/** The endpoints (and invalid entries) of one shard. */
export function selectShard(load: RegistryLoad, event: unknown): RegistryLoad {
  const shard = parseShard(event);
  if (!shard) return load;
  return {
    endpoints: load.endpoints.filter((e) => shardOf(e.name, shard.shards) === shard.shard),
    errors: load.errors.filter((e) => (e.endpointName === undefined ? shard.shard === 0 : shardOf(e.endpointName, shard.shards) === shard.shard)),
  };
}

/**
 * The run's own input: a registry that cannot be read or parsed at all (missing, a directory, not JSON, over the
 * size limit) fails the invocation, so that the failed-invocation alarm fires; it is not cached, so the next
 * invocation reads it again. A bad entry stays that entry's (logged, counted), the others run.
 */
function registryOrThrow(path: string): RegistryLoad {
  const load = loadRegistryFile(path);
  const fileLevel = load.errors.find((e) => e.endpoint === undefined && e.field === undefined);
  if (load.endpoints.length === 0 && fileLevel) throw new Error(`${ENV.registryFile}: ${fileLevel.message}`);
  return load;
}

/** arn:aws:lambda:<region>:<account>:function:<name>[:qualifier] → where the messages say they come from. */
function originOf(context: Partial<Pick<Context, "invokedFunctionArn" | "functionName">>): AlertOrigin {
  const [, , , region, account] = (context.invokedFunctionArn ?? "").split(":");
  return {
    ...(account ? { account } : {}),
    ...(region || process.env.AWS_REGION ? { region: region || process.env.AWS_REGION! } : {}),
    ...(context.functionName ? { functionName: context.functionName } : {}),
  };
}

export async function handler(
  event: unknown,
  context: Pick<Context, "getRemainingTimeInMillis"> & Partial<Pick<Context, "invokedFunctionArn" | "functionName">>,
): Promise<RunSummary> {
  settings ??= readSettings(process.env);
  registry ??= registryOrThrow(settings.registryFile ?? fileURLToPath(new URL("./registry.json", import.meta.url)));
  publisher ??= (() => {
    const { cloudwatch, sns } = defaultClients();
    return new AwsPublisher(cloudwatch, sns);
  })();
  if (settings.stateTable) memory ??= DynamoMemoryStore.create(settings.stateTable);
  const { endpoints, errors } = selectShard(registry, event);
  const shard = parseShard(event);
  if (endpoints.some((e) => e.targetGroupArn)) targetGroups ??= new AwsTargetGroups();
  // Kept per container: the certificates it read stay cached for a bounded time (CLIENT_CERTIFICATE_CACHE_MS).
  if (endpoints.some((e) => clientSecretArn(e) !== undefined)) clientCertificates ??= new AwsClientCertificates();
  const remaining = context.getRemainingTimeInMillis();
  return runMonitor(endpoints, errors, {
    publisher,
    namespace: settings.namespace,
    ...(settings.topicArn ? { topicArn: settings.topicArn } : {}),
    budgetMs: probeBudgetMs(remaining),
    awsDeadlineMs: awsDeadlineMs(remaining),
    ...(settings.concurrency ? { concurrency: settings.concurrency } : {}),
    ...(targetGroups ? { targetGroups: targetGroups.lookup } : {}),
    ...(clientCertificates ? { clientCertificates: clientCertificates.lookup } : {}),
    ...(memory ? { memory } : {}),
    confirmRuns: settings.confirmRuns,
    rolloutStallMs: settings.rolloutStallMs,
    metrics: settings.metrics,
    ...(shard ? { shard: shard.shard } : {}),
    ruleSettings: { expiryWarningDays: settings.expiryWarningDays },
    ...(settings.fleetShards ? { fleetShards: settings.fleetShards } : {}),
    origin: originOf(context),
    log: jsonLogger,
  });
}
