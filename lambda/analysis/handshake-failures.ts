import { plainError } from "../probe/errors.js";
import type { EndpointProbe, ErrorClass, HandshakeRecord } from "../probe/types.js";
import { isClientCertificateRefusal } from "./client-auth.js";
import type { Finding } from "./finding.js";
import { connectionName, memberHandshakes, plural, versionRefusal, vipConnections } from "./observations.js";

/**
 * Handshakes that failed for a reason other than the server not offering the version we asked for, or ending the
 * handshake over the client certificate (the client-certificate finding says that once, for the pool).
 */
export function failedHandshakes(probe: EndpointProbe): HandshakeRecord[] {
  const isVersionRefusal = versionRefusal(probe);
  const records: HandshakeRecord[] = [...vipConnections(probe), ...memberHandshakes(probe).map((h) => h.record)];
  return records.filter((r) => r.error && !isVersionRefusal(r) && !isClientCertificateRefusal(r) && !isLocal(r));
}

/** The probe's machine could not open the connection: the server was never asked. */
const isLocal = (r: HandshakeRecord): boolean => r.error?.class === "local-resource";

/** Records that count for handshake failures: not version refusals, not client-certificate refusals, not ours. */
const counted = (probe: EndpointProbe) => {
  const isVersionRefusal = versionRefusal(probe);
  return (r: HandshakeRecord) => !isVersionRefusal(r) && !isClientCertificateRefusal(r) && !isLocal(r);
};

/** Connections the probe's own machine could not open (out of file descriptors, buffers): said once, as ours. */
function localResourceFinding(probe: EndpointProbe): Finding[] {
  const vip = vipConnections(probe).filter(isLocal);
  const members = memberHandshakes(probe).filter((h) => isLocal(h.record));
  const records = [...vip, ...members.map((h) => h.record)];
  if (records.length === 0) return [];
  const codes = [...new Set(records.map((r) => r.error!.code ?? r.error!.class))].join(", ");
  return [
    {
      kind: "probe-resources",
      severity: "warning",
      message: `${plural(records.length, "connection")} could not be opened on the probe's own machine (${codes}): those results are missing, not failures of the servers.`,
      remedy: "Raise the probe's file-descriptor limit (ulimit -n) or lower --concurrency, and probe again.",
      evidence: { connections: [...vip.map(connectionName), ...members.map((h) => `${h.member.label} ${h.kind}`)], codes: codes.split(", ") },
    },
  ];
}

function classes(records: HandshakeRecord[]): Partial<Record<ErrorClass, number>> {
  const counts: Partial<Record<ErrorClass, number>> = {};
  for (const r of records) if (r.error) counts[r.error.class] = (counts[r.error.class] ?? 0) + 1;
  return counts;
}

const describe = (counts: Partial<Record<ErrorClass, number>>) =>
  Object.entries(counts)
    .map(([cls, n]) => `${n} ${cls}`)
    .join(", ");

export function handshakeFailureFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const counts = counted(probe);
  const vip = vipConnections(probe).filter((c) => c.error && counts(c));
  const vipAll = vipConnections(probe).filter(counts);
  if (vip.length) {
    const all = vip.length === vipAll.length;
    findings.push({
      kind: "handshake-failure",
      severity: all ? "critical" : "warning",
      message: all
        ? `Every connection through the VIP ${probe.vip.target} failed (${describe(classes(vip))}): ${plainError(vip[0]!.error!)}.`
        : `${plural(vip.length, "connection")} of ${vipAll.length} through the VIP failed (${describe(classes(vip))}), e.g. ${connectionName(vip[0]!)}: ${plainError(vip[0]!.error!)}.`,
      remedy: all
        ? "Check that the VIP is up and listening for TLS on this port."
        : "Some pool member the VIP routes to is failing: see the member table for which.",
      evidence: { connections: vip.map((c) => ({ connection: connectionName(c), error: c.error })) },
    });
  }
  // A member that answers only legacy versions is not down: the protocol-support finding says what it is.
  const down = probe.members.filter((m) => m.handshake.error && counts(m.handshake) && m.tls12.error && counts(m.tls12) && !m.legacy);
  // A failure every member shares while the VIP's handshakes complete is a property of how the members are reached,
  // not of the members: clients get through the VIP, so "take the member out" would be wrong advice.
  const vipWorks = vipConnections(probe).some((c) => !c.error);
  const beforeHello = (m: (typeof down)[number]) => ["reset", "not-tls"].includes(m.handshake.error!.class) && !m.handshake.leaf;
  if (down.length && down.length === probe.members.length && vipWorks && down.every(beforeHello)) {
    findings.push({
      kind: "direct-access",
      severity: "warning",
      message:
        `Every member (${plural(down.length, "member")}) closed the probe's direct connection before the ServerHello, while the VIP's handshakes complete: ` +
        `the members most likely expect a PROXY protocol header from the balancer (HAProxy send-proxy / send-proxy-v2, an NLB target group with proxy_protocol_v2.enabled${probe.memberProxyProtocol ? `; the probe sent ${probe.memberProxyProtocol}: try the other version` : ""}), or otherwise accept only the balancer. ` +
        "The members' own facts (certificates, EMS, resumption) are unknown; the VIP's chains below are the evidence.",
      remedy: probe.memberProxyProtocol
        ? "Check the members' PROXY protocol version against the balancer's and set the registry's proxyProtocol (or --proxy-protocol) to match."
        : 'Set "proxyProtocol": "v2" (or "v1") on the registry entry, or --proxy-protocol v2, so that the member probes send the header the balancer sends; a target group\'s proxy_protocol_v2.enabled is applied on its own.',
      evidence: { members: down.map((m) => ({ member: m.label, error: m.handshake.error })) },
    });
    return findings;
  }
  if (down.length) {
    findings.push({
      kind: "handshake-failure",
      severity: "warning",
      message: `${plural(down.length, "member")} could not be reached over TLS: ${down.map((m) => `${m.label} (${plainError(m.handshake.error!)})`).join("; ")}.`,
      remedy: "Take the member out of the pool or bring it back; a load balancer without health checks keeps routing clients to it.",
      evidence: { members: down.map((m) => ({ member: m.label, error: m.handshake.error })) },
    });
  }
  return [...findings, ...localResourceFinding(probe)];
}

export function tls13Findings(probe: EndpointProbe): Finding[] {
  const known = probe.members.filter((m) => m.tls13Supported !== undefined);
  const without = known.filter((m) => m.tls13Supported === false);
  if (without.length === 0) {
    const vipRefused = probe.vip.chains["tls13-psk"].filter(versionRefusal(probe));
    if (vipRefused.length === 0 || known.length > 0) return [];
    return [
      {
        kind: "tls13-unsupported",
        severity: "info",
        message: `TLS 1.3 was not offered through the VIP (${plural(vipRefused.length, "connection")} refused the version).`,
        remedy: "TLS 1.3 removes the resumption-identity problem for clients that have it (JDK 11+); enable it on every member.",
        evidence: { connections: vipRefused.map(connectionName) },
      },
    ];
  }
  const mixed = without.length < known.length;
  return [
    {
      kind: "tls13-unsupported",
      severity: mixed ? "warning" : "info",
      message: mixed
        ? `TLS 1.3 is offered by some members but not by ${without.map((m) => m.label).join(", ")}: a client's protocol depends on routing.`
        : "No member offers TLS 1.3.",
      remedy: "Enable TLS 1.3 on every member: it removes the resumption-identity problem for clients that have it (JDK 11+).",
      evidence: { withoutTls13: without.map((m) => m.label) },
    },
  ];
}
