/**
 * The `--json` document as a contract: declared types (ReportDocument), a schemaVersion, and the JSON Schema
 * generated from these types into schema/report.schema.json (`npm run schema`; a test fails when it is stale).
 * Bump REPORT_SCHEMA_VERSION when a field changes meaning or goes away; adding a field keeps it.
 */
import type { EndpointAnalysis, EndpointSummary } from "../analysis/index.js";
import type { Finding } from "../analysis/finding.js";
import type { JavaVerdict } from "../analysis/java/verdict.js";
import { vipConnections } from "../analysis/observations.js";
import type { Remedy } from "../analysis/remedies.js";
import type { CertificateVariant, FieldDifference } from "../analysis/variants.js";
import type { NotFinishedReason } from "../outcome.js";
import type {
  CertificateInfo,
  ChainConnection,
  ClientCertificateUse,
  DiscoveryResult,
  EndpointProbe,
  MatrixCell,
  MemberProbe,
  ProbeError,
  TargetGroupResult,
} from "../probe/types.js";

export const REPORT_SCHEMA_VERSION = 1;

export interface LatencyStats {
  count: number;
  median: number | null;
  p95: number | null;
  max: number | null;
}

export function latencyStats(values: number[]): LatencyStats {
  if (values.length === 0) return { count: 0, median: null, p95: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: sorted.length, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

/** One finished endpoint's document. */
export interface EndpointReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  endpoint: EndpointProbe["endpoint"];
  startedAt: string;
  durationMs: number;
  summary: Omit<EndpointSummary, "handshakeLatencyMs"> & { handshakeLatencyMs: LatencyStats };
  variants: CertificateVariant[];
  differences: FieldDifference[];
  javaClients: JavaVerdict[];
  /** The same profiles connecting without SNI; present when a member presents another certificate without SNI. */
  javaClientsWithoutSni?: JavaVerdict[];
  remedies: Remedy[];
  findings: Finding[];
  certificates: CertificateInfo[];
  discovery: DiscoveryResult;
  targetGroup?: TargetGroupResult;
  /** The client certificate presented (mutual TLS): its source, subject and fingerprint, never the key. */
  clientCertificate?: ClientCertificateUse;
  members: MemberProbe[];
  vip: { target: string; connections: ChainConnection[] };
  matrix: MatrixCell[];
  matrixPlan?: { full: boolean; pairs: number; possible: number };
  error?: ProbeError;
}

/** An endpoint the deadline or its budget cut (or whose analysis failed): nothing is concluded from it. */
export interface NotFinishedReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  endpoint: EndpointProbe["endpoint"];
  notFinished: { reason: NotFinishedReason; message: string };
}

/** `--registry --json`: every endpoint's document, and the registry's rejected entries. */
export interface RegistryReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  registryErrors: string[];
  endpoints: Array<EndpointReport | NotFinishedReport>;
}

/**
 * What `--json` prints (and each `--jsonl` line: an EndpointReport or a NotFinishedReport). The schema generator
 * reads it by name (package.json "schema").
 * @public
 */
export type ReportDocument = EndpointReport | NotFinishedReport | RegistryReport;

export function notFinishedReport(endpoint: EndpointProbe["endpoint"], reason: NotFinishedReason, message: string): NotFinishedReport {
  return { schemaVersion: REPORT_SCHEMA_VERSION, endpoint, notFinished: { reason, message } };
}

export function registryReport(registryErrors: string[], endpoints: Array<EndpointReport | NotFinishedReport>): RegistryReport {
  return { schemaVersion: REPORT_SCHEMA_VERSION, registryErrors, endpoints };
}

/** One finished endpoint's `--json` document (the Lambda logs a shorter line per endpoint: monitor.ts endpointLine). */
export function endpointReport(probe: EndpointProbe, analysis: EndpointAnalysis): EndpointReport {
  const { handshakeLatencyMs, ...summary } = analysis.summary;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    endpoint: probe.endpoint,
    startedAt: probe.startedAt,
    durationMs: probe.durationMs,
    summary: { ...summary, handshakeLatencyMs: latencyStats(handshakeLatencyMs) },
    variants: analysis.variants,
    differences: analysis.differences,
    javaClients: analysis.javaClients,
    ...(analysis.javaClientsWithoutSni.length ? { javaClientsWithoutSni: analysis.javaClientsWithoutSni } : {}),
    remedies: analysis.remedies,
    findings: analysis.findings,
    certificates: Object.values(probe.certificates),
    discovery: probe.discovery,
    ...(probe.targetGroup ? { targetGroup: probe.targetGroup } : {}),
    ...(probe.clientCertificate ? { clientCertificate: probe.clientCertificate } : {}),
    members: probe.members,
    vip: { target: probe.vip.target, connections: vipConnections(probe) },
    matrix: probe.matrix,
    ...(probe.matrixPlan ? { matrixPlan: probe.matrixPlan } : {}),
    ...(probe.error ? { error: probe.error } : {}),
  };
}
