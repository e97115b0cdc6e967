import type { DiscoveryResult, ProbeError, ResumptionMechanism, TargetHealth } from "../probe/types.js";
import type { JavaVerdict } from "./java/verdict.js";
import type { Offer } from "./observations.js";
import type { CertificateVariant, FieldDifference, OfferView } from "./variants.js";

export type Severity = "critical" | "warning" | "info";

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

type Names = string[];
type CertificateEvidence = { certificates: Array<{ fingerprint: string; reasons: string[]; seenOn: string[] }> };

/**
 * What each kind of finding carries as evidence: one declaration per kind (a kind that several rules raise, such as
 * discovery, has the union of their shapes). The JSON Schema of the --json contract describes these exactly.
 */
export interface FindingEvidence {
  "certificate-divergence": { offers: OfferView[]; variants: CertificateVariant[]; differences: FieldDifference[] };
  "certificate-alternates": { members: Array<{ member: string; byOffer: Partial<Record<Offer, string>> }> };
  "certificate-change-on-resumption": {
    sameIdentity: boolean;
    vipConnections: Array<{ mechanism: ResumptionMechanism; index: number; offeredFrom?: number | undefined; leaf?: string | undefined }>;
    matrix: Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; leaf?: string | undefined }>;
  };
  "java-client-abort": { profiles: JavaVerdict[]; checkSwitches: string };
  "java-verdict-unknown": { profiles: JavaVerdict[] };
  "resumption-refused": { connections: Names };
  "resumption-failure": { offers: Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; error?: ProbeError | undefined }> };
  "resumption-shared": { accepted: Names };
  renegotiation:
    | { members: Array<{ member: string; before?: string | undefined; after?: string | undefined }> }
    | { members: Array<{ member: string; detail?: string | undefined }> }
    | { members: Names };
  "client-renegotiation-accepted": { members: Names };
  "handshake-failure":
    | { connections: Array<{ connection: string; error?: ProbeError | undefined }> }
    | { members: Array<{ member: string; error?: ProbeError | undefined }> }
    | { error: ProbeError };
  "tls13-unsupported": { connections: Names } | { withoutTls13: Names };
  "probe-resources": { connections: Names; codes: string[] };
  "session-too-large": { connections: Names; bytes: number };
  "server-flood": { members: Names; connections: Names };
  "direct-access": { members: Array<{ member: string; error?: ProbeError | undefined }> };
  "protocol-support": { members: Array<{ member: string; versions: string; suites: Partial<Record<string, boolean | undefined>> }> };
  "legacy-protocols": { members: Array<{ member: string; versions: string; suites: Partial<Record<string, boolean | undefined>> }> };
  "certificate-untrusted": CertificateEvidence;
  "certificate-expired": CertificateEvidence;
  "hostname-mismatch": CertificateEvidence;
  "certificate-unparseable": { certificates: Array<{ fingerprint: string; problems?: string[] | undefined }> };
  "expiry-soon": { certificates: Array<{ fingerprint: string; daysToExpiry: number; validTo: string }> };
  "ems-missing": { withoutEms: Names; withEms: Names };
  "secure-renegotiation-missing": { members: Names };
  "sni-certificate": {
    members: Array<{ member: string; withSni?: string | undefined; withoutSni?: string | undefined }>;
    differing: Names;
  };
  "certificate-chain": { members: Array<{ member: string; sent: Names; missing: Names }> };
  "client-certificate": {
    required: Names;
    notRequired: Names;
    refused: Names;
    configured: boolean;
    secretArn?: string;
    error?: ProbeError;
  };
  /** From the monitor's memory (lambda/memory/model.ts), not from one run's records. */
  "certificate-rotation": {
    changes: Array<{ member: string; from?: string; to: string }>;
    rollout?: { since: string; onNew: Names; onOld: Names; others: Names; completed: boolean; stalled: boolean };
  };
  discovery:
    | { error: ProbeError }
    | { discovery: DiscoveryResult }
    | { discovered: number; planned: number }
    | { targetGroupArn: string; error?: ProbeError }
    | { skipped: Array<{ id: string; reason?: string | undefined }> }
    | { targets: Array<{ id: string; address?: string | undefined; port?: number | undefined; health: TargetHealth }> }
    | { targets: number; planned: number };
}

export type FindingKind = keyof FindingEvidence;

/** A finding of one kind, with that kind's evidence (the records behind the message). */
export type FindingOf<K extends FindingKind> = {
  kind: K;
  severity: Severity;
  /** What was seen, in plain words. */
  message: string;
  /** What to do about it. */
  remedy?: string;
  evidence: FindingEvidence[K];
};

export type Finding = { [K in FindingKind]: FindingOf<K> }[FindingKind];

/**
 * Within a severity, what breaks clients now comes first (an expired certificate on one member fails a share of
 * every client's connections), then what can break some clients (a Java profile's risk), then hygiene.
 */
const IMPACT_ORDER: Record<FindingKind, number> = {
  "certificate-expired": 0,
  "certificate-untrusted": 0,
  "certificate-unparseable": 1,
  "hostname-mismatch": 0,
  "resumption-failure": 0,
  "handshake-failure": 0,
  "java-client-abort": 1,
  "certificate-divergence": 1,
  "certificate-change-on-resumption": 1,
  renegotiation: 1,
  "secure-renegotiation-missing": 1,
  "expiry-soon": 1,
  "ems-missing": 2,
  "tls13-unsupported": 2,
  "client-renegotiation-accepted": 2,
  // A warning only when the members could not be found at all (a target group that could not be read or is empty,
  // DNS that failed, no member listed): the pool is judged through its VIP alone, so what clients get from the
  // members is unknown (exit 1, as for a probe the deadline cut), never "OK … 0 members".
  discovery: 1,
  // Not hygiene: members the monitor cannot authenticate to are members whose verdicts are unknown (exit 1, like a
  // probe the deadline cut), and a certificate some members refuse fails real clients there.
  "client-certificate": 1,
  // The monitor cannot see the members; clients through the VIP are not affected by that.
  "direct-access": 2,
  // Results missing because of the probe's machine: what clients get is unknown, not broken.
  "probe-resources": 2,
  // Not measured, not broken: the Java verdicts say unknown for these members.
  "session-too-large": 1,
  // Every client of that member burns CPU on it, and what the cut connections would have shown is unknown.
  "server-flood": 1,
  "protocol-support": 0,
  "legacy-protocols": 2,
  "sni-certificate": 1,
  "certificate-chain": 1,
  "java-verdict-unknown": 2,
  "certificate-alternates": 3,
  // A rollout in progress is expected divergence; a stalled one (a warning) is what the divergence finding says.
  "certificate-rotation": 2,
  "resumption-refused": 3,
  "resumption-shared": 3,
};

/**
 * Findings that break or can break clients, as opposed to hygiene (a member's own hardening: EMS, TLS 1.3, client
 * renegotiation). The CLI's exit code and "clean" mean: no such finding above info.
 */
export const affectsClients = (f: Finding): boolean => f.severity === "critical" || (f.severity === "warning" && IMPACT_ORDER[f.kind] <= 1);

export function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || IMPACT_ORDER[a.kind] - IMPACT_ORDER[b.kind];
}
