/** Chain and hostname validation: failures are findings (the probe went on and compared fingerprints anyway). */
import type { EndpointProbe, HandshakeRecord, VerificationClass } from "../probe/types.js";
import type { Finding, FindingKind } from "./finding.js";
import { certificateName, memberHandshakes, vipConnections } from "./observations.js";

const KIND: Record<VerificationClass, Extract<FindingKind, "certificate-untrusted" | "certificate-expired" | "hostname-mismatch">> = {
  untrusted: "certificate-untrusted",
  expired: "certificate-expired",
  "hostname-mismatch": "hostname-mismatch",
};

const REMEDY: Record<VerificationClass, string> = {
  untrusted: "Serve the full chain up to a root the clients trust (or pass the private root with --ca / the registry's ca).",
  expired: "Renew the certificate and install it on every member.",
  "hostname-mismatch": "Issue the certificate with the service name (the one clients connect to) as a DNS SAN.",
};

export function validationFindings(probe: EndpointProbe): Finding[] {
  const servername = probe.endpoint.servername;
  const seen: Array<{ where: string; record: HandshakeRecord }> = [
    ...memberHandshakes(probe).map(({ member, record }) => ({ where: member.label, record })),
    ...vipConnections(probe)
      .filter((c) => !c.resumed)
      .map((c) => ({ where: `VIP ${c.mechanism} #${c.index}`, record: c })),
  ];
  const findings: Finding[] = [];
  for (const cls of ["expired", "untrusted", "hostname-mismatch"] as const) {
    // One finding per failure class, listing each distinct certificate once with where it was seen.
    const byLeaf = new Map<string, { reasons: Set<string>; where: Set<string> }>();
    for (const { where, record } of seen) {
      const v = record.verification;
      if (!record.leaf || !v) continue;
      const hit = cls === "hostname-mismatch" ? !v.hostnameMatches : !v.chainTrusted && v.failure === cls;
      if (!hit) continue;
      const entry = byLeaf.get(record.leaf) ?? { reasons: new Set<string>(), where: new Set<string>() };
      entry.reasons.add((cls === "hostname-mismatch" ? v.hostnameError : v.chainError) ?? cls);
      entry.where.add(where);
      byLeaf.set(record.leaf, entry);
    }
    if (byLeaf.size === 0) continue;
    const list = [...byLeaf.entries()].map(
      ([leaf, e]) => `${certificateName(probe, leaf)} (${[...e.reasons].join("; ")}) on ${[...e.where].slice(0, 4).join(", ")}${e.where.size > 4 ? ", …" : ""}`,
    );
    const what =
      cls === "expired" ? "is outside its validity period" : cls === "untrusted" ? "does not chain to a trusted root" : `does not match ${servername}`;
    findings.push({
      kind: KIND[cls],
      severity: "critical",
      message: `${byLeaf.size === 1 ? "A certificate" : `${byLeaf.size} certificates`} presented for ${servername} ${what}: ${list.join("; ")}.`,
      remedy: REMEDY[cls],
      evidence: { certificates: [...byLeaf.entries()].map(([leaf, e]) => ({ fingerprint: leaf, reasons: [...e.reasons], seenOn: [...e.where] })) },
    });
  }
  return findings;
}
