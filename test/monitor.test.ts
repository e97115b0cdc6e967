/** One monitoring run end to end: real pools on loopback, CloudWatch and SNS mocked with aws-sdk-client-mock. */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AwsPublisher } from "../lambda/aws/publisher.js";
import { handler, probeBudgetMs, selectShard } from "../lambda/handler.js";
import { runMonitor, type MonitorOptions } from "../lambda/monitor.js";
import type { Endpoint } from "../lambda/registry/schema.js";
import { parseRegistry } from "../lambda/registry/schema.js";
import { shardOf } from "../lambda/registry/shard.js";
import { fakeAws } from "./helpers/fake-cloudwatch.js";
import { HistoryFile } from "../lambda/memory/history-file.js";
import { Moto, TEST_CREDENTIALS } from "./helpers/moto.js";
import { Harness, SERVICE, TestPki, type Pool } from "./helpers/pool.js";

const harness = new Harness();
let pki: TestPki;
let aws: ReturnType<typeof fakeAws>;
let logs: Array<Record<string, unknown>>;
let emf: string[];
/** The monitor's memory for the test: a real store (the CLI's history file) in a fresh directory. */
let historyDir: string;
let historyPath: string;
/** The run's clock: each options() call is the next run, 5 minutes after the previous one. */
let clock: number;

beforeAll(async () => {
  pki = await TestPki.create();
});
beforeEach(() => {
  aws = fakeAws();
  logs = [];
  emf = [];
  historyDir = mkdtempSync(join(tmpdir(), "tpm-memory-"));
  historyPath = join(historyDir, "history.json");
  clock = Date.now();
});
afterEach(async () => {
  aws.restore();
  await harness.closeAll();
  rmSync(historyDir, { recursive: true, force: true });
});

/** A run-level metric's values (dimension Shard), oldest first. */
const runValues = (metric: string) => aws.stored.filter((s) => s.datum.MetricName === metric).map((s) => s.datum.Value);

/** What the memory says subscribers were told of an endpoint. */
async function told(name: string): Promise<string | undefined> {
  return (await new HistoryFile(historyPath).read([name])).get(name)?.told;
}

const TOPIC = "arn:aws:sns:us-east-1:123456789012:tls-pool-monitor";

function options(over: Partial<MonitorOptions> = {}): MonitorOptions {
  const at = new Date((clock += 300_000));
  return {
    publisher: new AwsPublisher(new CloudWatchClient({ region: "us-east-1" }), new SNSClient({ region: "us-east-1" })),
    memory: new HistoryFile(historyPath),
    now: () => at,
    namespace: "TlsPoolMonitor",
    topicArn: TOPIC,
    budgetMs: 20_000,
    // Alert on the first run that sees a change; the hysteresis tests set their own.
    confirmRuns: 1,
    log: (l) => logs.push(l),
    emf: (l) => emf.push(l),
    ...over,
  };
}

async function consistentPool(): Promise<Pool> {
  const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
  return harness.pool(pki, [{ certificate: cert }, { certificate: cert }]);
}
/** Both certificates are valid for the name, but share no SAN or subject: not identity-equivalent for Java. */
const NAME = `api.${SERVICE}`;
async function divergentPool(): Promise<Pool> {
  const certs = [await pki.issue({ subject: `CN=${NAME}`, dns: [NAME] }), await pki.issue({ subject: `CN=*.${SERVICE}`, dns: [`*.${SERVICE}`] })];
  return harness.pool(
    pki,
    certs.map((certificate) => ({ certificate })),
  );
}
const named = (pool: Pool, name = "api"): Endpoint => pool.endpoint({ name, attempts: 3, servername: NAME });

