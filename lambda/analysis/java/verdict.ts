/**
 * Would a Java client abort against this pool? One verdict per client profile: `aborts` (the observed VIP chain,
 * replayed through the profile's session cache, aborts), `can-abort` (another routing does: the smallest sequence is
 * given), or `safe`, each with the reason.
 */
import type { EndpointProbe } from "../../probe/types.js";
import type { Finding } from "../finding.js";
import { certificateName } from "../observations.js";
import { explainIdentity, identityEquivalent } from "./identity.js";
import { poolModel, type ModelMember, type PoolModel } from "./pool-model.js";
import { CHECK_SWITCHES, JAVA_PROFILES, type JavaClientProfile, type JavaProfileId } from "./profiles.js";
import { abortsOnRefusal, offerOutcome, protocolWith, resumes, simulate, type SimulatedConnection } from "./simulate.js";

export type JavaVerdictKind = "aborts" | "can-abort" | "safe";

export interface JavaVerdict {
  profile: JavaProfileId;
  label: string;
  verdict: JavaVerdictKind;
  reason: string;
  /** The smallest routing that aborts (member labels), for `aborts` and `can-abort`. */
  sequence?: string[];
  /** Connections of the observed VIP chain (session-id) this client would have failed. */
  abortedConnections: number;
  abortedIndices: number[];
}

/** Remedies in the order the seeds (Puppet, CA API Gateway) rank them; the unsafe switch last. */
export const JAVA_REMEDIES = [
  "Present one certificate on every member (or identity-equivalent ones: a shared DNS SAN that comes first in every certificate, for JDK 8u25–8u51 too).",
  "Share session-ticket keys or the session cache across members, so that a member never refuses another's session.",
  "Enable the extended master secret (RFC 7627) on every member: JDK 8u161+/11+ then skip the check.",
  "Enable TLS 1.3 on every member: JDK 11+ clients use it, and it has no such check.",
  "Last resort, on the clients: -Djdk.tls.allowUnsafeServerCertChange=true. It removes the protection against the triple handshake attack; prefer any of the above.",
];

/** The member each observed session-id chain connection went to: by leaf for full handshakes, by session for resumed ones. */
export function observedRouting(probe: EndpointProbe, model: PoolModel): Array<{ index: number; member: string }> {
  const chain = probe.vip.chains["session-id"];
  const routing: Array<{ index: number; member: string }> = [];
  const memberOf = new Map<number, string>();
  for (const c of chain) {
    if (c.error) continue;
    let label: string | undefined;
    if (!c.resumed) label = model.members.find((m) => m.leaf.fingerprint256 === c.leaf)?.label;
    else if (c.offeredFrom !== undefined) {
      const origin = memberOf.get(c.offeredFrom);
      // The member that resumed is not visible; the session's own member is the one that surely can.
      const acceptors = model.members.filter((m) => origin && model.accepts("session-id", origin, m.label));
      label = acceptors.find((m) => m.label === origin)?.label ?? acceptors[0]?.label;
    }
    if (label) {
      memberOf.set(c.index, label);
      routing.push({ index: c.index, member: label });
    }
  }
  return routing;
}

function findAbortSequence(profile: JavaClientProfile, model: PoolModel): ModelMember[] | undefined {
  let found: ModelMember[] | undefined;
  for (const a of model.members) {
    const session = { origin: a, protocol: protocolWith(profile, a), ems: profile.ems && a.ems, resumedBefore: false };
    if (profile.ems && session.protocol === "TLSv1.2" && !session.ems) continue; // never offered (see simulate)
    for (const b of model.members) {
      if (!resumes(profile, model, session, b)) continue;
      for (const c of model.members) {
        const flagged = { ...session, resumedBefore: true };
        if (offerOutcome(profile, model, flagged, c) !== "refused" || !abortsOnRefusal(profile, flagged, c)) continue;
        if (b === a) return [a, b, c];
        found ??= [a, b, c];
      }
    }
  }
  return found;
}

