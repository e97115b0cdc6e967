/**
 * The monitor's memory of one endpoint, and the pure decision of what one run changes in it: what subscribers were
 * told (and so what to announce, once), the recent observed states (hysteresis), and per member the certificates it
 * presented with their first and last sighting (the rotation timeline). Kept by a store (lambda/aws/state-table.ts
 * in the function, lambda/memory/history-file.ts for the CLI) that writes a decision only if nobody wrote since it
 * was read: every announcement is claimed by that conditional write before it is published.
 */
import { createHash } from "node:crypto";
import type { EndpointAnalysis } from "../analysis/index.js";
import type { FindingOf } from "../analysis/finding.js";
import { memberLeavesByOffer, vipConnections } from "../analysis/observations.js";
import type { EndpointProbe } from "../probe/types.js";
import { javaRiskAlert, rotationAlert, type Alert, type AlertKind, type PoolState } from "../report/alerts.js";

/** A run's state of the pool; unknown when what was seen cannot tell (no certificate, or a member presented none). */
export type ObservedState = PoolState | "unknown";

export interface LeafSeen {
  fingerprint: string;
  subject: string;
  serial: string;
  /** ISO date; "" when it did not parse. */
  notAfter: string;
}

/** What one run saw of one endpoint, kept small: the records are gone by the time the memory is decided. */
export interface Observation {
  endpoint: string;
  /** ISO time of the run. */
  at: string;
  state: ObservedState;
  /** The leaves each member presented (to any offer); the VIP's under VIP_MEMBER when no member was probed. */
  members: Record<string, LeafSeen[]>;
  /** Members probed that presented no certificate. */
  unseen: string[];
  /** The message announcing a change INTO this run's state (built while the records existed). */
  announcement?: Alert;
  /** Some Java client profile can abort here (JavaAbortRisk > 0). */
  javaRisk?: boolean;
}

export interface TimelineEntry extends LeafSeen {
  member: string;
  firstSeen: string;
  lastSeen: string;
}

export interface Rollout {
  /** When the first new certificate was seen. */
  since: string;
  /** The fingerprints the pool presented before it started. */
  old: string[];
  stallTold?: boolean;
}

/** An announcement claimed (by the conditional write) and not yet confirmed sent. */
export interface Pending extends Alert {
  id: string;
  /** The claiming run's deadline for AWS calls: until then it may still publish, so nobody else does. */
  claimedUntil: string;
  firstClaimedAt: string;
}

export interface EndpointMemory {
  /** Bumped by every write; 0: nothing stored. */
  version: number;
  /** What subscribers were last told of the divergence; absent: never told. */
  told?: PoolState;
  toldAt?: string;
  /** Observed states, newest first (unknown runs are not observations). */
  observed: PoolState[];
  timeline: TimelineEntry[];
  rollout?: Rollout;
  pending: Pending[];
  /** Consecutive runs that saw Java clients at risk (the hysteresis of the java-risk announcement). */
  javaRiskRuns?: number;
  /** Subscribers were told that Java clients are at risk in the current divergence. */
  toldJavaRisk?: boolean;
}

export const EMPTY_MEMORY: EndpointMemory = { version: 0, observed: [], timeline: [], pending: [] };

/** The pseudo-member a VIP-only endpoint's leaves are kept under. */
export const VIP_MEMBER = "VIP";
/** Observed states kept: the most CONFIRM_RUNS may ask for (settings.ts). */
export const MAX_OBSERVED = 10;
/** Certificates kept per member (the newest by last sighting): the current ones and the ones they replaced. */
export const MAX_CERTIFICATES_PER_MEMBER = 4;
/** Timeline entries kept per endpoint: a DynamoDB item holds 400 KB, an entry about 300 bytes. */
export const MAX_TIMELINE_ENTRIES = 1_000;
/** Subjects are cut here in the memory (they are only for the messages). */
const MAX_SUBJECT_CHARS = 256;

export interface DecideSettings {
  confirmRuns: number;
  /** A rollout not completed after this long is announced as stalled (default ROLLOUT_STALL_MS_DEFAULT). */
  rolloutStallMs: number;
  /** ... as is one whose old certificate, still presented, expires within this many days. */
  expiryWarningDays: number;
  /** This run's deadline for AWS calls: its claims are its own until then (an overlapping run leaves them alone). */
  claimUntil: Date;
  /** A claim never confirmed sent is given up after this long (logged). */
  pendingMaxAgeMs: number;
}

export const ROLLOUT_STALL_MS_DEFAULT = 24 * 3_600_000;
export const PENDING_MAX_AGE_MS = 24 * 3_600_000;

