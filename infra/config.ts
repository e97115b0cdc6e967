/** Deployment settings, from cdk.json's `tlsPoolMonitor` context (each key overridable with `-c key=value`). */
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { z } from "zod";
import { EXPIRY_WARNING_DAYS } from "../lambda/analysis/expiry.js";
import { DEFAULT_CONCURRENCY } from "../lambda/probe/limiter.js";
import { DEFAULT_NAMESPACE, METRICS_LEVELS } from "../lambda/report/metrics.js";
import { MAX_CONCURRENCY } from "../lambda/settings.js";

/** The retention periods CloudWatch Logs accepts (another number synthesizes and then fails at deploy). */
const LOG_RETENTION_DAYS = Object.values(RetentionDays)
  .filter((v): v is number => typeof v === "number" && v !== RetentionDays.INFINITE)
  .sort((a, b) => a - b);

const regionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region name such as eu-west-1");

export const MonitorConfigSchema = z
  .object({
    registry: z.string().min(1),
    // CloudWatch's namespace characters (and never AWS/): fleet alarms quote it in a Metrics Insights query.
    namespace: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[0-9A-Za-z._\/#: -]+$/, "must be letters, digits and . - _ / # : or space (CloudWatch namespace characters)")
      .refine((n) => !n.startsWith("AWS/"), "must not start with AWS/ (reserved for AWS services)")
      .default(DEFAULT_NAMESPACE),
    rateMinutes: z.number().int().min(1).max(1440).default(5),
    memoryMb: z.number().int().min(128).max(10240).default(512),
    timeoutSeconds: z.number().int().min(30).max(900).default(300),
    /** Connection-seconds one endpoint's probe is budgeted (used to size shards). */
    endpointBudgetSeconds: z.number().min(0.5).max(600).default(10),
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(DEFAULT_CONCURRENCY),
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), `must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`)
      .default(30),
    regions: z.array(regionName).min(1).default(["us-east-1"]),
    alertTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/, "must be an SNS topic ARN")
      .optional(),
    alertEmails: z.array(z.string().email()).default([]),
    alertHttpsUrls: z.array(z.string().url().startsWith("https://")).default([]),
    expiryAlarmDays: z.number().int().min(1).max(365).default(EXPIRY_WARNING_DAYS),
    /** "essential": the metrics alarms and the dashboard read (README, Cost); "full": all of them, and a heartbeat alarm per endpoint. */
    metrics: z.enum(METRICS_LEVELS).default("essential"),
    /** Hours after which a certificate rollout not completed is announced as stalled. */
    rolloutStallHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    /**
     * "per-endpoint": five alarms per endpoint (nested stacks of 90 endpoints). "fleet": four Metrics Insights alarms
     * per shard, each endpoint a contributor. "auto" (default): fleet above FLEET_ALARMS_ABOVE_ENDPOINTS endpoints.
     */
    alarmMode: z.enum(["auto", "per-endpoint", "fleet"]).default("auto"),
    vpc: z
      .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
        availabilityZones: z.array(z.string()).min(1),
        privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export type MonitorConfig = z.output<typeof MonitorConfigSchema>;

/**
 * The construct's settings: the app's keys but the registry (a prop of its own) and the regions (one construct is
 * one region), every one optional with the defaults above.
 */
export type TlsPoolMonitorSettings = Omit<z.input<typeof MonitorConfigSchema>, "registry" | "regions">;

/** Validates the config object; the error names where it came from and every bad key. */
export function parseConfig(raw: unknown, where = "tlsPoolMonitor configuration (cdk.json context)"): MonitorConfig {
  const parsed = MonitorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid ${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
