/**
 * Would a Java client abort against this pool? One verdict per client profile: `aborts` (the observed VIP chain,
 * replayed through the profile's session cache, aborts), `can-abort` (another routing does: the smallest sequence is
 * given), `safe` (no routing does, with the facts that prevent it), or `unknown` (a fact the verdict depends on
 * could not be probed; what is missing is said).
 */
import type { EndpointProbe } from "../../probe/types.js";
import type { Finding } from "../finding.js";
import { certificateName, plural } from "../observations.js";
import { explainIdentity, identityEquivalent } from "./identity.js";
import { assuming, poolModel, type ModelMember, type PoolModel, type UncertainFact } from "./pool-model.js";
import { CHECK_SWITCHES, JAVA_PROFILES, type JavaClientProfile, type JavaProfileId } from "./profiles.js";
import { abortsOnRefusal, newSession, offerOutcome, protocolWith, resumes, simulate, type SimulatedConnection } from "./simulate.js";

export type JavaVerdictKind = "aborts" | "can-abort" | "safe" | "unknown";

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
  /** The verdict for this profile connecting WITHOUT SNI (by IP address or a dotless host name), from the members' no-SNI certificates. */
  withoutSni?: true;
}

/** The generic remedies, in the order Puppet's and Broadcom's (CA API Gateway) notes rank them; the unsafe switch last. */
export const JAVA_REMEDIES = [
  "Present one certificate on every member (or identity-equivalent ones: a shared DNS SAN that comes first in every certificate, for JDK 8u25–8u51 too).",
  "Share session-ticket keys or the session cache across members, so that a member never refuses another's session.",
  "Enable the extended master secret (RFC 7627) on every member: JDK 8u161+/11+ then skip the check.",
  "Enable TLS 1.3 on every member: JDK 11+ clients use it, and it has no such check.",
  "Last resort, on the clients: -Djdk.tls.allowUnsafeServerCertChange=true. It removes the protection against the triple handshake attack; prefer any of the above.",
];

/** A connection of the observed session-id chain and the member it went to, when the evidence says which. */
export interface RoutedConnection {
  index: number;
  member?: string;
}

/**
 * The member each observed session-id chain connection went to, by evidence that tells members apart: a full
 * handshake's leaf when exactly one member presents it; a resumption when exactly one member accepts the session
 * offered. Members sharing a certificate (or a session cache) cannot be told apart: their connections stay unknown.
 */
export function observedRouting(probe: EndpointProbe, model: PoolModel): RoutedConnection[] {
  const memberOf = new Map<number, string | undefined>();
  const routing: RoutedConnection[] = [];
  for (const c of probe.vip.chains["session-id"]) {
    if (c.error) continue;
    let candidates: ModelMember[];
    if (!c.resumed) candidates = model.members.filter((m) => m.leaf.fingerprint256 === c.leaf);
    else {
      const origin = c.offeredFrom === undefined ? undefined : memberOf.get(c.offeredFrom);
      candidates = origin ? model.members.filter((m) => model.accepts("session-id", origin, m.label)) : [];
    }
    const member = candidates.length === 1 ? candidates[0]!.label : undefined;
    memberOf.set(c.index, member);
    routing.push({ index: c.index, ...(member ? { member } : {}) });
  }
  return routing;
}

/**
 * Members by leaf, in member order, with each member's position: the pair loops below visit only members whose leaf
 * is not the same identity (a 10,000-member pool sharing one certificate has none), so the analysis stays near
 * linear in members instead of quadratic (1,000 members: 5.7 s; 2,000: 21 s, measured before).
 */
function leafGroups(members: ModelMember[]): Array<{ leaf: ModelMember["leaf"]; members: ModelMember[] }> {
  const groups = new Map<string, { leaf: ModelMember["leaf"]; members: ModelMember[] }>();
  for (const m of members) {
    const g = groups.get(m.leaf.fingerprint256);
    if (g) g.members.push(m);
    else groups.set(m.leaf.fingerprint256, { leaf: m.leaf, members: [m] });
  }
  return [...groups.values()];
}

/** The members whose leaf is not the same identity as `leaf` for this profile, in member order. */
function inequivalentTo(
  profile: JavaClientProfile,
  groups: ReturnType<typeof leafGroups>,
  order: Map<ModelMember, number>,
  leaf: ModelMember["leaf"],
): ModelMember[] {
  return groups
    .filter((g) => !identityEquivalent(profile.identity, leaf, g.leaf))
    .flatMap((g) => g.members)
    .sort((x, y) => order.get(x)! - order.get(y)!);
}

