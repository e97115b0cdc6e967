export type Severity = "critical" | "warning" | "info";

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export type FindingKind =
  | "certificate-divergence"
  | "certificate-change-on-resumption"
  | "java-client-abort"
  | "resumption-refused"
  | "resumption-failure"
  | "resumption-shared"
  | "renegotiation"
  | "handshake-failure"
  | "tls13-unsupported"
  | "certificate-untrusted"
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

export function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
}
