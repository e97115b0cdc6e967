/**
 * The Lambda's environment, read once per container and checked: a value that does not parse stops the function
 * at once with the variable's name (an init error alarms through the failed-invocation queue), instead of a run
 * that silently ignores it. The construct writes the same names (infra/construct.ts).
 */
import { EXPIRY_WARNING_DAYS } from "./analysis/expiry.js";
import { DEFAULT_NAMESPACE, METRICS_LEVELS, type MetricsLevel } from "./report/metrics.js";
import { ROLLOUT_STALL_MS_DEFAULT } from "./memory/model.js";

export const ENV = {
  registryFile: "REGISTRY_FILE",
  namespace: "METRIC_NAMESPACE",
  topicArn: "ALERT_TOPIC_ARN",
  concurrency: "CONCURRENCY",
  /** The DynamoDB table of the monitor's memory (lambda/aws/state-table.ts); the construct creates it. */
  stateTable: "STATE_TABLE",
  /** "essential" (default) or "full": which metrics go out per endpoint (report/metrics.ts). */
  metrics: "METRICS",
  /** Hours after which a certificate rollout not completed is announced as stalled. */
  rolloutStallHours: "ROLLOUT_STALL_HOURS",
  confirmRuns: "CONFIRM_RUNS",
  /** Days under which a presented leaf is an expiry-soon warning: the construct writes its expiryAlarmDays here. */
  expiryWarningDays: "EXPIRY_WARNING_DAYS",
  /** Set by the construct under fleet alarms: the shard count, which puts each endpoint's shard on its alarmed metrics. */
  fleetShards: "FLEET_SHARDS",
} as const;

/**
 * Two runs must agree before subscribers hear of a change: one run that saw a single certificate through a VIP
 * that routes unevenly does not announce a recovery, one odd run does not page. Costs one period of latency.
 */
export const CONFIRM_RUNS_DEFAULT = 2;
export const MAX_CONCURRENCY = 1_000;
/**
 * The CLI runs on the operator's machine, where the file-descriptor limit and not the Lambda's memory bounds it:
 * it may open up to this many connections at once (--concurrency).
 */
export const MAX_CLI_CONCURRENCY = 10_000;
/** More shards than any registry needs (10,000 endpoints take about 30); a larger value is a typo. */
export const MAX_SHARDS = 10_000;

export interface LambdaSettings {
  registryFile?: string;
  namespace: string;
  topicArn?: string;
  concurrency?: number;
  stateTable?: string;
  metrics: MetricsLevel;
  rolloutStallMs: number;
  confirmRuns: number;
  fleetShards?: number;
  expiryWarningDays: number;
}

export class SettingsError extends Error {
  override name = "SettingsError";
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  if (!/^\d+$/.test(text.trim())) throw new SettingsError(`${name}=${JSON.stringify(text.slice(0, 40))}: must be a whole number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw new SettingsError(`${name}=${value}: must be from ${min} to ${max}`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv): LambdaSettings {
  const concurrency = integer(env, ENV.concurrency, 1, MAX_CONCURRENCY);
  const stallHours = integer(env, ENV.rolloutStallHours, 1, 24 * 90);
  const metrics = env[ENV.metrics] || "essential";
  if (!METRICS_LEVELS.includes(metrics as MetricsLevel))
    throw new SettingsError(`${ENV.metrics}=${JSON.stringify(metrics.slice(0, 40))}: must be one of ${METRICS_LEVELS.join(", ")}`);
  const stateTable = env[ENV.stateTable];
  if (stateTable !== undefined && stateTable !== "" && !/^[A-Za-z0-9_.-]{3,255}$/.test(stateTable))
    throw new SettingsError(`${ENV.stateTable}=${JSON.stringify(stateTable.slice(0, 40))}: not a DynamoDB table name`);
  const confirmRuns = integer(env, ENV.confirmRuns, 1, 10) ?? CONFIRM_RUNS_DEFAULT;
  const fleetShards = integer(env, ENV.fleetShards, 1, MAX_SHARDS);
  const expiryWarningDays = integer(env, ENV.expiryWarningDays, 1, 365) ?? EXPIRY_WARNING_DAYS;
  const topicArn = env[ENV.topicArn];
  const registryFile = env[ENV.registryFile];
  // Every announcement is claimed in the memory before it is published: without one, alerts could repeat or be lost.
  if (topicArn && !stateTable) throw new SettingsError(`${ENV.stateTable}: required with ${ENV.topicArn} (the memory in which every announcement is claimed)`);
  // A FIFO topic (name ending .fifo) is a topic too: its messages carry a group and a deduplication id (publisher.ts).
  if (topicArn && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/.test(topicArn))
    throw new SettingsError(`${ENV.topicArn}: not an SNS topic ARN`);
  const namespace = env[ENV.namespace] || DEFAULT_NAMESPACE;
  // CloudWatch's namespace rules (infra/config.ts checks the same at synth): a bad one fails every PutMetricData.
  if (namespace.length > 255 || !/^[0-9A-Za-z._/#: -]+$/.test(namespace) || namespace.startsWith("AWS/"))
    throw new SettingsError(
      `${ENV.namespace}=${JSON.stringify(namespace.slice(0, 40))}: not a CloudWatch namespace (letters, digits, . - _ / # : or space; not AWS/)`,
    );
  return {
    ...(registryFile ? { registryFile } : {}),
    namespace,
    ...(topicArn ? { topicArn } : {}),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(stateTable ? { stateTable } : {}),
    metrics: metrics as MetricsLevel,
    rolloutStallMs: stallHours === undefined ? ROLLOUT_STALL_MS_DEFAULT : stallHours * 3_600_000,
    confirmRuns,
    ...(fleetShards === undefined ? {} : { fleetShards }),
    expiryWarningDays,
  };
}