export interface Decision {
  /** The memory to write (its version is the one read; the store bumps it). */
  next: EndpointMemory;
  /** To publish now, and to write first (claimed): new claims, and earlier ones whose run is over, re-claimed. */
  publish: Pending[];
  /** Claims dropped: superseded by a later transition, or too old. */
  dropped: Array<{ pending: Pending; why: "superseded" | "expired" }>;
  /** A change of state that waits for more runs to agree. */
  awaiting: boolean;
  findings: Array<FindingOf<"certificate-rotation">>;
}

/** One id per transition: the same for two runs that decide the same transition from the same memory. */
export function transitionId(endpoint: string, version: number, kind: AlertKind): string {
  return `tpm-${createHash("sha256").update(endpoint).digest("hex").slice(0, 10)}-${version}-${kind}`;
}

/** The observation of a finished endpoint: its state, and the leaves of each member (the VIP's when none). */
export function observe(probe: EndpointProbe, analysis: EndpointAnalysis, at: Date, announcement?: Alert): Observation {
  const leaf = (fp: string): LeafSeen => {
    const c = probe.certificates[fp];
    return { fingerprint: fp, subject: (c?.subject ?? "").slice(0, MAX_SUBJECT_CHARS), serial: c?.serialNumber ?? "", notAfter: c?.validTo ?? "" };
  };
  const members: Record<string, LeafSeen[]> = {};
  const unseen: string[] = [];
  for (const m of probe.members) {
    const fps = [...new Set(Object.values(memberLeavesByOffer(m)))];
    if (fps.length) members[m.label] = fps.map(leaf);
    // A target the load balancer does not route to (draining, unused) does not hold the state back.
    else if (!m.targetHealth || m.targetHealth.state === "healthy") unseen.push(m.label);
  }
  if (probe.members.length === 0) {
    const fps = [...new Set(vipConnections(probe).flatMap((c) => (c.leaf ? [c.leaf] : [])))];
    if (fps.length) members[VIP_MEMBER] = fps.map(leaf);
  }
  const variants = analysis.summary.certificateVariants;
  // Only observations decide: divergent is seen (two leaves for one offer); consistent needs every member seen.
  const state: ObservedState = variants > 1 ? "divergent" : variants === 1 && unseen.length === 0 ? "consistent" : "unknown";
  return {
    endpoint: probe.endpoint.name,
    at: at.toISOString(),
    state,
    members,
    unseen,
    ...(announcement ? { announcement } : {}),
    ...(analysis.summary.javaProfilesAtRisk > 0 ? { javaRisk: true } : {}),
  };
}

const ms = (iso: string): number => Date.parse(iso);

function updateTimeline(timeline: TimelineEntry[], o: Observation): TimelineEntry[] {
  const next = timeline.map((e) => ({ ...e }));
  for (const [member, leaves] of Object.entries(o.members)) {
    for (const l of leaves) {
      const e = next.find((x) => x.member === member && x.fingerprint === l.fingerprint);
      if (e) e.lastSeen = o.at;
      else next.push({ member, ...l, firstSeen: o.at, lastSeen: o.at });
    }
  }
  // Bounded: the newest per member, then the newest overall.
  const byMember = new Map<string, TimelineEntry[]>();
  for (const e of next) byMember.set(e.member, [...(byMember.get(e.member) ?? []), e]);
  const kept = [...byMember.values()].flatMap((es) => es.sort((a, b) => ms(b.lastSeen) - ms(a.lastSeen)).slice(0, MAX_CERTIFICATES_PER_MEMBER));
  return kept.sort((a, b) => ms(b.lastSeen) - ms(a.lastSeen)).slice(0, MAX_TIMELINE_ENTRIES);
}

/** The member's most recently seen entry other than the given fingerprints (what it presented before). */
function previousOf(timeline: TimelineEntry[], member: string, current: Set<string>): TimelineEntry | undefined {
  return timeline.filter((e) => e.member === member && !current.has(e.fingerprint)).sort((a, b) => ms(b.lastSeen) - ms(a.lastSeen))[0];
}

export interface RotationProgress {
  since: string;
  onNew: string[];
  onOld: string[];
  /** Members on neither (a certificate older than the rollout), or probed without presenting one. */
  others: string[];
}

/** A change of certificates worth a message: members that changed, and where the rollout stands. */
export interface RotationEvent {
  kind: "certificate-change" | "rollout-completed" | "rollout-stalled";
  changes: Array<{ member: string; from?: LeafSeen | undefined; to: LeafSeen }>;
  progress?: RotationProgress;
  stalled?: { expiring?: LeafSeen; overdueHours?: number };
}

