/** What happened to offered sessions: through the VIP (observed) and across members (the matrix). */
import { plainError } from "../probe/errors.js";
import type { ChainConnection, EndpointProbe, MatrixCell } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { identityEquivalent } from "./java/identity.js";
import { certificateChange, connectionName, memberLeaf, plural, vipConnections } from "./observations.js";

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

/** Members by label, built once per probe: a lookup per matrix cell made the analysis quadratic (8.2 s at 10,000 members). */
const membersByLabel = new WeakMap<EndpointProbe, Map<string, EndpointProbe["members"][number]>>();
function memberNamed(probe: EndpointProbe, label: string) {
  let index = membersByLabel.get(probe);
  if (!index) membersByLabel.set(probe, (index = new Map(probe.members.map((m) => [m.label, m]))));
  return index.get(label);
}

/** The leaf of the session a member issued for a matrix mechanism (the matrix offers TLS 1.2 sessions only). */
function sessionLeaf(probe: EndpointProbe, label: string, mechanism: MatrixCell["mechanism"]): string | undefined {
  const m = memberNamed(probe, label);
  if (!m) return undefined;
  return mechanism === "ticket" ? (m.tls12Ticket.leaf ?? memberLeaf(m, "tls12")) : (m.tls12.leaf ?? memberLeaf(m, "tls12"));
}

/** Matrix cells where a member refused another member's session and presented a different leaf (same offer). */
export function matrixChanges(probe: EndpointProbe): MatrixCell[] {
  return probe.matrix.filter((c) => {
    const from = sessionLeaf(probe, c.from, c.mechanism);
    return c.outcome === "refused" && c.leaf !== undefined && from !== undefined && c.leaf !== from;
  });
}

/** Both JDK identity rules (8u25–8u51 and 8u60+/11+) treat the two leaves as one identity: no Java client aborts. */
function oneIdentity(probe: EndpointProbe, a: string | undefined, b: string | undefined): boolean {
  const x = a ? probe.certificates[a] : undefined;
  const y = b ? probe.certificates[b] : undefined;
  return x !== undefined && y !== undefined && identityEquivalent("first-san", x, y) && identityEquivalent("any-san", x, y);
}

export function certificateChangeFinding(probe: EndpointProbe): Finding[] {
  const changes = refusedWithChange(probe);
  const crossMember = matrixChanges(probe);
  if (changes.length === 0 && crossMember.length === 0) return [];
  const offeredLeaf = (c: ChainConnection) => probe.vip.chains[c.mechanism].find((x) => x.index === c.offeredFrom)?.leaf;
  const pairs = [
    ...changes.map((c) => [offeredLeaf(c), c.leaf] as const),
    ...crossMember.map((c) => [sessionLeaf(probe, c.from, c.mechanism), c.leaf] as const),
  ];
  // A renewal with the same subject and SANs, or another key for the same names: the JDK sees one identity.
  const sameIdentity = pairs.every(([a, b]) => oneIdentity(probe, a, b));
  const examples = changes
    .slice(0, 3)
    .map(
      (c) => `${connectionName(c)} offered the session of #${c.offeredFrom} and got another certificate (${certificateChange(probe, offeredLeaf(c), c.leaf)})`,
    );
  const message = changes.length
    ? `${plural(changes.length, "connection")} through the VIP had the offered session refused and received a different certificate: ${examples.join("; ")}${changes.length > 3 ? "; …" : ""}.`
    : `No change was seen through the VIP in this run, but ${plural(crossMember.length, "cross-member offer")} would change the certificate (e.g. ${crossMember[0]!.from}'s session offered to ${crossMember[0]!.to}: ${certificateChange(probe, sessionLeaf(probe, crossMember[0]!.from, crossMember[0]!.mechanism), crossMember[0]!.leaf)}).`;
  return [
    {
      kind: "certificate-change-on-resumption",
      severity: sameIdentity ? "info" : "warning",
      message: sameIdentity ? `${message} Every JDK identity rule treats the two certificates as one identity, so Java clients do not abort on it.` : message,
      remedy: sameIdentity
        ? "Harmless for Java clients; clients that pin the certificate or its key still see it change. Finish the rollout so that every member presents the same certificate."
        : "A client that resumes sessions sees the server identity change between connections; Java clients without endpoint identification abort with 'server certificate change is restricted during renegotiation'. Present one certificate on every member, or share session-ticket keys / the session cache across members, or enable EMS everywhere.",
      evidence: {
        sameIdentity,
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
      message: `${plural(failed.length, "cross-member session offer")} ended in a fatal alert instead of a resumption or a full handshake (e.g. ${example.mechanism} session of ${example.from} offered to ${example.to}: ${example.error ? plainError(example.error) : "no detail"}). Any client that resumes a session on one member and is then routed to the other fails the connection.`,
      remedy:
        "Members that share ticket keys or a session cache must agree on the extended master secret (RFC 7627) and on protocol settings; enable EMS on all of them, or stop sharing session state between unlike members.",
      evidence: { offers: failed.map((c) => ({ mechanism: c.mechanism, from: c.from, to: c.to, error: c.error })) },
    },
  ];
}
