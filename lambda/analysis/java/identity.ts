/**
 * The JDK's "identity equivalence" of two server leaf certificates: the test a Java client applies when a server
 * refuses to resume a session that had been resumed before and presents a certificate in a full handshake.
 * Two historic variants exist; both are transcribed from OpenJDK's ClientHandshaker.isIdentityEquivalent (JDK 8)
 * and CertificateMessage.T12CertificateConsumer (JDK 11+); the fix that changed it is JDK-8072385.
 */
import type { CertificateInfo } from "../../probe/types.js";

export type IdentityRule = "first-san" | "any-san";

/** The certificate facts the rule reads. */
export type IdentityFacts = Pick<CertificateInfo, "fingerprint256" | "subject" | "issuer" | "sanDns" | "sanIp">;

/**
 * X500Principal.equals compares RFC 2253 canonical forms: case and surrounding whitespace of values do not count.
 * Node prints names as `CN=a, O=b`; lower-casing and collapsing spaces is the same comparison for the names
 * certificates carry in practice.
 */
const canonicalName = (dn: string) =>
  dn
    .toLowerCase()
    .replace(/\s*,\s*/g, ",")
    .replace(/\s*=\s*/g, "=")
    .replace(/\s+/g, " ")
    .trim();

function sameSubjectAndIssuer(a: IdentityFacts, b: IdentityFacts): boolean {
  // JDK: !thisSubject.getName().isEmpty() && thisSubject.equals(prevSubject) && thisIssuer.equals(prevIssuer)
  return a.subject !== "" && b.subject !== "" && canonicalName(a.subject) === canonicalName(b.subject) && canonicalName(a.issuer) === canonicalName(b.issuer);
}

/**
 * JDK 8u60+ and 11+ (after JDK-8072385): equal certificates; or any iPAddress SAN in common (equalsIgnoreCase); or
 * any dNSName SAN in common, compared case-insensitively and literally (`*.x` is not `a.x`); or the same non-empty
 * subject and the same issuer. A SAN test that fails falls through to the next.
 */
export function identityEquivalentAnySan(a: IdentityFacts, b: IdentityFacts): boolean {
  if (a.fingerprint256 === b.fingerprint256) return true;
  const anyInCommon = (x: string[], y: string[]) => x.some((v) => y.some((w) => v.toLowerCase() === w.toLowerCase()));
  if (a.sanIp.length && b.sanIp.length && anyInCommon(a.sanIp, b.sanIp)) return true;
  if (a.sanDns.length && b.sanDns.length && anyInCommon(a.sanDns, b.sanDns)) return true;
  return sameSubjectAndIssuer(a, b);
}

/**
 * JDK 8u25–8u51 (and 7u71–): only the FIRST iPAddress and the FIRST dNSName SAN are compared, case-sensitively,
 * and when both certificates have that SAN type the comparison's result is returned at once, even when false: the
 * subject/issuer test is never reached. So the same SANs in another order break clients (security.stackexchange
 * 137095).
 */
export function identityEquivalentFirstSan(a: IdentityFacts, b: IdentityFacts): boolean {
  if (a.fingerprint256 === b.fingerprint256) return true;
  if (a.sanIp.length && b.sanIp.length) return a.sanIp[0] === b.sanIp[0];
  if (a.sanDns.length && b.sanDns.length) return a.sanDns[0] === b.sanDns[0];
  return sameSubjectAndIssuer(a, b);
}

export function identityEquivalent(rule: IdentityRule, a: IdentityFacts, b: IdentityFacts): boolean {
  return rule === "first-san" ? identityEquivalentFirstSan(a, b) : identityEquivalentAnySan(a, b);
}

/** Why two leaves are (not) equivalent under the rule, for messages. */
export function explainIdentity(rule: IdentityRule, a: IdentityFacts, b: IdentityFacts): string {
  if (a.fingerprint256 === b.fingerprint256) return "the same certificate";
  if (rule === "first-san") {
    if (a.sanIp.length && b.sanIp.length)
      return `first IP SAN ${a.sanIp[0]} vs ${b.sanIp[0]}${a.sanIp[0] === b.sanIp[0] ? " (equal)" : " (differ, and the JDK stops there)"}`;
    if (a.sanDns.length && b.sanDns.length) {
      return `first DNS SAN ${a.sanDns[0]} vs ${b.sanDns[0]}${a.sanDns[0] === b.sanDns[0] ? " (equal)" : " (differ, and the JDK stops there)"}`;
    }
  } else {
    const common = a.sanDns.filter((v) => b.sanDns.some((w) => w.toLowerCase() === v.toLowerCase()));
    if (common.length) return `a DNS SAN in common (${common[0]})`;
    const ip = a.sanIp.filter((v) => b.sanIp.some((w) => w.toLowerCase() === v.toLowerCase()));
    if (ip.length) return `an IP SAN in common (${ip[0]})`;
  }
  if (sameSubjectAndIssuer(a, b)) return "the same subject and issuer";
  return `no shared SAN, and subject ${a.subject || "(empty)"} vs ${b.subject || "(empty)"}${canonicalName(a.subject) === canonicalName(b.subject) ? ` with issuers ${a.issuer} vs ${b.issuer}` : ""}`;
}