function rotation(
  memory: EndpointMemory,
  o: Observation,
  timeline: TimelineEntry[],
  settings: DecideSettings,
): { rollout?: Rollout; progress?: RotationProgress; event?: RotationEvent } {
  // Members whose leaves this run include one they had never presented, while they had presented another before.
  // The timeline indexed once (a scan per member and per leaf was quadratic in a big pool's members).
  const byMember = new Map<string, TimelineEntry[]>();
  for (const e of memory.timeline) byMember.set(e.member, [...(byMember.get(e.member) ?? []), e]);
  const changes: RotationEvent["changes"] = [];
  for (const [member, leaves] of Object.entries(o.members)) {
    const seen = byMember.get(member);
    if (!seen) continue;
    const before = previousOf(seen, member, new Set(leaves.map((l) => l.fingerprint)));
    for (const l of leaves) if (!seen.some((e) => e.fingerprint === l.fingerprint)) changes.push({ member, from: before, to: l });
  }
  let rollout = memory.rollout ? { ...memory.rollout } : undefined;
  const known = new Set(memory.timeline.map((e) => e.fingerprint));
  // A rollout starts when a member seen before presents a certificate the pool never presented (a member new to
  // the pool with a certificate of its own does not start one).
  if (!rollout && changes.some((c) => !known.has(c.to.fingerprint))) {
    // The old certificates: what the pool presented at its last sighting before this run.
    const last = Math.max(...memory.timeline.map((e) => ms(e.lastSeen)));
    rollout = { since: o.at, old: [...new Set(memory.timeline.filter((e) => ms(e.lastSeen) === last).map((e) => e.fingerprint))] };
  }
  if (!rollout) return changes.length ? { event: { kind: "certificate-change", changes } } : {};
  const old = new Set(rollout.old);
  const since = ms(rollout.since);
  const firstInPool = new Map<string, number>();
  for (const e of timeline) firstInPool.set(e.fingerprint, Math.min(firstInPool.get(e.fingerprint) ?? Infinity, ms(e.firstSeen)));
  const isNew = (fp: string) => !old.has(fp) && (firstInPool.get(fp) ?? Infinity) >= since;
  const progress: RotationProgress = { since: rollout.since, onNew: [], onOld: [], others: [...o.unseen] };
  for (const [member, leaves] of Object.entries(o.members)) {
    if (leaves.some((l) => isNew(l.fingerprint))) progress.onNew.push(member);
    else if (leaves.every((l) => old.has(l.fingerprint))) progress.onOld.push(member);
    else progress.others.push(member);
  }
  if (progress.onOld.length === 0 && progress.others.length === 0) return { progress, event: { kind: "rollout-completed", changes, progress } };
  // Every member back on the old certificates: rolled back, the rollout is over (the divergence recovery says so).
  if (progress.onNew.length === 0 && progress.others.length === 0) return changes.length ? { event: { kind: "certificate-change", changes } } : {};
  const expiring = Object.entries(o.members)
    .filter(([m]) => progress.onOld.includes(m))
    .flatMap(([, ls]) => ls)
    .find((l) => l.notAfter && ms(l.notAfter) - ms(o.at) < settings.expiryWarningDays * 86_400_000);
  const overdue = ms(o.at) - since >= settings.rolloutStallMs;
  if (!rollout.stallTold && (overdue || expiring)) {
    rollout.stallTold = true;
    const stalled = expiring ? { expiring } : { overdueHours: Math.round((ms(o.at) - since) / 3_600_000) };
    return { rollout, progress, event: { kind: "rollout-stalled", changes, progress, stalled } };
  }
  return { rollout, progress, ...(changes.length ? { event: { kind: "certificate-change" as const, changes, progress } } : {}) };
}

function rotationFinding(
  rollout: Rollout | undefined,
  progress: RotationProgress | undefined,
  event: RotationEvent | undefined,
): FindingOf<"certificate-rotation"> | undefined {
  if (!event && !progress) return undefined;
  const changes = (event?.changes ?? []).map((c) => ({ member: c.member, ...(c.from ? { from: c.from.fingerprint } : {}), to: c.to.fingerprint }));
  const completed = event?.kind === "rollout-completed";
  const stalled = Boolean(rollout?.stallTold) && !completed;
  const members = progress ? progress.onNew.length + progress.onOld.length + progress.others.length : 0;
  const message = completed
    ? `certificate rollout completed: all ${members} members present the new certificate (started ${progress!.since})`
    : progress
      ? `certificate rollout ${stalled ? "stalled" : "in progress"}: ${progress.onNew.length} of ${members} members on the new certificate since ${progress.since}` +
        (progress.onOld.length ? `; still on the old one: ${progress.onOld.join(", ")}` : "")
      : `certificate changed on ${[...new Set(changes.map((c) => c.member))].join(", ")}`;
  return {
    kind: "certificate-rotation",
    severity: stalled ? "warning" : "info",
    message,
    ...(stalled ? { remedy: "Finish the rollout: install the new certificate on the members still on the old one (or roll the others back)." } : {}),
    evidence: { changes, ...(progress ? { rollout: { ...progress, completed, stalled } } : {}) },
  };
}

