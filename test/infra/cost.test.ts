/**
 * The cost tables of docs/metrics.md are is computed here from a synthesized deployment of 1,000 endpoints at the default 5-minute
 * rate (metrics per endpoint from the function's METRICS setting, alarms counted in the template, the memory's item
 * measured from a real decision), so it cannot drift. The total must stay under $2 per endpoint-month.
 */
import { Template } from "aws-cdk-lib/assertions";
import * as cdk from "aws-cdk-lib";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { decide, EMPTY_MEMORY, observe, PENDING_MAX_AGE_MS, ROLLOUT_STALL_MS_DEFAULT, type EndpointMemory } from "../../lambda/memory/model.js";
import { storedPart } from "../../lambda/memory/store.js";
import { fold } from "../../lambda/monitor.js";
import { outcomeOf } from "../../lambda/outcome.js";
import { endpointOf } from "../../lambda/registry/schema.js";
import { ESSENTIAL_METRICS, METRICS, RUN_METRICS, type MetricsLevel } from "../../lambda/report/metrics.js";
import { costPerEndpointMonth, costTable } from "../../infra/cost.js";
import { parseConfig } from "../../infra/config.js";
import { buildApp } from "../../infra/app.js";
import { certificate, member, probeOf } from "../helpers/records.js";

const ENDPOINTS = 1_000;
const dir = mkdtempSync(join(tmpdir(), "tpm-cost-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 3-member pool's records, folded as a run folds them: the datums and the log line of one endpoint-run. */
function oneEndpointRun(level: MetricsLevel) {
  const certs = ["A", "B"].map((n) =>
    certificate({ fingerprint: `${n.repeat(2)}:${"0F:".repeat(30)}${n}${n}`, subject: `CN=puppetdb-${n}.example.com`, dns: ["puppetdb.example.com"] }),
  );
  const probe = probeOf({
    members: ["10.0.1.11:8081", "10.0.1.12:8081", "10.0.1.13:8081"].map((label, i) => member({ label, leaf: certs[i === 2 ? 1 : 0]!.fingerprint256 })),
    certificates: certs,
  });
  const endpoint = endpointOf({ name: "puppetdb-production", host: "puppetdb.example.com", members: probe.members.map((m) => m.label), discover: "none" });
  const logs: string[] = [];
  const { datums } = fold(outcomeOf(endpoint, probe), new Date(), (l) => logs.push(JSON.stringify(l)), undefined, level);
  // Its memory after a day of runs: two observations per member's certificates, a rollout, no claim pending.
  let memory: EndpointMemory = EMPTY_MEMORY;
  for (let i = 0; i < 3; i++) {
    const at = new Date(Date.UTC(2026, 11, 1, i));
    const d = decide(memory, observe(probe, analyzeEndpoint(probe), at), at, {
      confirmRuns: 2,
      rolloutStallMs: ROLLOUT_STALL_MS_DEFAULT,
      expiryWarningDays: 21,
      claimUntil: at,
      pendingMaxAgeMs: PENDING_MAX_AGE_MS,
    });
    memory = { ...d.next, version: memory.version + 1, pending: [] };
  }
  // The item: the document, its version, update time and TTL, and the key.
  const itemBytes = JSON.stringify(storedPart(memory)).length + "endpoint".length + endpoint.name.length + 80;
  return { datums: datums.length, logBytes: logs.reduce((n, l) => n + l.length + 1, 0), itemBytes };
}

function deployment(level: MetricsLevel) {
  const registry = join(dir, "registry.json");
  writeFileSync(registry, JSON.stringify({ endpoints: Array.from({ length: ENDPOINTS }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.example.com` })) }));
  // As `cdk synth` builds it (bundling skipped: it only costs time here).
  const app = new cdk.App({ context: { "aws:cdk:bundling-stacks": [], tlsPoolMonitor: { registry, regions: ["us-east-1"], metrics: level } } });
  const [stack] = buildApp(app);
  const config = parseConfig({ registry, metrics: level });
  const template = Template.fromStack(stack!);
  const fn = Object.values(template.findResources("AWS::Lambda::Function")).find((f) => f.Properties.Environment?.Variables?.METRICS)!;
  expect(fn.Properties.Environment.Variables.METRICS).toBe(level);
  const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
  const nested = stack!.node.findAll().filter((c): c is cdk.NestedStack => c instanceof cdk.NestedStack);
  const nestedAlarms = nested.flatMap((n) => Object.values(Template.fromStack(n).findResources("AWS::CloudWatch::Alarm")));
  // A Metrics Insights alarm analyzes every endpoint of its shard: one alarm metric per endpoint.
  const fleet = alarms.filter((a) => a.Properties.Metrics?.[0]?.Expression !== undefined).length;
  const shards = stack!.monitor.shardPlan.shards;
  const perEndpointAlarms = (nestedAlarms.length + (fleet / shards) * ENDPOINTS) / ENDPOINTS;
  const monitorAlarms = alarms.length - fleet;
  const perEndpointMetrics =
    level === "full" ? Object.keys(METRICS).length - RUN_METRICS.length - 1 /* ClientCertificateProblems: mutual TLS only */ : ESSENTIAL_METRICS.length - 1;
  const run = oneEndpointRun(level);
  return costPerEndpointMonth({
    endpoints: ENDPOINTS,
    rateMinutes: config.rateMinutes,
    metricsPerEndpoint: perEndpointMetrics,
    // Per shard: every run-level metric but AlertPublishFailures, which has no dimension.
    runMetrics: (RUN_METRICS.length - 1) * shards + 1,
    alarmsPerEndpoint: perEndpointAlarms,
    monitorAlarms,
    datumsPerEndpointRun: run.datums,
    datumsPerRequest: 1_000,
    memoryItemBytes: run.itemBytes,
    logBytesPerEndpointRun: run.logBytes,
    shards,
    timeoutSeconds: config.timeoutSeconds,
    memoryMb: config.memoryMb,
  });
}

describe("cost per endpoint-month, from the synthesized template", () => {
  it("essential (the default): under $2 all-in; docs/metrics.md's table is this one", { timeout: 120_000 }, () => {
    const essential = deployment("essential");
    const full = deployment("full");
    expect(essential.total).toBeLessThan(2);
    expect(full.total).toBeGreaterThan(essential.total);
    const readme = readFileSync("docs/metrics.md", "utf8");
    for (const [name, cost] of [
      ["essential", essential],
      ["full", full],
    ] as const) {
      const table = costTable(`METRICS=${name}, 1,000 endpoints, every 5 minutes`, cost);
      if (process.env.PRINT_COST_TABLES) console.log(table);
      expect(readme, `docs/metrics.md's ${name} cost table (PRINT_COST_TABLES=1 prints it)`).toContain(table);
    }
  });
});