describe("alerts on transitions only", () => {
  it("consistent → divergent → divergent → consistent: one alert, one recovery", async () => {
    const consistent = await consistentPool();
    const divergent = await divergentPool();
    const runs = [consistent, divergent, divergent, consistent];
    for (const pool of runs) await runMonitor([named(pool)], [], options({ metrics: "full" }));
    const published = aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.MessageAttributes!.kind!.StringValue)).toEqual(["divergence", "recovery"]);
    expect(aws.values("CertificateVariants", "api")).toEqual([1, 2, 2, 1]);
    const alert = published[0]!;
    expect(alert.TopicArn).toBe(TOPIC);
    expect(alert.Subject!.length).toBeLessThan(100);
    expect(alert.Subject).toContain("api: 2 certificate variants");
    expect(alert.MessageAttributes).toMatchObject({ endpoint: { DataType: "String", StringValue: "api" }, severity: { StringValue: "warning" } });
    // Which member presents which certificate, how they differ, the Java verdict, the remedy.
    for (const m of divergent.members) expect(alert.Message).toContain(m.label);
    expect(alert.Message).toContain(`CN=*.${SERVICE}`);
    expect(alert.Message).toContain("How they differ:");
    expect(alert.Message).toContain("JDK 8u60–8u152: can-abort");
    // The remedies computed for this pool: the one certificate first, on the member that differs.
    expect(alert.Message).toMatch(
      /What to do, best first \(each change alone, its effect computed on this pool\):\n {2}1\. same-certificate on 127\.0\.0\.1:\d+ \(makes safe: /,
    );
    expect(published[1]!.Subject).toContain("recovered");
  });

  it("a divergent endpoint with no earlier state alerts on its first run", async () => {
    await runMonitor([named(await divergentPool())], [], options());
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("when the previous state cannot be read, nothing is sent rather than a repeat", async () => {
    writeFileSync(historyPath, "{ not json");
    const summary = await runMonitor([named(await divergentPool())], [], options());
    expect(summary.stateUnknown).toBe(true);
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(aws.values("JavaAbortRisk", "api")).toHaveLength(1);
  });
});

describe("the endpoint's log line says which member is wrong", () => {
  it("divergent: level warn or error, the finding kinds, and each variant with its members and fingerprint; consistent: info, no variants", async () => {
    const divergent = await divergentPool();
    await runMonitor([named(divergent)], [], options());
    const line = logs.find((l) => l.msg === "endpoint" && l.endpoint === "api")!;
    expect(["warn", "error"]).toContain(line.level);
    expect(line.findingKinds).toEqual(expect.arrayContaining(["warning:certificate-divergence"]));
    const variants = line.variants as Array<{ variant: string; fingerprint: string; members: string[]; subject: string }>;
    expect(
      variants
        .map((v) => v.members)
        .flat()
        .sort(),
    ).toEqual(divergent.members.map((m) => m.label).sort());
    expect(variants.map((v) => v.subject).sort()).toEqual([`CN=*.${SERVICE}`, `CN=${NAME}`].sort());
    for (const v of variants) expect(v.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    logs.length = 0;
    // One certificate, valid for the name asked: hygiene warnings (client renegotiation) stay info.
    await runMonitor([(await consistentPool()).endpoint({ name: "api", attempts: 3 })], [], options());
    const ok = logs.find((l) => l.msg === "endpoint")!;
    expect(ok.level, JSON.stringify(ok.findingKinds)).toBe("info");
    expect(ok.variants).toBeUndefined();
  });
});

describe("what subscribers were told is kept apart from what was observed", () => {
  it("an alert SNS did not take is sent on the next run, then never again", async () => {
    const pool = await divergentPool();
    aws.sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error("throttled"), { name: "Throttling" }))
      .resolves({ MessageId: "m-2" });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runMonitor([named(pool)], [], options()));
    expect(runs.map((r) => [r.alertFailures, r.alertsPublished])).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(2);
    // Claimed before the first attempt, and sent again under the same transition id.
    const ids = aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.transitionId!.StringValue);
    expect(ids[0]).toMatch(/^tpm-[0-9a-f]{10}-1-divergence$/);
    expect(ids[1]).toBe(ids[0]);
    expect(await told("api")).toBe("divergent");
    expect((await new HistoryFile(historyPath).read(["api"])).get("api")!.pending).toEqual([]);
  });

  it("a run that could not read the state sends nothing; the next run sends the alert", async () => {
    const pool = await divergentPool();
    writeFileSync(historyPath, JSON.stringify({ format: "something else" }));
    const first = await runMonitor([named(pool)], [], options());
    expect(first.stateUnknown).toBe(true);
    expect(logs.find((l) => l.msg === "could not read the monitor's memory; nothing is announced this run (the next run retries)")!.error).toMatch(
      /history\.json: not a history file/,
    );
    rmSync(historyPath);
    const second = await runMonitor([named(pool)], [], options());
    expect(second.alertsPublished).toBe(1);
    expect(await told("api")).toBe("divergent");
  });

  it("hysteresis: a change is alerted once two runs agree; a pool that flips every run alerts nothing", async () => {
    const consistent = await consistentPool();
    const divergent = await divergentPool();
    const flipping = [divergent, consistent, divergent, consistent];
    for (const pool of flipping) await runMonitor([named(pool)], [], options({ confirmRuns: 2 }));
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(0);
    const steady = [divergent, divergent, consistent, consistent];
    const summaries = [];
    for (const pool of steady) summaries.push(await runMonitor([named(pool)], [], options({ confirmRuns: 2 })));
    const kinds = aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.kind!.StringValue);
    expect(kinds).toEqual(["divergence", "recovery"]);
    expect(summaries.map((s) => s.alertsPending)).toEqual([["api"], [], ["api"], []]);
  });
});

