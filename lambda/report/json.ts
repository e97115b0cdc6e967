import type { EndpointAnalysis } from "../analysis/index.js";
import { vipConnections } from "../analysis/observations.js";
import type { EndpointProbe } from "../probe/types.js";

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

/** One endpoint's result as the `--json` document (and the Lambda's log line source). */
export function endpointReport(probe: EndpointProbe, analysis: EndpointAnalysis) {
  const { handshakeLatencyMs, ...summary } = analysis.summary;
  return {
    endpoint: probe.endpoint,
    startedAt: probe.startedAt,
    durationMs: probe.durationMs,
    summary: { ...summary, handshakeLatencyMs: latencyStats(handshakeLatencyMs) },
    variants: analysis.variants,
    differences: analysis.differences,
    javaClients: analysis.javaClients,
    remedies: analysis.remedies,
    findings: analysis.findings,
    certificates: Object.values(probe.certificates),
    discovery: probe.discovery,
    ...(probe.targetGroup ? { targetGroup: probe.targetGroup } : {}),
    members: probe.members,
    vip: { target: probe.vip.target, connections: vipConnections(probe) },
    matrix: probe.matrix,
    ...(probe.matrixPlan ? { matrixPlan: probe.matrixPlan } : {}),
    ...(probe.error ? { error: probe.error } : {}),
  };
}

export type EndpointReport = ReturnType<typeof endpointReport>;
