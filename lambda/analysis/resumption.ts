/** What happened to offered sessions: through the VIP (observed) and across members (the matrix). */
import type { ChainConnection, EndpointProbe, MatrixCell } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { certificateName, connectionName, memberLeaf, plural, vipConnections } from "./observations.js";

export interface ResumptionCounts {
  attempts: number;
  resumed: number;
  refused: number;
  changes: number;
}

/** Offers that got an answer (a failed connection neither resumed nor refused). */
export function resumptionCounts(probe: EndpointProbe): ResumptionCounts {
  const offered = vipConnections(probe).filter((c) => c.sessionOffered);
  const answered = offered.filter((c) => !c.error);
  return {
    attempts: offered.length,
    resumed: answered.filter((c) => c.resumed).length,
    refused: answered.filter((c) => !c.resumed).length,
    changes: answered.filter((c) => c.certificateChanged).length,
  };
}

export const refusedWithChange = (probe: EndpointProbe): ChainConnection[] => vipConnections(probe).filter((c) => c.certificateChanged && !c.error);

export function refusedWithoutChange(probe: EndpointProbe): ChainConnection[] {
  return vipConnections(probe).filter((c) => c.sessionOffered && !c.error && !c.resumed && !c.certificateChanged);
}

/** Matrix cells where a member refused another member's session and presented a different leaf. */
export function matrixChanges(probe: EndpointProbe): MatrixCell[] {
  const leafOf = new Map(probe.members.map((m) => [m.label, memberLeaf(m)]));
  return probe.matrix.filter((c) => c.outcome === "refused" && c.leaf !== undefined && leafOf.get(c.from) !== undefined && c.leaf !== leafOf.get(c.from));
}

export function certificateChangeFinding(probe: EndpointProbe): Finding[] {
  const changes = refusedWithChange(probe);
  const crossMember = matrixChanges(probe);
  if (changes.length === 0 && crossMember.length === 0) return [];
  const examples = changes.slice(0, 3).map((c) => {
    const from = probe.vip.chains[c.mechanism].find((x) => x.index === c.offeredFrom);
    return `${connectionName(c)} offered the session of #${c.offeredFrom} (${certificateName(probe, from?.leaf)}) and got ${certificateName(probe, c.leaf)}`;
  });
  const message = changes.length
    ? `${plural(changes.length, "connection")} through the VIP had the offered session refused and received a different certificate: ${examples.join("; ")}${changes.length > 3 ? "; …" : ""}.`
    : `No change was seen through the VIP in this run, but ${plural(crossMember.length, "cross-member offer")} would change the certificate (e.g. ${crossMember[0]!.from}'s session offered to ${crossMember[0]!.to}).`;
  return [
    {
      kind: "certificate-change-on-resumption",
      severity: "warning",
      message,
      remedy:
        "A client that resumes sessions sees the server identity change between connections; Java clients without endpoint identification abort with 'server certificate change is restricted during renegotiation'. Present one certificate on every member, or share session-ticket keys / the session cache across members, or enable EMS everywhere.",
      evidence: {
        vipConnections: changes.map((c) => ({ mechanism: c.mechanism, index: c.index, offeredFrom: c.offeredFrom, leaf: c.leaf })),
        matrix: crossMember.map((c) => ({ mechanism: c.mechanism, from: c.from, to: c.to, leaf: c.leaf })),
      },
    },
  ];
}

export function refusedResumptionFinding(probe: EndpointProbe): Finding[] {
  const refused = refusedWithoutChange(probe);
  if (refused.length === 0) return [];
  return [
    {
      kind: "resumption-refused",
      severity: "info",
      message: `${plural(refused.length, "offered session")} through the VIP ${refused.length === 1 ? "was" : "were"} refused, but the new handshake presented the same certificate (harmless; costs a full handshake).`,
      remedy: "Share session-ticket keys or the session cache across members if the extra full handshakes matter.",
      evidence: { connections: refused.map(connectionName) },
    },
  ];
}

/** Members that resume each other's sessions: shared ticket keys or a shared cache. Good to know, not a problem. */
export function sharedResumptionFinding(probe: EndpointProbe): Finding[] {
  const across = probe.matrix.filter((c) => c.outcome === "accepted" && c.from !== c.to);
  if (across.length === 0) return [];
  const byMechanism = (m: string) => across.filter((c) => c.mechanism === m).length;
  return [
    {
      kind: "resumption-shared",
      severity: "info",
      message: `Members resume each other's sessions (${byMechanism("session-id")} session-ID and ${byMechanism("ticket")} ticket offers accepted across members): they share a session cache or ticket keys.`,
      evidence: { accepted: across.map((c) => `${c.mechanism}: ${c.from} → ${c.to}`) },
    },
  ];
}

/**
 * Offers answered with a fatal alert instead of a resumption or a full handshake. Seen with members that share
 * ticket keys but differ in EMS (RFC 7627 5.3 makes the server abort): any client that resumes across them fails.
 */
export function failedResumptions(probe: EndpointProbe): MatrixCell[] {
  const reachable = new Set(probe.members.filter((m) => !m.tls12.error).map((m) => m.label));
  return probe.matrix.filter((c) => c.outcome === "failed" && c.error?.class === "tls-alert" && reachable.has(c.to));
}

export function resumptionFailureFinding(probe: EndpointProbe): Finding[] {
  const failed = failedResumptions(probe);
  if (failed.length === 0) return [];
  const example = failed[0]!;
  return [
    {
      kind: "resumption-failure",
      severity: "critical",
      message: `${plural(failed.length, "cross-member session offer")} ended in a fatal alert instead of a resumption or a full handshake (e.g. ${example.mechanism} session of ${example.from} offered to ${example.to}: ${example.error?.message}). Any client that resumes a session on one member and is then routed to the other fails the connection.`,
      remedy:
        "Members that share ticket keys or a session cache must agree on the extended master secret (RFC 7627) and on protocol settings; enable EMS on all of them, or stop sharing session state between unlike members.",
      evidence: { offers: failed.map((c) => ({ mechanism: c.mechanism, from: c.from, to: c.to, error: c.error })) },
    },
  ];
}