function findAbortSequence(profile: JavaClientProfile, model: PoolModel): ModelMember[] | undefined {
  const groups = leafGroups(model.members);
  const order = new Map(model.members.map((m, i) => [m, i]));
  const others = new Map<string, ModelMember[]>();
  let found: ModelMember[] | undefined;
  for (const a of model.members) {
    const session = newSession(profile, a);
    // A TLS 1.3 resumption never sets the "resumed before" mark; a non-EMS session is never offered by an EMS client.
    if (session.protocol === "TLSv1.3") continue;
    if (profile.ems && !session.ems) continue;
    // c refuses a's session, flagged resumed, and aborts on it: only a member whose leaf is another identity can.
    // Only measured answers count (b seen resuming a's session, c seen refusing it).
    const flagged = { ...session, resumedBefore: true };
    let candidates = others.get(a.leaf.fingerprint256);
    if (!candidates) others.set(a.leaf.fingerprint256, (candidates = inequivalentTo(profile, groups, order, a.leaf)));
    const c = candidates.find(
      (x) => model.measured(a.label, x.label) && offerOutcome(profile, model, flagged, x) === "refused" && abortsOnRefusal(profile, flagged, x),
    );
    if (!c) continue;
    // b resumes it: a itself first (the shortest sequence), else the first other member that does.
    if (model.measured(a.label, a.label) && resumes(profile, model, session, a)) return [a, a, c];
    const b = found ? undefined : model.members.find((x) => x !== a && model.measured(a.label, x.label) && resumes(profile, model, session, x));
    if (b) found = [a, b, c];
  }
  return found;
}

/**
 * Why no routing aborts, from the facts that block each pair of non-equivalent members. Only true statements.
 * `structural`: the reason holds whatever the matrix says (certificates, TLS 1.3, EMS), so a sampled matrix does not
 * weaken it.
 */
