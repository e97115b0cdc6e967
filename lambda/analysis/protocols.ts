/**
 * Protocol versions and TLS 1.2 suite families per member, judged per client: a member a class of clients cannot
 * talk to at all breaks that class on every connection routed there (the first seed, Broadcom KB 8493: one end still
 * on an old protocol). Legacy versions beside modern ones are hygiene, as testssl.sh rates them.
 */
import type { EndpointProbe, MemberProbe, ProtocolVersion } from "../probe/types.js";
import type { SuiteFamily } from "../probe/tls-context.js";
import type { Finding } from "./finding.js";
import { plural } from "./observations.js";

/** Every modern client: JDK 8u291+ and 11.0.11+ disable TLS 1.0/1.1 (JDK-8202343), as curl, browsers and Node do. */
const MODERN_CLIENTS = "every modern client (JDK 8u291+ and 11.0.11+, curl, browsers, Node, OpenSSL 3 at its default level)";
const NO_TLS13_CLIENTS = "clients without TLS 1.3: JDK 8 with its defaults (TLS 1.3 is not in its default offer) and clients pinned to TLS 1.2";
/** JDK 8's TLS 1.2 suites: AES-GCM and CBC with ECDHE or RSA key exchange; no ChaCha20 (it arrived in JDK 12). */
const JDK8_FAMILIES: SuiteFamily[] = ["ecdhe-aesgcm", "ecdhe-cbc", "rsa-kx"];

const versions = (m: MemberProbe) => m.protocols;
const has = (m: MemberProbe, v: ProtocolVersion) => versions(m)?.[v];
const NAMES: Record<ProtocolVersion, string> = { SSLv3: "SSL 3.0", TLSv1: "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3" };
const named = (v: ProtocolVersion) => NAMES[v];

/** The versions a member was seen to accept, in words ("TLS 1.0, TLS 1.2"). */
export function acceptedVersions(m: MemberProbe): string {
  const list = (["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const).filter((v) => has(m, v) === true).map(named);
  return list.length ? list.join(", ") : "none seen";
}

export function protocolFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const known = probe.members.filter((m) => versions(m) !== undefined);
  const evidence = (ms: MemberProbe[]) => ({ members: ms.map((m) => ({ member: m.label, versions: acceptedVersions(m), suites: m.tls12Suites ?? {} })) });

  // No TLS 1.2 or 1.3, but a legacy version: only legacy clients connect.
  const legacy = (m: MemberProbe) => has(m, "SSLv3") || has(m, "TLSv1") || has(m, "TLSv1.1");
  const legacyOnly = known.filter((m) => has(m, "TLSv1.2") === false && has(m, "TLSv1.3") === false && legacy(m));
  if (legacyOnly.length)
    findings.push({
      kind: "protocol-support",
      severity: "critical",
      message:
        `${plural(legacyOnly.length, "member")} of ${probe.members.length} speak${legacyOnly.length === 1 ? "s" : ""} only legacy TLS: ${legacyOnly.map((m) => `${m.label} (${acceptedVersions(m)})`).join(", ")}. ` +
        `${MODERN_CLIENTS} fails on every connection routed there; only legacy clients (JDK 8 before 8u291, API gateways configured for legacy backends) connect.`,
      remedy: "Enable TLS 1.2 (and 1.3) on that member, or take it out of the pool until it has them.",
      evidence: evidence(legacyOnly),
    });
  // TLS 1.3 only.
  const tls13Only = known.filter((m) => has(m, "TLSv1.3") === true && has(m, "TLSv1.2") === false);
  if (tls13Only.length)
    findings.push({
      kind: "protocol-support",
      severity: tls13Only.length === probe.members.length ? "warning" : "critical",
      message:
        `${plural(tls13Only.length, "member")} accept${tls13Only.length === 1 ? "s" : ""} only TLS 1.3: ${tls13Only.map((m) => m.label).join(", ")}. ` +
        `${NO_TLS13_CLIENTS} fail on every connection routed there${tls13Only.length < probe.members.length ? " and succeed on the other members: failures depend on routing" : ""}.`,
      remedy: "Enable TLS 1.2 beside TLS 1.3 on these members (nginx: ssl_protocols TLSv1.2 TLSv1.3; Jetty: ssl-protocols = TLSv1.3,TLSv1.2).",
      evidence: evidence(tls13Only),
    });
  // TLS 1.2 with no suite JDK 8 has (only ChaCha20, say).
  const noJdk8Suite = known.filter((m) => has(m, "TLSv1.2") === true && m.tls12Suites && JDK8_FAMILIES.every((f) => m.tls12Suites![f] === false));
  if (noJdk8Suite.length)
    findings.push({
      kind: "protocol-support",
      severity: noJdk8Suite.length === probe.members.length ? "warning" : "critical",
      message:
        `${plural(noJdk8Suite.length, "member")} accept${noJdk8Suite.length === 1 ? "s" : ""} no TLS 1.2 suite that JDK 8 has (${noJdk8Suite
          .map(
            (m) =>
              `${m.label}: ${
                Object.entries(m.tls12Suites!)
                  .filter(([, ok]) => ok)
                  .map(([f]) => f)
                  .join(", ") || "none"
              }`,
          )
          .join("; ")}). ` + "Java 8 clients (JDK 8u25–8u51, 8u60–8u152, 8u161+: no ChaCha20) fail on every connection routed there.",
      remedy: "Enable ECDHE with AES-GCM on these members (nginx: ssl_ciphers with ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256 first).",
      evidence: evidence(noJdk8Suite),
    });
  // Legacy versions enabled beside TLS 1.2/1.3: hygiene (testssl.sh flags TLS 1.0 and 1.1 as deprecated).
  const legacyBeside = known.filter((m) => legacy(m) && (has(m, "TLSv1.2") || has(m, "TLSv1.3")));
  if (legacyBeside.length)
    findings.push({
      kind: "legacy-protocols",
      severity: "warning",
      message:
        `${plural(legacyBeside.length, "member")} also accept${legacyBeside.length === 1 ? "s" : ""} deprecated versions (RFC 8996${legacyBeside.some((m) => has(m, "SSLv3")) ? "; SSL 3.0: RFC 7568, POODLE" : ""}): ` +
        `${legacyBeside.map((m) => `${m.label} (${acceptedVersions(m)})`).join(", ")}.`,
      remedy: "Disable SSL 3.0, TLS 1.0 and 1.1 unless a legacy client still needs them (nginx: ssl_protocols TLSv1.2 TLSv1.3).",
      evidence: evidence(legacyBeside),
    });
  // Members that accept different versions split clients by routing (said once, beside the findings above).
  const signatures = new Set(known.map(acceptedVersions));
  if (signatures.size > 1 && !findings.some((f) => f.kind === "protocol-support"))
    findings.push({
      kind: "protocol-support",
      severity: "info",
      message: `Members accept different versions (${known.map((m) => `${m.label}: ${acceptedVersions(m)}`).join("; ")}): a client limited to a version some members lack fails there only.`,
      evidence: evidence(known),
    });
  return findings;
}
