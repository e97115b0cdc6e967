export type Severity = "critical" | "warning" | "info";

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export type FindingKind =
  | "certificate-divergence"
  | "certificate-alternates"
  | "certificate-change-on-resumption"
  | "java-client-abort"
  | "java-verdict-unknown"
  | "resumption-refused"
  | "resumption-failure"
  | "resumption-shared"
  | "renegotiation"
  | "client-renegotiation-accepted"
  | "handshake-failure"
  | "tls13-unsupported"
  | "certificate-untrusted"
  | "certificate-unparseable"
  | "certificate-expired"
  | "hostname-mismatch"
  | "expiry-soon"
  | "ems-missing"
  | "secure-renegotiation-missing"
  | "discovery";

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** What was seen, in plain words. */
  message: string;
  /** What to do about it. */
  remedy?: string;
  /** The records behind the message: member labels, connection indexes, fingerprints. */
  evidence: Record<string, unknown>;
}

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
  discovery: 2,
  "java-verdict-unknown": 2,
  "certificate-alternates": 3,
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