function safeReason(profile: JavaClientProfile, model: PoolModel): { reason: string; structural: boolean } {
  const m = model.members;
  const structural = (reason: string) => ({ reason, structural: true });
  const groups = leafGroups(m);
  if (groups.length <= 1) return structural(m.length === 1 ? "one member was probed" : "every member presents the same certificate");
  const order = new Map(m.map((x, i) => [x, i]));
  // Pairs of members with different leaves, by leaf: the first such pair in member order, and whether any is not
  // the same identity for this JDK (leaf pairs, not member pairs).
  const firstDiffering = (): [ModelMember, ModelMember] => {
    const a = m[0]!;
    return [a, m.find((x) => x.leaf.fingerprint256 !== a.leaf.fingerprint256)!];
  };
  const anyInequivalent = groups.some((g, i) => groups.some((h, j) => i !== j && !identityEquivalent(profile.identity, g.leaf, h.leaf)));
  if (!anyInequivalent) {
    const [a, c] = firstDiffering();
    return structural(
      `every member's certificate is identity-equivalent for this JDK (${a.label} and ${c.label}: ${explainIdentity(profile.identity, a.leaf, c.leaf)})`,
    );
  }
  if (profile.tls13 && m.every((x) => x.tls13)) return structural("every member negotiates TLS 1.3, which has no such check");
  if (profile.ems && m.every((x) => x.ems === true)) return structural("every member negotiates the extended master secret, which switches the check off");
  const causes = new Set<string>();
  const others = new Map<string, ModelMember[]>();
  // Each cause is stated only from measured facts: an assumed one (an either-way verdict) is said as such.
  const assumedNote = (x: ModelMember) => (x.assumed ? " (assumed: not measured; the verdict holds either way)" : "");
  for (const a of m) {
    if (causes.size > 4) break; // the reason names four causes at most
    let candidates = others.get(a.leaf.fingerprint256);
    if (!candidates) others.set(a.leaf.fingerprint256, (candidates = inequivalentTo(profile, groups, order, a.leaf)));
    if (candidates.length === 0) continue;
    const session = newSession(profile, a);
    // What does not depend on the other member is said once per member (not once per pair).
    if (session.protocol === "TLSv1.3") {
      causes.add(`sessions with ${a.label} are TLS 1.3, whose resumption never arms the check`);
      continue;
    }
    if (profile.ems && !session.ems) {
      causes.add(`a session with ${a.label} has no EMS, and this client never offers such a session${assumedNote(a)}`);
      continue;
    }
    if (!m.some((b) => resumes(profile, model, session, b))) {
      const emsLess = !profile.ems && m.every((b) => b.resumesWithoutEms === false);
      causes.add(
        emsLess
          ? `no member resumes a session offered without EMS (as JSSE with EMS on does), so none is ever "resumed before"`
          : `no member resumes ${a.label}'s sessions, so none is ever "resumed before"${m.some((b) => b.assumed) ? " (with facts assumed either way)" : ""}`,
      );
      continue;
    }
    for (const c of candidates) {
      if (causes.size > 4) break;
      if (offerOutcome(profile, model, { ...session, resumedBefore: true }, c) !== "refused") causes.add(`${c.label} resumes ${a.label}'s sessions`);
      else if (protocolWith(profile, c) === "TLSv1.3") causes.add(`${c.label} negotiates TLS 1.3`);
      else if (profile.ems && c.ems) causes.add(`${c.label} negotiates EMS, which switches the check off${assumedNote(c)}`);
    }
  }
  return { reason: [...causes].slice(0, 4).join("; ") + (causes.size > 4 ? "; …" : ""), structural: false };
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

/** The verdict on a model whose facts are all known. */
function decide(probe: EndpointProbe, profile: JavaClientProfile, model: PoolModel, routing: RoutedConnection[]): JavaVerdict {
  const unattributed = routing.filter((r) => r.member === undefined).length;
  // A replay needs every connection's member and every offer's outcome: guessing either would invent resumptions.
  const replay: SimulatedConnection[] =
    unattributed === 0 && routing.length && !model.sampled && model.unmeasuredOffers === 0
      ? simulate(
          profile,
          model,
          routing.map((r) => r.member!),
        )
      : [];
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
    const note = unattributed
      ? ` (the member behind ${plural(unattributed, "observed connection")} cannot be told apart: members share a certificate, so this run's routing is not replayed)`
      : "";
    return {
      ...base,
      verdict: "can-abort",
      reason: `a client will abort if it happens to ${describeSequence(probe, profile, sequence)}${note}`,
      sequence: sequence.map((s) => s.label),
    };
  }
  const failing = model.failedOffers.size > 0;
  const caveat = failing ? "; but some cross-member offers fail with a fatal alert (see resumption-failure)" : "";
  const safe = safeReason(profile, model);
  if (model.sampled && !safe.structural) {
    return {
      ...base,
      verdict: "unknown",
      reason: `no abort among the sampled cross-member offers, but the matrix covers only a sample of the member pairs, so other pairs may abort (${safe.reason})`,
    };
  }
  // "Safe" only from measured answers: offers that could not be made leave the pairs they concern open.
  if (model.unmeasuredOffers > 0 && !safe.structural) {
    return {
      ...base,
      verdict: "unknown",
      reason: `no abort among the measured cross-member offers, but ${plural(model.unmeasuredOffers, "offer")} could not be made or answered (a session's handshake failed, or the offer timed out), so those pairs may abort`,
    };
  }
  return { ...base, verdict: "safe", reason: safe.reason + caveat };
}

function verdictFor(probe: EndpointProbe, profile: JavaClientProfile, model: PoolModel, routing: RoutedConnection[]): JavaVerdict {
  const unknown = (reason: string): JavaVerdict => ({
    profile: profile.id,
    label: profile.label,
    verdict: "unknown",
    reason,
    abortedConnections: 0,
    abortedIndices: [],
  });
  if (model.members.length === 0)
    return unknown(
      probe.members.length
        ? `none of the ${plural(probe.members.length, "listed member")} completed a direct TLS handshake (see the direct-access or handshake-failure finding), so their facts are unknown; the VIP's chains are the only evidence`
        : "no member could be probed one by one, so there is nothing to compare (list the members)",
    );
  if (model.unmeasurable.length) return unknown(`resumption could not be measured on every member: ${groupedWhy(model.unmeasurable)}`);
  return eitherWay(probe, profile, model, routing, unknown);
}

/** "m1, m2 <why>; m3 <other why>": members that share a reason are named once with it. */
function groupedWhy(unmeasurable: PoolModel["unmeasurable"]): string {
  const byWhy = new Map<string, string[]>();
  for (const u of unmeasurable) byWhy.set(u.why, [...(byWhy.get(u.why) ?? []), u.label]);
  return [...byWhy].map(([why, labels]) => `${labels.join(", ")} ${why}`).join("; ");
}

