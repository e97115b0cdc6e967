/**
 * Findings → CloudWatch datums. Pure. Per probed endpoint, dimension `Endpoint`: the essential metrics (the
 * default: what the alarms read) or all 12 ("full"). Per run and shard: EndpointsProbed,
 * EndpointsNotFinished and DiscoveryProblems, so that missing data means the monitor itself went silent. Under fleet alarms (alarmMode
 * "fleet") the metrics those alarms query also carry `Shard`, so that one Metrics Insights query per shard sees at
 * most 500 endpoints (its limit on time series returned). What subscribers were told is not a metric: it is the
 * monitor's memory (lambda/memory), in DynamoDB.
 */
import type { MetricDatum, StandardUnit } from "@aws-sdk/client-cloudwatch";
import type { EndpointSummary } from "../analysis/index.js";

export const DEFAULT_NAMESPACE = "TlsPoolMonitor";

export interface MetricDefinition {
  unit: StandardUnit;
  meaning: string;
  alarm: string;
}

export const METRICS = {
  ProbeCompleted: {
    unit: "Count",
    meaning: "1 when the endpoint's probe finished this run; 0 when its registry entry is invalid or the run's deadline cut it short.",
    alarm: "Minimum < 1 for 2 periods, and missing data breaching: the monitor is not running or not finishing.",
  },
  CertificateVariants: {
    unit: "Count",
    meaning:
      "The most distinct leaf certificates the pool presents to one client offer (through the VIP and on the members); a member's RSA and ECDSA alternates for different offers count once.",
    alarm: "Maximum > 1: the members diverge.",
  },
  MembersDiverging: {
    unit: "Count",
    meaning: "Members whose certificate, for some client offer, is not the one most members present to that offer.",
    alarm: "Maximum > 0 (same condition as CertificateVariants, names how many).",
  },
  ResumptionAttempts: { unit: "Count", meaning: "VIP connections that offered a session.", alarm: "None (denominator)." },
  ResumptionRefused: {
    unit: "Count",
    meaning: "Offered sessions the VIP's member refused (full handshake instead).",
    alarm: "None alone; compare with ResumptionAttempts on the dashboard.",
  },
  CertificateChangesOnResumption: {
    unit: "Count",
    meaning: "Refused resumptions where the new handshake presented a different leaf.",
    alarm: "Sum > 0.",
  },
  ResumptionFailures: {
    unit: "Count",
    meaning: "Cross-member session offers answered with a fatal alert (e.g. shared ticket keys, mixed EMS).",
    alarm: "Maximum > 0: resuming clients fail.",
  },
  JavaAbortRisk: {
    unit: "Count",
    meaning: "Java client profiles whose verdict is aborts or can-abort (0-6; unknown verdicts are not counted).",
    alarm: "Maximum > 0: page whoever owns Java clients of this endpoint.",
  },
  RenegotiationFailures: {
    unit: "Count",
    meaning: "Members where client renegotiation failed or changed the certificate (a clean refusal is not counted).",
    alarm: "Maximum > 0.",
  },
  HandshakeFailures: {
    unit: "Count",
    meaning: "Failed handshakes (through the VIP and to members), not counting a member's lack of TLS 1.3.",
    alarm: "Sum > 0 for 2 of 3 periods.",
  },
  ClientCertificateProblems: {
    unit: "Count",
    meaning:
      "Mutual TLS only (sent for endpoints with a client certificate or a member that requires one): 1 when the certificate could not be read (its secret), a member refused it, or members require one and none is configured; else 0.",
    alarm: "Maximum > 0: the monitor cannot see these members as clients do (their Java verdicts are unknown).",
  },
  HandshakeLatency: {
    unit: "Milliseconds",
    meaning: "Time from TCP connect to handshake completion, every successful handshake (Values/Counts).",
    alarm: "p90 above your baseline.",
  },
  EndpointsProbed: {
    unit: "Count",
    meaning: "Run-level (dimension Shard): endpoints whose probe finished this run.",
    alarm: "None (the dashboard's heartbeat).",
  },
  EndpointsNotFinished: {
    unit: "Count",
    meaning: "Run-level (dimension Shard): endpoints with no result this run (invalid entry, deadline, analysis error); the log's endpoint lines name them.",
    alarm: "Maximum > 0 for 2 periods, missing data breaching: the monitor is not running or not finishing (the heartbeat).",
  },
  DiscoveryProblems: {
    unit: "Count",
    meaning:
      "Run-level (dimension Shard): endpoints whose members could not be discovered this run (a target group that could not be read or has no targets, a DNS failure, with no other member): watched through the VIP only.",
    alarm: "Maximum > 0 for 2 periods: fix the role's permissions or the registry (the log's endpoint lines with findingKinds discovery name them).",
  },
  AlertPublishFailures: {
    unit: "Count",
    meaning: "Alerts this run could not publish to SNS (run-level, no Endpoint dimension); they are retried next run.",
    alarm: "Sum > 0: subscribers are not hearing about a transition.",
  },
  MinDaysToExpiry: {
    unit: "None",
    meaning: "Days until the earliest-expiring leaf certificate presented expires (negative when expired).",
    alarm: "Minimum < 21.",
  },
} satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/**
 * What goes out per endpoint. "essential" (the default): what the alarms read, at
 * $0.30 per metric per endpoint-month (CloudWatch list price, first tier); the rest of the summary is in the
 * endpoint's log line (Logs Insights). "full": every metric, and the per-endpoint heartbeat ProbeCompleted.
 */
