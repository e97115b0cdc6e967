import { describe, expect, it } from "vitest";
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { readFileSync } from "node:fs";
import type { EndpointSummary } from "../../lambda/analysis/index.js";
import { batchDatums, datumBytes, MAX_REQUEST_BYTES } from "../../lambda/report/batches.js";
import { emfLines } from "../../lambda/report/emf.js";
import {
  endpointDatums,
  ESSENTIAL_METRICS,
  FLEET_ALARM_METRICS,
  latencyDatums,
  METRICS,
  missedEndpointDatums,
  runDatums,
  SHARD_DIMENSION,
} from "../../lambda/report/metrics.js";

const summary: EndpointSummary = {
  certificateVariants: 3,
  certificatesSeen: 3,
  membersProbed: 3,
  membersDiverging: 2,
  resumptionAttempts: 21,
  resumptionResumed: 0,
  resumptionRefused: 21,
  certificateChangesOnResumption: 21,
  crossMemberCertificateChanges: 12,
  crossMemberResumptionFailures: 0,
  renegotiationFailures: 0,
  handshakeFailures: 1,
  handshakes: 36,
  handshakeLatencyMs: [1.2, 1.2, 3.4, 250],
  minDaysToExpiry: 12,
  clientCertificateProblems: null,
  javaProfilesAtRisk: 3,
  javaProfilesUnknown: 0,
  javaAbortedConnections: 0,
  findings: { critical: 1, warning: 3, info: 0 },
  clientAffectingFindings: 4,
  reachable: true,
};
const at = new Date("2026-11-22T10:00:00Z");

describe("datums", () => {
  it("one endpoint, essential (the default): the four metrics the alarms read, each with its unit and the Endpoint dimension", () => {
    const datums = endpointDatums({ endpoint: "api" }, at, summary);
    expect(datums.map((d) => d.MetricName)).toEqual(["ResumptionFailures", "JavaAbortRisk", "HandshakeFailures", "MinDaysToExpiry"]);
    for (const d of datums) {
      expect(d.Unit).toBe(METRICS[d.MetricName as keyof typeof METRICS].unit);
      expect(d.Dimensions).toEqual([{ Name: "Endpoint", Value: "api" }]);
      expect(d.Timestamp).toBe(at);
    }
    const value = (n: string) => datums.find((d) => d.MetricName === n)!.Value;
    expect(value("JavaAbortRisk")).toBe(3);
    expect(value("MinDaysToExpiry")).toBe(12);
    // ClientCertificateProblems only for mutual-TLS endpoints (a sixth metric there).
    const mutualTls = endpointDatums({ endpoint: "puppetdb" }, at, { ...summary, clientCertificateProblems: 1 });
    expect(mutualTls.find((d) => d.MetricName === "ClientCertificateProblems")?.Value).toBe(1);
    expect(mutualTls.every((d) => (ESSENTIAL_METRICS as readonly string[]).includes(d.MetricName!))).toBe(true);
  });

  it("one endpoint, full: every per-endpoint metric, the heartbeat and the latencies among them", () => {
    const datums = endpointDatums({ endpoint: "api" }, at, summary, "full");
    const names = new Set(datums.map((d) => d.MetricName));
    expect(names.size).toBe(12);
    expect(datums.find((d) => d.MetricName === "ProbeCompleted")!.Value).toBe(1);
    const latency = datums.find((d) => d.MetricName === "HandshakeLatency")!;
    expect(latency.Values).toEqual([1.2, 3.4, 250]);
    expect(latency.Counts).toEqual([2, 1, 1]);
  });

  it("fleet alarms: the metrics they query carry the shard, the others keep Endpoint alone", () => {
    const datums = [...endpointDatums({ endpoint: "api", shard: 7 }, at, summary, "full"), ...missedEndpointDatums({ endpoint: "db", shard: 2 }, at, "full")];
    const sharded = new Set(datums.filter((d) => d.Dimensions!.some((x) => x.Name === SHARD_DIMENSION)).map((d) => d.MetricName));
    expect([...sharded].sort()).toEqual([...FLEET_ALARM_METRICS].sort());
    expect(datums.find((d) => d.MetricName === "ProbeCompleted" && d.Value === 0)!.Dimensions).toEqual([{ Name: "Endpoint", Value: "db" }]);
    expect(datums.find((d) => d.MetricName === "CertificateVariants")!.Dimensions).toEqual([{ Name: "Endpoint", Value: "api" }]);
  });

  it("an endpoint without a result: its heartbeat at 0 under full metrics; essential leaves it to the run's count", () => {
    expect(missedEndpointDatums({ endpoint: "api" }, at, "full")).toEqual([
      { MetricName: "ProbeCompleted", Dimensions: [{ Name: "Endpoint", Value: "api" }], Timestamp: at, Unit: "Count", Value: 0 },
    ]);
    expect(missedEndpointDatums({ endpoint: "api" }, at)).toEqual([]);
    expect(runDatums({ shard: 3, timestamp: at, probed: 40, notFinished: 2, discoveryProblems: 1 })).toEqual([
      { MetricName: "EndpointsProbed", Dimensions: [{ Name: SHARD_DIMENSION, Value: "3" }], Timestamp: at, Unit: "Count", Value: 40 },
      { MetricName: "EndpointsNotFinished", Dimensions: [{ Name: SHARD_DIMENSION, Value: "3" }], Timestamp: at, Unit: "Count", Value: 2 },
      { MetricName: "DiscoveryProblems", Dimensions: [{ Name: SHARD_DIMENSION, Value: "3" }], Timestamp: at, Unit: "Count", Value: 1 },
    ]);
  });

  it("more than 150 distinct latencies are split over datums", () => {
    const datums = latencyDatums(
      { endpoint: "api" },
      at,
      Array.from({ length: 400 }, (_, i) => i),
    );
    expect(datums.map((d) => d.Values!.length)).toEqual([150, 150, 100]);
    expect(datums.flatMap((d) => d.Counts!).reduce((a, b) => a + b, 0)).toBe(400);
  });

  it("docs/metrics.md documents every metric", () => {
    const readme = readFileSync("docs/metrics.md", "utf8");
    for (const name of Object.keys(METRICS)) expect(readme).toContain(`\`${name}\``);
  });
});

