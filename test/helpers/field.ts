/** Probing a pool of real servers behind HAProxy (`mode tcp`) and reading what an operator would read. */
import { analyzeEndpoint, type EndpointAnalysis } from "../../lambda/analysis/index.js";
import type { FindingKind, FindingOf } from "../../lambda/analysis/finding.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { EndpointProbe } from "../../lambda/probe/types.js";
import { endpointOf, type Endpoint } from "../../lambda/registry/schema.js";
import { endpointReport } from "../../lambda/report/json.js";
import { reportSchemaErrors } from "./contract.js";
import type { RunningProcess } from "./processes.js";

export interface FieldResult {
  probe: EndpointProbe;
  analysis: EndpointAnalysis;
  /** The CLI's exit code for this result: 1 when a finding breaks or can break clients. */
  exitCode: 0 | 1;
  finding<K extends FindingKind>(kind: K): FindingOf<K> | undefined;
  verdict(profile: string): string | undefined;
}

export function endpointFor(vip: { host: string; port: number }, members: RunningProcess[], servername: string, caPem: string, attempts = 4): Endpoint {
  return endpointOf({
    name: "field",
    host: vip.host,
    port: vip.port,
    servername,
    members: members.map((m) => m.label),
    discover: "none",
    attempts,
    ca: caPem,
    timeoutMs: 3000,
  });
}

export async function probeField(endpoint: Endpoint): Promise<FieldResult> {
  const probe = await probeEndpoint(endpoint);
  return resultOf(probe);
}

export function resultOf(probe: EndpointProbe): FieldResult {
  const analysis = analyzeEndpoint(probe);
  // Every real-server result is also a check of the --json contract.
  const contract = reportSchemaErrors(endpointReport(probe, analysis));
  if (contract.length) throw new Error(`the --json document breaks schema/report.schema.json: ${contract.join("; ")}`);
  return {
    probe,
    analysis,
    exitCode: analysis.summary.clientAffectingFindings > 0 ? 1 : 0,
    // The kind is the discriminant: the finding found has that kind's evidence.
    finding: <K extends FindingKind>(kind: K) => analysis.findings.find((f) => f.kind === kind) as FindingOf<K> | undefined,
    verdict: (profile) => analysis.javaClients.find((v) => v.profile === profile)?.verdict,
  };
}

/** Findings as `severity:kind`, for messages when an assertion fails. */
export const findingKinds = (r: FieldResult): string[] => r.analysis.findings.map((f) => `${f.severity}:${f.kind}`);
