/**
 * The chain each member sends (recorded with a trust store of nothing, so that no intermediate is completed from
 * the store). A member that leaves out an intermediate works for clients that hold it (browsers fetch it, OpenSSL
 * finds it in a bundle such as Puppet's ca.pem) and fails for clients that trust only the root: Java clients do not
 * fetch missing intermediates (measured: PKIX failure on every connection to that member).
 */
import type { EndpointProbe, MemberProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { certificateName, plural } from "./observations.js";

const selfSigned = (probe: EndpointProbe, fp: string) => {
  const c = probe.certificates[fp];
  return c !== undefined && c.subject === c.issuer;
};

/**
 * The intermediates a member did not send: certificates of the chain the probe completed from its trust store
 * (the TLS 1.2 handshake's chain) that are not the root and not among the certificates sent.
 */
export function missingIntermediates(probe: EndpointProbe, m: MemberProbe): string[] {
  if (!m.sentChain || m.tls12.error || m.tls12.leaf !== m.sentChain[0]) return [];
  const sent = new Set(m.sentChain);
  return m.tls12.chain.slice(1).filter((fp) => !sent.has(fp) && !selfSigned(probe, fp));
}

/** The intermediates as sent (the leaf and any root left out), as a comparable key. */
const intermediatesKey = (probe: EndpointProbe, m: MemberProbe) =>
  (m.sentChain ?? [])
    .slice(1)
    .filter((fp) => !selfSigned(probe, fp))
    .join(",");

export function chainFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const incomplete = probe.members.map((m) => ({ m, missing: missingIntermediates(probe, m) })).filter((x) => x.missing.length);
  if (incomplete.length) {
    findings.push({
      kind: "certificate-chain",
      severity: "warning",
      message:
        `${plural(incomplete.length, "member")} of ${probe.members.length} send${incomplete.length === 1 ? "s" : ""} an incomplete chain: ` +
        incomplete.map(({ m, missing }) => `${m.label} leaves out ${missing.map((fp) => certificateName(probe, fp)).join(", ")}`).join("; ") +
        ". Clients that trust only the root fail there (Java clients do not fetch missing intermediates); the probe completed it only from its own trust store.",
      remedy:
        "Send the intermediate(s) with the leaf on every member (nginx: ssl_certificate with the full chain; Apache: SSLCertificateFile with the chain; Jetty: the key store entry with its chain).",
      evidence: { members: incomplete.map(({ m, missing }) => ({ member: m.label, sent: m.sentChain ?? [], missing })) },
    });
  }
  // Beyond what is missing: members that send other intermediates, extra ones, or the root (harmless, but not the same).
  const sentBy = probe.members.filter((m) => m.sentChain && !incomplete.some((x) => x.m === m));
  const keys = new Map<string, MemberProbe[]>();
  for (const m of sentBy) keys.set(intermediatesKey(probe, m), [...(keys.get(intermediatesKey(probe, m)) ?? []), m]);
  const rootSenders = sentBy.filter((m) => (m.sentChain ?? []).slice(1).some((fp) => selfSigned(probe, fp)));
  if (keys.size > 1 || (rootSenders.length > 0 && rootSenders.length < sentBy.length)) {
    findings.push({
      kind: "certificate-chain",
      severity: "info",
      message: `Members send different chains (${[...keys.values()].map((ms) => `${ms.map((m) => m.label).join(", ")}: ${ms[0]!.sentChain!.length} certificate(s)`).join("; ")}${rootSenders.length ? `; ${rootSenders.map((m) => m.label).join(", ")} also send the root` : ""}).`,
      remedy: "Deploy the same chain file on every member.",
      evidence: { members: sentBy.map((m) => ({ member: m.label, sent: m.sentChain ?? [], missing: [] })) },
    });
  }
  return findings;
}