describe("nothing lost", () => {
  it("SNS failing: metrics still published, the failure logged and counted", async () => {
    aws.sns.on(PublishCommand).rejects(Object.assign(new Error("topic gone"), { name: "NotFoundException" }));
    const summary = await runMonitor([named(await divergentPool())], [], options());
    expect(summary.alertFailures).toBe(1);
    expect(summary.metricsPublished).toBeGreaterThanOrEqual(6);
    expect(aws.values("JavaAbortRisk", "api")).toHaveLength(1);
    expect(aws.stored.find((s) => s.datum.MetricName === "AlertPublishFailures")!.datum.Value).toBe(1);
    expect(logs.find((l) => l.msg === "SNS publish failed; a later run sends it again with the same transition id")).toMatchObject({
      endpoint: "api",
      error: "NotFoundException: topic gone",
    });
  });

  it("CloudWatch failing for good: every datum goes out as EMF", async () => {
    aws.cloudwatch.on(PutMetricDataCommand).rejects(Object.assign(new Error("down"), { name: "InternalServiceError" }));
    const pool = await divergentPool();
    const summary = await runMonitor([named(pool, "api"), named(pool, "db")], [], options());
    expect(summary.metricsPublished).toBe(0);
    const lines = emf.map((l) => JSON.parse(l));
    const putAttempts = aws.cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData!);
    // Every datum that was attempted is in the EMF lines, value for value.
    for (const d of putAttempts) {
      const [dimension] = d.Dimensions!;
      const line = lines.find((l) => l[dimension!.Name!] === dimension!.Value && l[d.MetricName!] !== undefined)!;
      expect(line, d.MetricName).toBeDefined();
      if (d.Value !== undefined) expect(line[d.MetricName!]).toBe(d.Value);
      else expect([line[d.MetricName!]].flat().length).toBe(d.Counts!.reduce((a, b) => a + b, 0));
    }
    expect(summary.metricsViaEmf).toBe(putAttempts.length);
    // A rejection without an HTTP status may have been stored: said so, and written as EMF all the same.
    expect(logs.some((l) => String(l.msg).startsWith("PutMetricData answered an error after which CloudWatch may have stored the batch"))).toBe(true);
    expect(summary.metricsViaEmf + summary.metricsPublished).toBe(summary.metricsProduced);
  });

  it("exact batches and dimensions for 2500 datums", async () => {
    const publisher = new AwsPublisher(new CloudWatchClient({ region: "us-east-1" }), new SNSClient({ region: "us-east-1" }));
    const { batchDatums } = await import("../lambda/report/batches.js");
    const at = new Date();
    const datums = Array.from({ length: 2500 }, (_, i) => ({
      MetricName: "CertificateVariants",
      Dimensions: [{ Name: "Endpoint", Value: `e${i}` }],
      Timestamp: at,
      Unit: "Count" as const,
      Value: 1,
    }));
    const result = await publisher.putMetrics("TlsPoolMonitor", batchDatums(datums));
    const calls = aws.cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.MetricData!.length)).toEqual([1000, 1000, 500]);
    expect(calls.every((c) => c.Namespace === "TlsPoolMonitor")).toBe(true);
    expect(calls.flatMap((c) => c.MetricData!.map((d) => d.Dimensions![0]!.Value))).toEqual(datums.map((d) => d.Dimensions[0]!.Value));
    expect(result.published).toBe(2500);
  });
});

