/**
 * The fault suite: one run, then a clean one, against a fake AWS endpoint over real HTTP that misbehaves in one
 * call. For each fault: the run ends before its AWS deadline, every datum it produced is published or written as
 * EMF (and the EMF lines reach the metric store, as CloudWatch Logs would take them), and across the two runs the
 * divergence alert reaches subscribers exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Moto } from "./helpers/moto.js";
import { runMonitor, type RunSummary } from "../lambda/monitor.js";
import type { Endpoint } from "../lambda/registry/schema.js";
import { FakeAwsHttp, type Fault } from "./helpers/fake-aws-http.js";
import { Harness, SERVICE, TestPki } from "./helpers/pool.js";

const harness = new Harness();
let endpoint: Endpoint;
let moto: Moto;
let tables = 0;

beforeAll(async () => {
  moto = await Moto.start();
  const pki = await TestPki.create();
  const certs = [
    await pki.issue({ subject: `CN=api.${SERVICE}`, dns: [`api.${SERVICE}`] }),
    await pki.issue({ subject: `CN=*.${SERVICE}`, dns: [`*.${SERVICE}`] }),
  ];
  const pool = await harness.pool(
    pki,
    certs.map((certificate) => ({ certificate })),
  );
  endpoint = pool.endpoint({ name: "api", attempts: 2, servername: `api.${SERVICE}`, timeoutMs: 2000 });
});
afterAll(async () => {
  await harness.closeAll();
  await moto.stop();
});

const TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";
const BUDGET_MS = 2_500;
const AWS_DEADLINE_MS = BUDGET_MS + 2_500;

/** A fake AWS endpoint whose DynamoDB is a fresh table on moto. */
async function fakeWithTable(): Promise<{ fake: FakeAwsHttp; table: string }> {
  const fake = await FakeAwsHttp.start();
  fake.dynamoUpstream = moto.url;
  return { fake, table: await moto.createTable(`state-${++tables}`) };
}

/** Run `index` of a schedule every 5 minutes (the run's clock; the probes are real). */
async function run(
  fake: FakeAwsHttp,
  table: string,
  index: number,
  log: (l: Record<string, unknown>) => void = () => undefined,
): Promise<{ summary: RunSummary; elapsed: number; emf: number }> {
  let emf = 0;
  const started = Date.now();
  const at = new Date(Date.now() + index * 300_000);
  const summary = await runMonitor([endpoint], [], {
    publisher: fake.publisher(),
    memory: fake.memory(table),
    now: () => at,
    namespace: "TlsPoolMonitor",
    topicArn: TOPIC,
    budgetMs: BUDGET_MS,
    awsDeadlineMs: AWS_DEADLINE_MS,
    confirmRuns: 1,
    log,
    // CloudWatch Logs turns EMF lines into the same metrics: feed them to the store the next run reads.
    emf: (line) => {
      const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> } };
      for (const { Name } of doc._aws.CloudWatchMetrics[0]!.Metrics) {
        for (const value of [doc[Name]].flat() as number[]) {
          fake.datums.push({ metric: Name, ...(typeof doc.Endpoint === "string" ? { endpoint: doc.Endpoint } : {}), value, timestamp: Date.now() / 1000 });
          emf++;
        }
      }
    },
  });
  return { summary, elapsed: Date.now() - started, emf };
}

const CASES: Array<["PutMetricData" | "BatchGetItem" | "UpdateItem" | "Publish", Fault]> = [];
for (const action of ["PutMetricData", "Publish"] as const) {
  for (const fault of ["stall", "500", "throttle", "malformed", "reset"] as const) CASES.push([action, fault]);
}
for (const action of ["BatchGetItem", "UpdateItem"] as const) for (const fault of ["stall", "internal-error", "reset"] as const) CASES.push([action, fault]);