/** Facts the profile's verdict depends on: EMS for clients that send it, EMS-less resumption for the others. */
const FACT_OF: Record<UncertainFact, { matters: (p: JavaClientProfile) => boolean; words: string }> = {
  ems: { matters: (p) => p.ems, words: "negotiate EMS (no TLS 1.2 session could be read)" },
  resumesWithoutEms: { matters: (p) => !p.ems, words: "resume a session offered without EMS (not measured)" },
};

/**
 * The verdict with each unknown fact taken both ways: the same verdict either way does not depend on it (and its
 * reason says which facts were assumed); a verdict that differs is unknown, saying which fact decides it.
 */
function eitherWay(
  probe: EndpointProbe,
  profile: JavaClientProfile,
  model: PoolModel,
  routing: RoutedConnection[],
  unknown: (reason: string) => JavaVerdict,
): JavaVerdict {
  const fact = (Object.keys(FACT_OF) as UncertainFact[]).find((f) => FACT_OF[f].matters(profile) && model.members.some((m) => m[f] === undefined));
  if (fact === undefined) return decide(probe, profile, model, routing);
  const missing = model.members.filter((m) => m[fact] === undefined);
  const yes = eitherWay(probe, profile, assuming(model, fact, true), routing, unknown);
  const no = eitherWay(probe, profile, assuming(model, fact, false), routing, unknown);
  if (yes.verdict === no.verdict) return no;
  return unknown(
    `whether ${missing.map((m) => m.label).join(", ")} ${FACT_OF[fact].words} is unknown, and the verdict depends on it: ` +
      `${yes.verdict} if ${missing.length === 1 ? "it does" : "they do"}, ${no.verdict} if not`,
  );
}

export function javaVerdicts(probe: EndpointProbe, model: PoolModel = poolModel(probe)): JavaVerdict[] {
  const routing = observedRouting(probe, model);
  return JAVA_PROFILES.map((profile) => verdictFor(probe, profile, model, routing));
}

/**
 * Verdicts on a model changed by a what-if (a remedy applied): from the members' facts alone, since this run's
 * routing was observed on the pool as it is.
 */
export function whatIfVerdicts(probe: EndpointProbe, model: PoolModel): JavaVerdict[] {
  return JAVA_PROFILES.map((profile) => verdictFor(probe, profile, model, []));
}

export const atRisk = (v: JavaVerdict) => v.verdict === "aborts" || v.verdict === "can-abort";

export function javaFinding(verdicts: JavaVerdict[]): Finding[] {
  const risky = verdicts.filter(atRisk);
  const findings: Finding[] = [];
  if (risky.length) {
    const observed = risky.filter((v) => v.verdict === "aborts");
    // A risk that needs an old JDK or a non-default setting is a warning; a current JDK with defaults pages.
    const current = new Set(JAVA_PROFILES.filter((p) => p.current).map((p) => p.id));
    findings.push({
      kind: "java-client-abort",
      severity: risky.some((v) => current.has(v.profile)) ? "critical" : "warning",
      message:
        `Java clients without endpoint identification ${observed.length ? "abort" : "can abort"} with "server certificate change is restricted during renegotiation": ` +
        risky.map((v) => `${v.label} ${v.verdict === "aborts" ? `aborts (${v.abortedConnections} connection(s) of this run)` : "can abort"}`).join("; ") +
        `. ${risky[0]!.reason[0]!.toUpperCase()}${risky[0]!.reason.slice(1)}.`,
      remedy: JAVA_REMEDIES.map((r, i) => `${i + 1}. ${r}`).join(" "),
      // What switches the check off is said once, with the evidence and in the report's Java section, not in the headline's finding.
      evidence: { profiles: risky, checkSwitches: CHECK_SWITCHES },
    });
  }
  const unknown = verdicts.filter((v) => v.verdict === "unknown");
  if (unknown.length) {
    findings.push({
      kind: "java-verdict-unknown",
      severity: "info",
      message: `No Java verdict for ${unknown.map((v) => v.label).join(", ")}: ${unknown[0]!.reason}.`,
      remedy:
        "Give the monitor what it needs to measure every member over TLS 1.2 (the findings above say which applies): list the members, configure the client certificate they require, set proxyProtocol where the balancer sends one.",
      evidence: { profiles: unknown },
    });
  }
  return findings;
}