export type MetricsLevel = "essential" | "full";
export const METRICS_LEVELS: readonly MetricsLevel[] = ["essential", "full"];
// CertificateVariants is not among them: divergence is told by the function from its memory (no alarm reads it),
// and the endpoint's log line carries the state and the variants; "full" graphs it.
export const ESSENTIAL_METRICS = [
  "JavaAbortRisk",
  "HandshakeFailures",
  "ResumptionFailures",
  "MinDaysToExpiry",
  "ClientCertificateProblems",
] as const satisfies readonly MetricName[];
const ESSENTIAL = new Set<string>(ESSENTIAL_METRICS);
/** Run-level metrics (no Endpoint dimension): published once per run, whatever the level. */
export const RUN_METRICS = ["EndpointsProbed", "EndpointsNotFinished", "DiscoveryProblems", "AlertPublishFailures"] as const satisfies readonly MetricName[];

/** The statistic each metric is read with (alarms, dashboard, the construct's metric helpers). */
export const DEFAULT_STATISTIC: Record<MetricName, "Maximum" | "Minimum" | "Sum" | "p90"> = {
  ProbeCompleted: "Minimum",
  CertificateVariants: "Maximum",
  MembersDiverging: "Maximum",
  ResumptionAttempts: "Sum",
  ResumptionRefused: "Sum",
  CertificateChangesOnResumption: "Sum",
  ResumptionFailures: "Maximum",
  JavaAbortRisk: "Maximum",
  RenegotiationFailures: "Maximum",
  HandshakeFailures: "Sum",
  ClientCertificateProblems: "Maximum",
  HandshakeLatency: "p90",
  EndpointsProbed: "Sum",
  EndpointsNotFinished: "Maximum",
  DiscoveryProblems: "Maximum",
  AlertPublishFailures: "Sum",
  MinDaysToExpiry: "Minimum",
};

/** The metrics fleet alarms query, one Metrics Insights alarm each per shard (infra/construct.ts). */
export const FLEET_ALARM_METRICS = ["JavaAbortRisk", "HandshakeFailures", "ResumptionFailures", "MinDaysToExpiry"] as const satisfies readonly MetricName[];
const FLEET = new Set<string>(FLEET_ALARM_METRICS);

/** The dimension that splits fleet alarms' queries by shard. */
export const SHARD_DIMENSION = "Shard";

/** Where an endpoint's datums go: its name, and its shard when fleet alarms query by shard. */
export interface DatumTarget {
  endpoint: string;
  shard?: number;
}

const dimensionsOf = (name: string, target: DatumTarget) => [
  { Name: "Endpoint", Value: target.endpoint },
  ...(target.shard !== undefined && FLEET.has(name) ? [{ Name: SHARD_DIMENSION, Value: String(target.shard) }] : []),
];

/** CloudWatch's limit on distinct values in one datum's Values/Counts. */
export const MAX_VALUES_PER_DATUM = 150;

function datum(name: MetricName, target: DatumTarget, timestamp: Date, value: number): MetricDatum {
  return { MetricName: name, Dimensions: dimensionsOf(name, target), Timestamp: timestamp, Unit: METRICS[name].unit, Value: value };
}