describe.each(CASES)("%s answering %s", (action, fault) => {
  it("ends before its deadline, loses no datum, and the alert reaches subscribers exactly once", async () => {
    const { fake, table } = await fakeWithTable();
    try {
      fake.faults[action] = fault;
      const first = await run(fake, table, 0);
      expect(first.elapsed, "the faulty run ends inside its AWS deadline").toBeLessThan(AWS_DEADLINE_MS + 1_500);
      expect(first.summary.metricsPublished + first.summary.metricsViaEmf).toBe(first.summary.metricsProduced);
      if (action === "PutMetricData") expect(first.summary.metricsViaEmf).toBe(first.summary.metricsProduced);
      // The memory unreadable: nothing announced, never "never told". Unwritable: nothing claimed, so nothing sent.
      if (action === "BatchGetItem") expect(first.summary.stateUnknown).toBe(true);
      if (action === "BatchGetItem" || action === "UpdateItem") expect(fake.published).toHaveLength(0);
      if (action === "Publish") {
        expect(first.summary.alertFailures).toBe(1);
        expect(fake.values("AlertPublishFailures")).toEqual([1]);
      }

      fake.faults = {};
      const second = await run(fake, table, 1);
      expect(second.summary.metricsPublished).toBe(second.summary.metricsProduced);
      const third = await run(fake, table, 2);
      expect(third.summary.alertsPublished).toBe(0);
      expect(fake.published, "delivered exactly once over three runs").toHaveLength(1);
      expect(fake.published[0]!.subject).toContain("api: 2 certificate variants");
    } finally {
      await fake.close();
    }
  });
});

describe("no double datums", () => {
  it("PutMetricData that stores the batch and answers 500: one attempt, then EMF: each datum at most twice (was 4 times)", async () => {
    const { fake, table } = await fakeWithTable();
    try {
      fake.faults.PutMetricData = "accept-500";
      const logs: Array<Record<string, unknown>> = [];
      const { summary, emf } = await run(fake, table, 0, (l) => logs.push(l));
      expect(fake.requests.PutMetricData).toBe(1);
      expect(summary.metricsViaEmf).toBe(summary.metricsProduced);
      // Stored once by the API, once from EMF: every datum, never more.
      const stored = fake.datums.filter((d) => d.metric === "JavaAbortRisk");
      expect(stored).toHaveLength(2);
      expect(emf).toBe(summary.metricsProduced);
      expect(logs.find((l) => String(l.msg).startsWith("PutMetricData answered an error after which CloudWatch may have stored"))).toBeDefined();
    } finally {
      await fake.close();
    }
  });

  it("a 200 KB AWS error is logged bounded (500 characters and its length)", async () => {
    const { boundedError } = await import("../lambda/aws/publisher.js");
    const text = boundedError(Object.assign(new Error("x".repeat(200_000)), { name: "InternalFailure" }));
    expect(text.length).toBeLessThan(560);
    expect(text).toMatch(/^InternalFailure: x{400,}… \(200017 characters\)$/);
  });
});

describe("the SDK's own request timeout, without the run's deadline", () => {
  it.each(["BatchGetItem", "PutMetricData", "Publish"] as const)(
    "%s that never answers fails by the request timeout (a read retried; Publish and PutMetricData, not idempotent, once), not waited on",
    { timeout: 15_000 },
    async (action) => {
      const { fake, table } = await fakeWithTable();
      try {
        fake.faults[action] = "stall";
        const publisher = fake.publisher({ maxAttempts: 2, requestTimeout: 500 });
        const now = new Date();
        let failed: string | undefined;
        if (action === "Publish")
          failed = await publisher.publishAlert(TOPIC, {
            endpoint: "e",
            kind: "divergence",
            severity: "warning",
            subject: "s",
            message: "m",
            attributes: { endpoint: "e", severity: "warning", kind: "divergence" },
          });
        else if (action === "PutMetricData")
          failed = (await publisher.putMetrics("N", [[{ MetricName: "CertificateVariants", Timestamp: now, Unit: "Count", Value: 1 }]])).failed[0]?.error;
        else
          failed = await fake
            .memory(table, { maxAttempts: 2, requestTimeout: 500 })
            .read(["e"])
            .then(
              () => undefined,
              (err: Error) => err.name,
            );
        expect(failed).toMatch(/Timeout/i);
        // A Publish or PutMetricData whose answer never came may have been taken: one attempt (the memory's claim
        // retries the message later; the batch goes out as EMF).
        expect(fake.requests[action]).toBe(action === "BatchGetItem" ? 2 : 1);
      } finally {
        await fake.close();
      }
    },
  );
});