const many = (n: number): MetricDatum[] =>
  Array.from({ length: n }, (_, i) => ({
    MetricName: "CertificateVariants",
    Dimensions: [{ Name: "Endpoint", Value: `e${i}` }],
    Timestamp: at,
    Unit: "Count",
    Value: 1,
  }));

describe("batches", () => {
  it.each([
    [1, [1]],
    [1000, [1000]],
    [2500, [1000, 1000, 500]],
  ])("%i datums → %j", (n, sizes) => {
    const batches = batchDatums(many(n));
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat().map((d) => d.Dimensions![0]!.Value)).toEqual(many(n).map((d) => d.Dimensions![0]!.Value));
  });

  it("stays under 1 MB per request when datums are large", () => {
    const big = latencyDatums(
      { endpoint: "x".repeat(200) },
      at,
      Array.from({ length: 150 * 900 }, (_, i) => 1000 + i / 10),
    );
    expect(big).toHaveLength(900);
    const batches = batchDatums(big);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.reduce((s, d) => s + datumBytes(d), 0)).toBeLessThan(MAX_REQUEST_BYTES);
  });
});

describe("EMF", () => {
  it("one valid EMF object per endpoint, carrying every value", () => {
    const datums = [
      ...endpointDatums({ endpoint: "api" }, at, summary, "full"),
      ...endpointDatums({ endpoint: "db" }, at, { ...summary, certificateVariants: 1 }, "full"),
    ];
    const lines = emfLines("TlsPoolMonitor", datums).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const directive = line._aws.CloudWatchMetrics[0];
      expect(line._aws.Timestamp).toBe(at.getTime());
      expect(directive.Namespace).toBe("TlsPoolMonitor");
      expect(directive.Dimensions).toEqual([["Endpoint"]]);
      for (const m of directive.Metrics) {
        expect(line).toHaveProperty(m.Name);
        expect(m.Unit).toBe(METRICS[m.Name as keyof typeof METRICS].unit);
      }
    }
    const api = lines.find((l) => l.Endpoint === "api");
    expect(api.CertificateVariants).toBe(3);
    expect(api.HandshakeLatency).toEqual([1.2, 1.2, 3.4, 250]);
    expect(lines.find((l) => l.Endpoint === "db").CertificateVariants).toBe(1);
  });

  it("splits a metric with more than 100 values over several lines", () => {
    const lines = emfLines(
      "N",
      latencyDatums(
        { endpoint: "api" },
        at,
        Array.from({ length: 250 }, (_, i) => i),
      ),
    ).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.HandshakeLatency.length)).toEqual([100, 100, 50]);
  });
});