/** Latencies as Values/Counts (rounded to 0.1 ms), split so that no datum has more than 150 distinct values. */
export function latencyDatums(target: DatumTarget, timestamp: Date, latencies: number[]): MetricDatum[] {
  const counts = new Map<number, number>();
  for (const ms of latencies) if (Number.isFinite(ms)) counts.set(Math.round(ms * 10) / 10, (counts.get(Math.round(ms * 10) / 10) ?? 0) + 1);
  const entries = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const datums: MetricDatum[] = [];
  for (let i = 0; i < entries.length; i += MAX_VALUES_PER_DATUM) {
    const slice = entries.slice(i, i + MAX_VALUES_PER_DATUM);
    datums.push({
      MetricName: "HandshakeLatency",
      Dimensions: dimensionsOf("HandshakeLatency", target),
      Timestamp: timestamp,
      Unit: METRICS.HandshakeLatency.unit,
      Values: slice.map(([v]) => v),
      Counts: slice.map(([, c]) => c),
    });
  }
  return datums;
}

/** The datums of one endpoint whose probe finished, at the level set. */
export function endpointDatums(target: DatumTarget, timestamp: Date, s: EndpointSummary, level: MetricsLevel = "essential"): MetricDatum[] {
  const all = allEndpointDatums(target, timestamp, s);
  return level === "full" ? all : all.filter((x) => ESSENTIAL.has(x.MetricName!));
}

function allEndpointDatums(target: DatumTarget, timestamp: Date, s: EndpointSummary): MetricDatum[] {
  const d = (name: MetricName, value: number) => datum(name, target, timestamp, value);
  return [
    d("ProbeCompleted", 1),
    d("CertificateVariants", s.certificateVariants),
    d("MembersDiverging", s.membersDiverging),
    d("ResumptionAttempts", s.resumptionAttempts),
    d("ResumptionRefused", s.resumptionRefused),
    d("CertificateChangesOnResumption", s.certificateChangesOnResumption),
    d("ResumptionFailures", s.crossMemberResumptionFailures),
    d("JavaAbortRisk", s.javaProfilesAtRisk),
    d("RenegotiationFailures", s.renegotiationFailures),
    d("HandshakeFailures", s.handshakeFailures),
    ...(s.minDaysToExpiry === null ? [] : [d("MinDaysToExpiry", s.minDaysToExpiry)]),
    // Only where mutual TLS is in play: a metric per endpoint costs the same whether it is ever non-zero or not.
    ...(s.clientCertificateProblems === null ? [] : [d("ClientCertificateProblems", s.clientCertificateProblems)]),
    ...latencyDatums(target, timestamp, s.handshakeLatencyMs),
  ];
}

/** The run-level count of alerts SNS did not take. */
export function alertFailuresDatum(timestamp: Date, failures: number): MetricDatum {
  return { MetricName: "AlertPublishFailures", Timestamp: timestamp, Unit: METRICS.AlertPublishFailures.unit, Value: failures };
}

/** An endpoint that produced no result this run (bad entry, deadline): its heartbeat at 0 ("full"; else the run's count says it). */
export function missedEndpointDatums(target: DatumTarget, timestamp: Date, level: MetricsLevel = "essential"): MetricDatum[] {
  return level === "full" ? [datum("ProbeCompleted", target, timestamp, 0)] : [];
}

/** The run's own heartbeat: endpoints probed and not finished, by shard (absent: the whole registry, shard 0). */
export function runDatums(run: { shard?: number | undefined; timestamp: Date; probed: number; notFinished: number; discoveryProblems: number }): MetricDatum[] {
  const Dimensions = [{ Name: SHARD_DIMENSION, Value: String(run.shard ?? 0) }];
  return [
    { MetricName: "EndpointsProbed", Dimensions, Timestamp: run.timestamp, Unit: METRICS.EndpointsProbed.unit, Value: run.probed },
    { MetricName: "EndpointsNotFinished", Dimensions, Timestamp: run.timestamp, Unit: METRICS.EndpointsNotFinished.unit, Value: run.notFinished },
    { MetricName: "DiscoveryProblems", Dimensions, Timestamp: run.timestamp, Unit: METRICS.DiscoveryProblems.unit, Value: run.discoveryProblems },
  ];
}
