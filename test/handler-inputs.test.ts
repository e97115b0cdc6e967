/**
 * The run's own inputs fail the invocation (so that the failed-invocation alarm fires), naming the variable or the
 * file; a FIFO topic is a topic. Each case loads the handler afresh: it keeps its settings and registry per container.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { FakeAwsHttp } from "./helpers/fake-aws-http.js";

const dir = mkdtempSync(join(tmpdir(), "tpm-inputs-"));
const SET = ["REGISTRY_FILE", "METRIC_NAMESPACE", "AWS_REGION"];
afterEach(() => {
  for (const name of SET) delete process.env[name];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freshHandler() {
  vi.resetModules();
  return (await import("../lambda/handler.js")).handler;
}
const context = { getRemainingTimeInMillis: () => 30_000 };

describe("the run's own inputs", () => {
  it.each([
    ["missing", () => join(dir, "nope.json"), /^REGISTRY_FILE: .*nope\.json: .*ENOENT/],
    ["a directory", () => dir, /^REGISTRY_FILE: .*: .*(EISDIR|not a regular file|directory)/i],
    ["a device (/dev/zero)", () => "/dev/zero", /^REGISTRY_FILE: \/dev\/zero: /],
    ["not JSON", () => (writeFileSync(join(dir, "bad.json"), "{ nope"), join(dir, "bad.json")), /^REGISTRY_FILE: .*bad\.json: not valid JSON/],
  ])("a registry file that is %s fails the invocation, naming it (nothing probed, nothing published)", async (_what, path, message) => {
    process.env.REGISTRY_FILE = path();
    process.env.AWS_REGION = "us-east-1";
    const handler = await freshHandler();
    await expect(handler({}, context)).rejects.toThrow(message);
  });

  it("a bad METRIC_NAMESPACE fails the invocation at once, naming the variable", async () => {
    process.env.METRIC_NAMESPACE = "AWS/Mine";
    const handler = await freshHandler();
    await expect(handler({}, context)).rejects.toThrow(/^METRIC_NAMESPACE="AWS\/Mine": not a CloudWatch namespace/);
  });

  it("a FIFO topic: accepted, and each message carries the endpoint as its group and the transition id as its deduplication id", async () => {
    const { readSettings } = await import("../lambda/settings.js");
    const fifo = "arn:aws:sns:eu-west-1:123456789012:alerts.fifo";
    expect(readSettings({ ALERT_TOPIC_ARN: fifo, STATE_TABLE: "t-1" }).topicArn).toBe(fifo);
    const fake = await FakeAwsHttp.start();
    try {
      const error = await fake.publisher().publishAlert(fifo, {
        endpoint: "puppetdb",
        kind: "divergence",
        severity: "warning",
        subject: "s",
        message: "m",
        attributes: { endpoint: "puppetdb", severity: "warning", kind: "divergence", transitionId: "tpm-0123456789-4-divergence" },
      });
      expect(error).toBeUndefined();
      expect(fake.published[0]).toMatchObject({ topic: fifo, groupId: "puppetdb", deduplicationId: "tpm-0123456789-4-divergence" });
      // A standard topic gets neither (SNS refuses them there).
      await fake.publisher().publishAlert("arn:aws:sns:eu-west-1:123456789012:alerts", { ...fakeAlert(), endpoint: "x" });
      expect(fake.published[1]!.groupId).toBeUndefined();
    } finally {
      await fake.close();
    }
  });
});

const fakeAlert = () => ({
  endpoint: "e",
  kind: "divergence" as const,
  severity: "warning" as const,
  subject: "s",
  message: "m",
  attributes: { endpoint: "e", severity: "warning", kind: "divergence" },
});
