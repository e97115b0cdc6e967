/** RFC 7627 extended master secret and RFC 5746 secure renegotiation, per member, from its TLS 1.2 handshake. */
import type { EndpointProbe, MemberProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { plural } from "./observations.js";

/**
 * A member's EMS over TLS 1.2: true, false, or undefined when its TLS 1.2 handshake failed or its session was
 * unreadable. A handshake the server ended over the client certificate still tells: its ServerHello (and so the
 * session's EMS flag) came before the alert.
 */
export const memberEms = (m: MemberProbe): boolean | undefined =>
  m.tls12.error && m.tls12.error.class !== "client-certificate" ? undefined : m.tls12.session?.extendedMasterSecret;

export const membersWithoutEms = (probe: EndpointProbe): MemberProbe[] => probe.members.filter((m) => memberEms(m) === false);

export function emsFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const known = probe.members.filter((m) => memberEms(m) !== undefined);
  const without = membersWithoutEms(probe);
  if (without.length) {
    const mixed = without.length < known.length;
    findings.push({
      kind: "ems-missing",
      severity: "warning",
      message: `${plural(without.length, "member")} of ${known.length} ${without.length === 1 ? "does" : "do"} not negotiate the extended master secret (RFC 7627): ${without
        .map((m) => m.label)
        .join(
          ", ",
        )}.${mixed ? " In a mixed pool even current Java clients (8u161+, 11+) can abort when a session resumed elsewhere is refused here." : " Java clients keep the certificate-change check active against these members."}`,
      remedy: "Enable EMS on every member (OpenSSL ≥ 1.1.0 has it on unless SSL_OP_NO_EXTENDED_MASTER_SECRET is set; check the TLS terminator's options).",
      evidence: { withoutEms: without.map((m) => m.label), withEms: known.filter((m) => !without.includes(m)).map((m) => m.label) },
    });
  }
  const insecure = probe.members.filter((m) => !m.tls12.error && m.tls12.secureRenegotiation === false);
  if (insecure.length) {
    findings.push({
      kind: "secure-renegotiation-missing",
      severity: "warning",
      message: `${plural(insecure.length, "member")} lack RFC 5746 secure renegotiation: ${insecure.map((m) => m.label).join(", ")}. Default OpenSSL and Node clients refuse to connect to them.`,
      remedy: "Upgrade the TLS library on these members.",
      evidence: { members: insecure.map((m) => m.label) },
    });
  }
  return findings;
}
