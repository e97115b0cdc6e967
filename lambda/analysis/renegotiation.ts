import type { EndpointProbe, MemberProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { certificateName, plural } from "./observations.js";

export const renegotiationFailures = (probe: EndpointProbe): MemberProbe[] =>
  probe.members.filter((m) => m.renegotiation.outcome === "failed" || m.renegotiation.outcome === "certificate-changed");

export function renegotiationFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const changed = probe.members.filter((m) => m.renegotiation.outcome === "certificate-changed");
  const failed = probe.members.filter((m) => m.renegotiation.outcome === "failed");
  const refused = probe.members.filter((m) => m.renegotiation.outcome === "refused");
  if (changed.length) {
    findings.push({
      kind: "renegotiation",
      severity: "warning",
      message: `${plural(changed.length, "member")} presented a different certificate when the client renegotiated: ${changed
        .map((m) => `${m.label} (${certificateName(probe, m.renegotiation.leafBefore)} → ${certificateName(probe, m.renegotiation.leafAfter)})`)
        .join(", ")}. Java clients abort on this.`,
      remedy: "Serve one certificate per name on each member (check SNI/virtual-host configuration), or disable client-initiated renegotiation.",
      evidence: { members: changed.map((m) => ({ member: m.label, before: m.renegotiation.leafBefore, after: m.renegotiation.leafAfter })) },
    });
  }
  if (failed.length) {
    findings.push({
      kind: "renegotiation",
      severity: "warning",
      message: `Client-initiated renegotiation failed on ${plural(failed.length, "member")} without a clean refusal: ${failed.map((m) => `${m.label} (${m.renegotiation.detail})`).join(", ")}.`,
      remedy:
        "A member that drops the connection or hangs on renegotiation breaks clients that renegotiate; make it refuse with a no_renegotiation alert (OpenSSL's default) or allow it.",
      evidence: { members: failed.map((m) => ({ member: m.label, detail: m.renegotiation.detail })) },
    });
  }
  const accepted = probe.members.filter((m) => m.renegotiation.outcome === "ok");
  if (accepted.length) {
    findings.push({
      kind: "client-renegotiation-accepted",
      severity: "warning",
      message: `${plural(accepted.length, "member")} accept${accepted.length === 1 ? "s" : ""} client-initiated renegotiation: ${accepted.map((m) => m.label).join(", ")}. Each renegotiation costs the server a full handshake's work at the client's bidding, a denial-of-service lever (CVE-2011-1473; testssl.sh flags it).`,
      remedy:
        "Refuse client-initiated renegotiation on these members (OpenSSL-based servers such as nginx and Apache refuse it by default; with other TLS stacks the server's configuration or application decides).",
      evidence: { members: accepted.map((m) => m.label) },
    });
  }
  if (refused.length) {
    findings.push({
      kind: "renegotiation",
      severity: "info",
      message: `Client-initiated renegotiation is refused by ${plural(refused.length, "member")} (${refused.map((m) => m.label).join(", ")}), as OpenSSL does by default: harmless.`,
      evidence: { members: refused.map((m) => m.label) },
    });
  }
  return findings;
}