function safeReason(profile: JavaClientProfile, model: PoolModel): string {
  const m = model.members;
  if (m.length === 0) return "no member could be probed, so there is nothing to compare";
  const pairs = m.flatMap((a) => m.filter((c) => c !== a).map((c) => [a, c] as const));
  if (pairs.every(([a, c]) => identityEquivalent(profile.identity, a.leaf, c.leaf))) {
    return m.length === 1 || pairs.every(([a, c]) => a.leaf.fingerprint256 === c.leaf.fingerprint256)
      ? "every member presents the same certificate"
      : `every member's certificate is identity-equivalent for this JDK (${explainIdentity(profile.identity, pairs[0]![0].leaf, pairs[0]![1].leaf)})`;
  }
  if (profile.tls13 && m.every((x) => x.tls13)) return "every member negotiates TLS 1.3, which has no such check";
  if (profile.ems && m.every((x) => x.ems)) return "every member negotiates the extended master secret, which switches the check off";
  if (profile.ems) return "a session is refused only by members that negotiate EMS, or it was never offered: the check stays off";
  return "members that present different identities resume each other's sessions, so no session is refused where the identity changes";
}

function describeSequence(probe: EndpointProbe, profile: JavaClientProfile, seq: ModelMember[]): string {
  const [a, b, c] = seq as [ModelMember, ModelMember, ModelMember];
  const resume = a === b ? `connect again and resume that session on ${a.label}` : `be routed to ${b.label}, which resumes ${a.label}'s session`;
  const ems = profile.ems ? `, does not negotiate EMS,` : "";
  return (
    `connect to ${a.label} (${certificateName(probe, a.leaf.fingerprint256)}), ${resume}, then be routed to ${c.label}, which refuses ${a.label}'s session${ems} ` +
    `and presents ${certificateName(probe, c.leaf.fingerprint256)}: ${explainIdentity(profile.identity, a.leaf, c.leaf)}`
  );
}

export function javaVerdicts(probe: EndpointProbe, model: PoolModel = poolModel(probe)): JavaVerdict[] {
  const routing = observedRouting(probe, model);
  return JAVA_PROFILES.map((profile): JavaVerdict => {
    const replay: SimulatedConnection[] = model.members.length ? simulate(profile, model, routing.map((r) => r.member)) : [];
    const abortedIndices = replay.filter((r) => r.outcome === "aborted").map((r) => routing[r.index]!.index);
    const base = { profile: profile.id, label: profile.label, abortedConnections: abortedIndices.length, abortedIndices };
    const sequence = findAbortSequence(profile, model);
    if (abortedIndices.length) {
      const first = replay.find((r) => r.outcome === "aborted")!;
      return {
        ...base,
        verdict: "aborts",
        reason: `the observed VIP routing aborts ${abortedIndices.length} of ${routing.length} connections: session-id #${abortedIndices.join(", #")} (first: a session of ${first.offeredFrom} offered to ${first.member})`,
        ...(sequence ? { sequence: sequence.map((s) => s.label) } : {}),
      };
    }
    if (sequence) {
      return { ...base, verdict: "can-abort", reason: `not in this run's routing, but a client will abort if it happens to ${describeSequence(probe, profile, sequence)}`, sequence: sequence.map((s) => s.label) };
    }
    const failing = model.members.some((a) => model.members.some((b) => model.offer("ticket", a.label, b.label) === "failed" || model.offer("session-id", a.label, b.label) === "failed"));
    const caveat = failing ? "; but some cross-member offers fail with a fatal alert (see resumption-failure)" : "";
    return { ...base, verdict: "safe", reason: safeReason(profile, model) + caveat };
  });
}

export function javaFinding(verdicts: JavaVerdict[]): Finding[] {
  const atRisk = verdicts.filter((v) => v.verdict !== "safe");
  if (atRisk.length === 0) return [];
  const observed = atRisk.filter((v) => v.verdict === "aborts");
  return [
    {
      kind: "java-client-abort",
      severity: "critical",
      message:
        `Java clients without endpoint identification ${observed.length ? "abort" : "can abort"} with "server certificate change is restricted during renegotiation": ` +
        atRisk.map((v) => `${v.label} ${v.verdict === "aborts" ? `aborts (${v.abortedConnections} connection(s) of this run)` : "can abort"}`).join("; ") +
        `. ${atRisk[0]!.reason[0]!.toUpperCase()}${atRisk[0]!.reason.slice(1)}. ${CHECK_SWITCHES}`,
      remedy: JAVA_REMEDIES.map((r, i) => `${i + 1}. ${r}`).join(" "),
      evidence: { profiles: atRisk },
    },
  ];
}
