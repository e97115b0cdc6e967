/**
 * The CDK app: reads the `tlsPoolMonitor` settings and the registry they name from cdk.json (override any key with
 * `-c key=value`, e.g. `-c registry=prod.json`), validates both, and makes one stack per region (vantage point).
 */
import { resolve } from "node:path";
import * as cdk from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { MonitorConfigSchema, parseConfig, type MonitorConfig } from "./config.js";
import { TlsPoolMonitorStack } from "./stack.js";

/** Every setting can be given with `-c key=value`: the keys are the schema's own. */
const OVERRIDABLE = Object.keys(MonitorConfigSchema.shape);

/** `-c key=value` arrives as a string: numbers and JSON lists are read as such. */
function contextValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value.startsWith("[") || value.startsWith("{")) return JSON.parse(value);
  return value;
}

export function buildApp(app: cdk.App): TlsPoolMonitorStack[] {
  const raw: Record<string, unknown> = { ...((app.node.tryGetContext("tlsPoolMonitor") as Record<string, unknown> | undefined) ?? {}) };
  for (const key of OVERRIDABLE) {
    const v: unknown = app.node.tryGetContext(key);
    if (v !== undefined) raw[key] = contextValue(v);
  }
  const { regions, ...settings }: MonitorConfig = parseConfig(raw);
  cdk.Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  cdk.Aspects.of(app).add(new ServerlessChecks({ verbose: true }));
  // The registry is read and validated by the construct (the same schema as the CLI's), once per region.
  return regions.map(
    (region) =>
      new TlsPoolMonitorStack(app, `TlsPoolMonitor-${region}`, {
        env: { ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}), region },
        monitor: { ...settings, registry: resolve(settings.registry) },
      }),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  buildApp(new cdk.App());
}
