/**
 * The `--json` document as a contract: declared types (ReportDocument), a schemaVersion, and the JSON Schema
 * generated from these types into schema/report.schema.json (`npm run schema`; a test fails when it is stale).
 *
 * Versioning policy (docs/json.md): REPORT_SCHEMA_VERSION is bumped when a field changes meaning, changes type or
 * goes away. Adding a field keeps it, so the published schema allows properties it does not declare and a consumer
 * must ignore the ones it does not know; our own tests validate against the strict form (every property declared).
 */
import type { EndpointAnalysis, EndpointSummary } from "../analysis/index.js";
import type { Finding } from "../analysis/finding.js";
import type { JavaVerdict } from "../analysis/java/verdict.js";
import { vipConnections } from "../analysis/observations.js";
import type { Remedy } from "../analysis/remedies.js";
import type { CertificateVariant, FieldDifference } from "../analysis/variants.js";
import type { NotFinishedReason } from "../outcome.js";
import { toolVersion } from "../usage.js";
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

/** Who wrote the document. */
export interface ToolInfo {
  name: "tls-pool-monitor";
  version: string;
}

/**
 * The document's answer in one word, as the exit status says it: `ok` (0) nothing breaks or can break clients;
 * `findings` (1) something does (or a registry entry was rejected); `not-finished` (1) a deadline or budget cut an
 * endpoint short, nothing is concluded from it; `unreachable` (3) nothing could be probed.
 */
export type ReportVerdict = "ok" | "findings" | "not-finished" | "unreachable";

/** One finished endpoint's verdict. */
export function endpointVerdict(summary: Pick<EndpointSummary, "reachable" | "clientAffectingFindings">): ReportVerdict {
  if (!summary.reachable) return "unreachable";
  return summary.clientAffectingFindings > 0 ? "findings" : "ok";
}

/**
 * Several endpoints' verdict: unreachable only when every endpoint is (or there is none); findings over
 * not-finished (what was concluded is said first); ok only when every endpoint is ok and no entry was rejected.
 */
export function runVerdict(verdicts: readonly ReportVerdict[], rejectedEntries = 0): ReportVerdict {
  if (verdicts.length === 0 || verdicts.every((v) => v === "unreachable")) return "unreachable";
  if (rejectedEntries > 0 || verdicts.some((v) => v === "findings" || v === "unreachable")) return "findings";
  return verdicts.some((v) => v === "not-finished") ? "not-finished" : "ok";
}

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

const TOOL: ToolInfo = { name: "tls-pool-monitor", version: toolVersion() };

/** One finished endpoint's document. */
export interface EndpointReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: ToolInfo;
  verdict: ReportVerdict;
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
  tool: ToolInfo;
  verdict: "not-finished";
  endpoint: EndpointProbe["endpoint"];
  notFinished: { reason: NotFinishedReason; message: string };
}

/** `--registry --json`: every endpoint's document, and the registry's rejected entries. */
export interface RegistryReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: ToolInfo;
  verdict: ReportVerdict;
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
  return { schemaVersion: REPORT_SCHEMA_VERSION, tool: TOOL, verdict: "not-finished", endpoint, notFinished: { reason, message } };
}

export function registryReport(registryErrors: string[], endpoints: Array<EndpointReport | NotFinishedReport>): RegistryReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: TOOL,
    verdict: runVerdict(
      endpoints.map((e) => e.verdict),
      registryErrors.length,
    ),
    registryErrors,
    endpoints,
  };
}

/** One finished endpoint's `--json` document (the Lambda logs a shorter line per endpoint: monitor.ts endpointLine). */
export function endpointReport(probe: EndpointProbe, analysis: EndpointAnalysis): EndpointReport {
  const { handshakeLatencyMs, ...summary } = analysis.summary;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: TOOL,
    verdict: endpointVerdict(analysis.summary),
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