describe("deadline and bad input", () => {
  it("an endpoint not finished by the deadline is reported as such; the others are published", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s.on("error", () => undefined)));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    harness.track({
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    });
    const pool = await divergentPool();
    const stuck: Endpoint = { ...named(pool, "stuck"), host: "127.0.0.1", port: (silent.address() as net.AddressInfo).port, members: [], timeoutMs: 30_000 };
    // The deadline itself: a member that never answers is cut when the budget runs out, long before its own timeout.
    const started = Date.now();
    const alone = await runMonitor([{ ...stuck, name: "stuck-alone" }], [], options({ budgetMs: 300 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(alone.notFinished).toEqual(["stuck-alone"]);
    // Beside a healthy endpoint, the run is stopped once that one is folded (event-driven: no race on a busy machine).
    const stop = new AbortController();
    const log = (line: Record<string, unknown>) => {
      logs.push(line);
      if (line.msg === "endpoint" && line.endpoint === "api") stop.abort();
    };
    const summary = await runMonitor([stuck, named(pool, "api")], [], { ...options({ budgetMs: 60_000, metrics: "full" }), stop: stop.signal, log });
    expect(summary.notFinished).toEqual(["stuck"]);
    expect(summary.probed).toBe(1);
    expect(aws.values("ProbeCompleted", "stuck")).toEqual([0]);
    expect(aws.values("CertificateVariants", "stuck")).toEqual([]);
    expect(aws.values("ProbeCompleted", "api")).toEqual([1]);
    // The run's own heartbeat, whatever the metrics level: one probed, one not finished, in shard 0.
    expect(runValues("EndpointsProbed")).toEqual([0, 1]);
    expect(runValues("EndpointsNotFinished")).toEqual([1, 1]);
    expect(logs.find((l) => l.msg === "endpoint" && l.endpoint === "stuck")).toMatchObject({ finished: false });
  });

  it("a deadline that cuts the run short: the endpoints that finished are published, only those in flight are cut mid-probe", async () => {
    // Event-driven, not timed: the run is stopped the moment the third endpoint is folded, so the assertions hold on
    // any machine and Node. With four in flight, at most three others are cut mid-probe; all at once would cut 37.
    const pool = await consistentPool();
    const stop = new AbortController();
    let folded = 0;
    const lines: Array<Record<string, unknown>> = [];
    const log = (line: Record<string, unknown>) => {
      lines.push(line);
      if (line.msg === "endpoint" && line.finished === true && ++folded === 3) stop.abort();
    };
    const endpoints = Array.from({ length: 40 }, (_, i) => named(pool, `e${i}`));
    const summary = await runMonitor(endpoints, [], { ...options({ budgetMs: 60_000, endpointsInFlight: 4, metrics: "full" }), stop: stop.signal, log });
    expect(summary.probed).toBe(3);
    expect(summary.notFinished).toHaveLength(37);
    const cut = lines.filter((l) => l.msg === "endpoint" && l.finished === false);
    const midProbe = cut.filter((l) => String(l.error).includes("before this endpoint's probe finished")).length;
    expect(midProbe).toBeLessThanOrEqual(3);
    expect(cut.length - midProbe).toBeGreaterThanOrEqual(34);
    expect(cut.every((l) => l.notFinished === "deadline")).toBe(true);
    const completed = endpoints.filter((e) => aws.values("ProbeCompleted", e.name)[0] === 1).length;
    expect(completed).toBe(3);
    expect(endpoints.filter((e) => aws.values("ProbeCompleted", e.name)[0] === 0)).toHaveLength(37);
    expect(summary.metricsPublished).toBe(summary.metricsProduced);
  });

  it("a bad registry entry fails loudly for that entry only", async () => {
    const pool = await consistentPool();
    const text = JSON.stringify({
      endpoints: [
        { name: "broken", host: "x.example", attempts: 0 },
        { ...named(pool), members: pool.members.map((m) => m.label) },
      ],
    });
    const load = parseRegistry(text, "registry.json");
    const summary = await runMonitor(load.endpoints, load.errors, options());
    expect(summary.invalid).toEqual(['registry.json: endpoint endpoints[0] ("broken"): attempts: must be at least 1']);
    expect(summary.probed).toBe(1);
    // Essential metrics (the default): no per-endpoint heartbeat; the run's count of endpoints without a result has it.
    expect(aws.values("ProbeCompleted", "broken")).toEqual([]);
    expect(aws.values("HandshakeFailures", "api")).toEqual([0]);
    expect(aws.values("CertificateVariants", "api")).toEqual([]);
    expect(runValues("EndpointsNotFinished")).toEqual([1]);
    expect(runValues("EndpointsProbed")).toEqual([1]);
    expect(logs.find((l) => l.msg === "invalid registry entry")).toMatchObject({ field: "attempts" });
  });

  it("keeps 15% (10-60 s) of the remaining time for publishing", () => {
    expect(probeBudgetMs(300_000)).toBe(255_000);
    expect(probeBudgetMs(30_000)).toBe(20_000);
    expect(probeBudgetMs(900_000)).toBe(840_000);
    expect(probeBudgetMs(5_000)).toBe(0);
  });
});

