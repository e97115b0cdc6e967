/** The one settings module: the Lambda's environment parsed once, each bad value named; the construct writes the same names. */
import { describe, expect, it } from "vitest";
import { EXPIRY_WARNING_DAYS } from "../lambda/analysis/expiry.js";
import { DEFAULT_NAMESPACE } from "../lambda/report/metrics.js";
import { ROLLOUT_STALL_MS_DEFAULT } from "../lambda/memory/model.js";
import { CONFIRM_RUNS_DEFAULT, ENV, readSettings } from "../lambda/settings.js";

describe("readSettings", () => {
  it("defaults when nothing is set", () => {
    expect(readSettings({})).toEqual({
      namespace: DEFAULT_NAMESPACE,
      metrics: "essential",
      rolloutStallMs: ROLLOUT_STALL_MS_DEFAULT,
      confirmRuns: CONFIRM_RUNS_DEFAULT,
      expiryWarningDays: EXPIRY_WARNING_DAYS,
    });
  });

  it("every variable the construct writes is read", () => {
    const s = readSettings({
      [ENV.namespace]: "Ops/Tls",
      [ENV.topicArn]: "arn:aws:sns:eu-west-1:123456789012:alerts",
      [ENV.concurrency]: "64",
      [ENV.stateTable]: "Stack-State-1AB",
      [ENV.metrics]: "full",
      [ENV.rolloutStallHours]: "48",
      [ENV.confirmRuns]: "3",
      [ENV.expiryWarningDays]: "30",
      [ENV.fleetShards]: "31",
      [ENV.registryFile]: "/var/task/registry.json",
    });
    expect(s).toEqual({
      namespace: "Ops/Tls",
      topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts",
      concurrency: 64,
      stateTable: "Stack-State-1AB",
      metrics: "full",
      rolloutStallMs: 48 * 3_600_000,
      confirmRuns: 3,
      expiryWarningDays: 30,
      fleetShards: 31,
      registryFile: "/var/task/registry.json",
    });
  });

  it.each([
    [ENV.concurrency, "lots", /CONCURRENCY="lots": must be a whole number from 1 to 1000/],
    [ENV.concurrency, "5000", /CONCURRENCY=5000: must be from 1 to 1000/],
    [ENV.expiryWarningDays, "0", /EXPIRY_WARNING_DAYS=0: must be from 1 to 365/],
    [ENV.fleetShards, "-1", /FLEET_SHARDS="-1": must be a whole number/],
    [ENV.metrics, "some", /METRICS="some": must be one of essential, full/],
    [ENV.stateTable, "a b", /STATE_TABLE="a b": not a DynamoDB table name/],
    [ENV.rolloutStallHours, "0", /ROLLOUT_STALL_HOURS=0: must be from 1 to 2160/],
    [ENV.topicArn, "not-an-arn", /ALERT_TOPIC_ARN: not an SNS topic ARN/],
  ])("%s=%s is refused at once, naming the variable", (name, value, message) => {
    expect(() => readSettings({ [ENV.stateTable]: "t-1", [name]: value })).toThrow(message);
  });

  it("a topic without the memory's table is refused: announcements are claimed there before they are published", () => {
    expect(() => readSettings({ [ENV.topicArn]: "arn:aws:sns:eu-west-1:123456789012:alerts" })).toThrow(/STATE_TABLE: required with ALERT_TOPIC_ARN/);
  });
});