/**
 * One run's decision for one endpoint. Pure: the memory read (EMPTY_MEMORY when none), the observation (undefined
 * when the endpoint did not finish: nothing changes but retries of earlier claims), the time and the settings.
 */
export function decide(memory: EndpointMemory, o: Observation | undefined, now: Date, settings: DecideSettings): Decision {
  const at = now.toISOString();
  const claimedUntil = settings.claimUntil.toISOString();
  const version = memory.version + 1;
  const dropped: Decision["dropped"] = [];
  let pending = memory.pending.filter((p) => {
    if (now.getTime() - ms(p.firstClaimedAt) <= settings.pendingMaxAgeMs) return true;
    dropped.push({ pending: p, why: "expired" });
    return false;
  });
  const claims: Pending[] = [];
  const claim = (alert: Alert) => {
    const id = transitionId(alert.endpoint, version, alert.kind);
    claims.push({
      ...alert,
      attributes: { ...alert.attributes, transitionId: id },
      message: `${alert.message}\n\nTransition id: ${id}`,
      id,
      claimedUntil,
      firstClaimedAt: at,
    });
  };
  const next: EndpointMemory = { ...memory, pending: [] };
  let awaiting = false;
  const findings: Decision["findings"] = [];

  if (o && o.state !== "unknown") {
    next.observed = [o.state, ...memory.observed].slice(0, MAX_OBSERVED);
    const confirmed = next.observed.length >= settings.confirmRuns && next.observed.slice(0, settings.confirmRuns).every((s) => s === o.state);
    const before = memory.told;
    if (!before && confirmed && o.state === "consistent") next.told = "consistent";
    if (o.state !== (before ?? "consistent")) {
      if (!confirmed) awaiting = true;
      else if (o.announcement) {
        // A later transition supersedes an undelivered one: never a stale divergence after its recovery.
        pending = pending.filter((p) => {
          if (p.kind !== "divergence" && p.kind !== "recovery" && p.kind !== "java-risk") return true;
          dropped.push({ pending: p, why: "superseded" });
          return false;
        });
        claim(o.announcement);
        next.told = o.state;
        next.toldAt = at;
        // The divergence message carries the Java verdicts: told with it, or cleared by the recovery.
        next.toldJavaRisk = o.state === "divergent" && Boolean(o.javaRisk);
      }
    }
    // Java clients newly at risk in a divergence already told (a member lost EMS, a certificate changed): one
    // message, once as many runs agree as for a transition. There is no notifying Java-risk alarm: this is the notice.
    next.javaRiskRuns = o.javaRisk ? (memory.javaRiskRuns ?? 0) + 1 : 0;
    if (
      o.state === "divergent" &&
      memory.told === "divergent" &&
      // false, not absent: a divergence told before this field existed carried its verdicts (no upgrade message).
      memory.toldJavaRisk === false &&
      next.javaRiskRuns >= settings.confirmRuns &&
      o.announcement &&
      next.observed.slice(0, settings.confirmRuns).every((s) => s === "divergent")
    ) {
      claim(javaRiskAlert(o.announcement));
      next.toldJavaRisk = true;
    }
  }
  if (o && Object.keys(o.members).length) {
    next.timeline = updateTimeline(memory.timeline, o);
    const { rollout, progress, event } = rotation(memory, o, next.timeline, settings);
    if (rollout && event?.kind !== "rollout-completed") next.rollout = rollout;
    else delete next.rollout;
    if (event) claim(rotationAlert(o.endpoint, event));
    const finding = rotationFinding(rollout, progress, event);
    if (finding) findings.push(finding);
  }
  // Claims whose run is over without confirming them (SNS failed, or answered so that nobody knows): sent again,
  // with the same id, so a subscriber can drop the copy if the first did go out.
  const retries = pending.filter((p) => now.getTime() > ms(p.claimedUntil)).map((p) => ({ ...p, claimedUntil }));
  next.pending = [...pending.map((p) => retries.find((r) => r.id === p.id) ?? p), ...claims];
  return { next, publish: [...retries, ...claims], dropped, awaiting, findings };
}