describe("the Lambda handler", () => {
  let dir: string;
  let moto: Moto;
  const ENV_SET = ["REGISTRY_FILE", "ALERT_TOPIC_ARN", "STATE_TABLE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tpm-handler-"));
    // CloudWatch and SNS are mocked; the memory is DynamoDB on moto, reached as the function reaches its table.
    moto = await Moto.start();
    process.env.STATE_TABLE = await moto.createTable("handler-state");
    process.env.AWS_ENDPOINT_URL_DYNAMODB = moto.url;
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = "us-east-1";
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const name of ENV_SET) delete process.env[name];
    await moto.stop();
  });

  it("probes the bundled registry's shard against a real divergent pool and publishes through the mocked clients", async () => {
    const pool = await divergentPool();
    writeFileSync(join(dir, "ca.pem"), pki.caPem);
    const names = ["alpha", "bravo", "charlie", "delta", "echo"];
    const endpoints = names.map((name) => ({
      name,
      host: pool.vip.host,
      port: pool.vip.port,
      servername: NAME,
      members: pool.members.map((m) => m.label),
      discover: "none",
      attempts: 2,
      ca: "ca.pem",
      timeoutMs: 3000,
    }));
    writeFileSync(join(dir, "registry.json"), JSON.stringify({ endpoints }));
    process.env.REGISTRY_FILE = join(dir, "registry.json");
    process.env.ALERT_TOPIC_ARN = TOPIC;
    const shard = { shard: 1, shards: 2 };
    const mine = names.filter((n) => shardOf(n, 2) === 1);
    expect(mine.length).toBeGreaterThan(0);
    // The default hysteresis: the first run that sees the divergence waits, the second confirms and alerts.
    const first = await handler(shard, { getRemainingTimeInMillis: () => 60_000 });
    expect(first.probed).toBe(mine.length);
    expect(first.divergent.sort()).toEqual([...mine].sort());
    expect(first.alertsPending.sort()).toEqual([...mine].sort());
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(0);
    const context = {
      getRemainingTimeInMillis: () => 60_000,
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:tpm-probe",
      functionName: "tpm-probe",
    };
    const second = await handler(shard, context);
    expect(second.alertsPublished).toBe(mine.length);
    // The message starts with what to do, then which deployment saw it and when, then what was seen.
    const [line1, line2, line3] = String(aws.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).split("\n");
    expect(line1).toMatch(/^Action: \S/);
    expect(line2).toMatch(/^Where: account 123456789012, region eu-west-1, function tpm-probe; detected \d{4}-\d\d-\d\dT[\d:.]+Z\.$/);
    expect(line3).toMatch(/^Endpoint \w+ \(.+\) presents 2 different certificates/);
    for (const n of names) expect(aws.values("JavaAbortRisk", n)).toHaveLength(mine.includes(n) ? 2 : 0);
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(mine.length);
    // A third run: told already (the table says so), nothing more.
    const third = await handler(shard, { getRemainingTimeInMillis: () => 60_000 });
    expect(third.alertsPublished).toBe(0);
    expect(third.stateUnknown).toBe(false);
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(mine.length);
  });

  it("fleet alarms: the alarmed metrics carry the endpoint's shard, the others keep Endpoint alone; alerts go out once; the expiry threshold is the deployment's", async () => {
    const pool = await divergentPool();
    const names = ["alpha", "bravo", "charlie"];
    const endpoints = names.map((n) => named(pool, n));
    // Certificates here have 89 days left: a 100-day threshold (expiryAlarmDays) makes them expiry-soon.
    const fleet = { fleetShards: 4, ruleSettings: { expiryWarningDays: 100 }, confirmRuns: 1 };
    await runMonitor(endpoints, [], options(fleet));
    await runMonitor(endpoints, [], options(fleet));
    const puts = aws.cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    for (const n of names) {
      const dims = (metric: string) => puts.find((d) => d.MetricName === metric && d.Dimensions?.[0]?.Value === n)!.Dimensions;
      expect(dims("ResumptionFailures")).toEqual([
        { Name: "Endpoint", Value: n },
        { Name: "Shard", Value: String(shardOf(n, 4)) },
      ]);
      expect(dims("MinDaysToExpiry")).toEqual([
        { Name: "Endpoint", Value: n },
        { Name: "Shard", Value: String(shardOf(n, 4)) },
      ]);
      expect(puts.some((d) => d.MetricName === "CertificateVariants")).toBe(false);
    }
    // The second run read what subscribers were told (the memory, by endpoint name): one alert per endpoint, not two.
    const published = aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.MessageAttributes!.endpoint!.StringValue).sort()).toEqual([...names].sort());
    expect(published[0]!.Message).toContain("[warning] expiry-soon:");
  });

  it("selects shards so that every endpoint lands in exactly one", () => {
    const load = parseRegistry(JSON.stringify({ endpoints: Array.from({ length: 50 }, (_, i) => ({ name: `e${i}`, host: "a.example" })) }), "r");
    const seen = [0, 1, 2, 3].flatMap((shard) => selectShard(load, { shard, shards: 4 }).endpoints.map((e) => e.name));
    expect(seen.sort()).toEqual(load.endpoints.map((e) => e.name).sort());
    expect(() => selectShard(load, { shard: 4, shards: 4 })).toThrow(/event.shard must be an integer from 0 to 3/);
  });
});
