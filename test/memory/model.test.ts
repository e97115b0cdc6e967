/** The memory's decisions, pure: what one run changes, what it announces (once), and the rotation timeline. */
import { describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import {
  decide,
  EMPTY_MEMORY,
  observe,
  PENDING_MAX_AGE_MS,
  ROLLOUT_STALL_MS_DEFAULT,
  type DecideSettings,
  type EndpointMemory,
  type LeafSeen,
  type Observation,
} from "../../lambda/memory/model.js";
import type { Alert } from "../../lambda/report/alerts.js";
import { certificate, member, probeOf } from "../helpers/records.js";

const T0 = Date.parse("2026-12-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const settings = (now: Date, over: Partial<DecideSettings> = {}): DecideSettings => ({
  confirmRuns: 1,
  rolloutStallMs: ROLLOUT_STALL_MS_DEFAULT,
  expiryWarningDays: 21,
  claimUntil: new Date(now.getTime() + 60_000),
  pendingMaxAgeMs: PENDING_MAX_AGE_MS,
  ...over,
});

const leaf = (n: string, notAfter = "2027-06-01T00:00:00.000Z"): LeafSeen => ({ fingerprint: `FP-${n}`, subject: `CN=${n}`, serial: `S-${n}`, notAfter });
const alert = (kind: "divergence" | "recovery"): Alert => ({
  endpoint: "api",
  kind,
  severity: kind === "divergence" ? "warning" : "info",
  subject: kind,
  message: `${kind} message`,
  attributes: { endpoint: "api", severity: "info", kind },
});
function seen(minutes: number, members: Record<string, string>, state: Observation["state"] = "consistent", extra: Partial<Observation> = {}): Observation {
  const announcement = state === "divergent" ? alert("divergence") : state === "consistent" ? alert("recovery") : undefined;
  return {
    endpoint: "api",
    at: at(minutes).toISOString(),
    state,
    members: Object.fromEntries(Object.entries(members).map(([m, n]) => [m, [leaf(n)]])),
    unseen: [],
    ...(announcement ? { announcement } : {}),
    ...extra,
  };
}

/** Runs decisions in sequence as the store would keep them (every write lands, every claim is sent and settled). */
function runs(observations: Array<[number, Observation | undefined]>, over: Partial<DecideSettings> = {}) {
  let memory: EndpointMemory = EMPTY_MEMORY;
  const sent: Array<{ kind: string; id: string; subject: string; message: string }> = [];
  const findings: string[][] = [];
  for (const [minutes, o] of observations) {
    const d = decide(memory, o, at(minutes), settings(at(minutes), over));
    for (const p of d.publish) sent.push({ kind: p.kind, id: p.id, subject: p.subject, message: p.message });
    findings.push(d.findings.map((f) => f.message));
    memory = { ...d.next, version: memory.version + 1, pending: [] };
  }
  return { memory, sent, findings };
}

describe("Java risk: one notice per cause", () => {
  it("divergent and Java-safe, then Java clients at risk (a member lost EMS): one java-risk message once 2 runs agree, nothing more; the recovery ends it", () => {
    const risky = (minutes: number) => seen(minutes, { m1: "A", m2: "B" }, "divergent", { javaRisk: true });
    const { sent, memory } = runs(
      [
        [0, seen(0, { m1: "A", m2: "B" }, "divergent")],
        [5, seen(5, { m1: "A", m2: "B" }, "divergent")],
        [10, risky(10)],
        [15, risky(15)],
        [20, risky(20)],
        [25, seen(25, { m1: "A", m2: "A" })],
        [30, seen(30, { m1: "A", m2: "A" })],
      ],
      { confirmRuns: 2 },
    );
    expect(sent.map((s) => s.kind).filter((k) => k !== "certificate-change")).toEqual(["divergence", "java-risk", "recovery"]);
    expect(sent.find((s) => s.kind === "java-risk")!.subject).toBe("[tls-pool-monitor] api: Java clients now at risk (the pool was already divergent)");
    expect(memory.toldJavaRisk).toBe(false);
  });

  it("a divergence told with Java risk already in it: no second message for the risk", () => {
    const { sent } = runs([
      [0, seen(0, { m1: "A", m2: "B" }, "divergent", { javaRisk: true })],
      [5, seen(5, { m1: "A", m2: "B" }, "divergent", { javaRisk: true })],
    ]);
    expect(sent.map((s) => s.kind)).toEqual(["divergence"]);
  });
});

describe("divergence: announced once per confirmed transition, only from observations", () => {
  it("consistent, divergent ×2, consistent: one divergence, one recovery, each with a transition id", () => {
    const { sent, memory } = runs([
      [0, seen(0, { m1: "A", m2: "A" })],
      [5, seen(5, { m1: "A", m2: "B" }, "divergent")],
      [10, seen(10, { m1: "A", m2: "B" }, "divergent")],
      [15, seen(15, { m1: "A", m2: "A" })],
    ]);
    // m2's certificate changed (A → B: a rotation message), then went back to one it had presented (a rollback: the
    // rollout ends, and the recovery says so).
    expect(sent.map((s) => s.kind)).toEqual(["divergence", "certificate-change", "recovery"]);
    expect(memory.rollout).toBeUndefined();
    expect(sent.filter((s) => s.kind === "divergence" || s.kind === "recovery").map((s) => s.id)).toEqual([
      expect.stringMatching(/^tpm-[0-9a-f]{10}-2-divergence$/),
      expect.stringMatching(/^tpm-[0-9a-f]{10}-4-recovery$/),
    ]);
    expect(sent.find((s) => s.kind === "divergence")!.message).toMatch(/Transition id: tpm-/);
    expect(memory.told).toBe("consistent");
  });

  it("no false recovery: a divergent pool that went dark (nothing seen) and came back divergent is told once", () => {
    const { sent } = runs([
      [0, seen(0, { m1: "A", m2: "B" }, "divergent")],
      [5, { endpoint: "api", at: at(5).toISOString(), state: "unknown", members: {}, unseen: ["m1", "m2"] }],
      [10, { endpoint: "api", at: at(10).toISOString(), state: "unknown", members: {}, unseen: ["m1", "m2"] }],
      [15, seen(15, { m1: "A", m2: "B" }, "divergent")],
    ]);
    expect(sent.map((s) => s.kind)).toEqual(["divergence"]);
  });

  it("a run that did not finish (no observation) changes nothing and announces nothing, however long it lasts", () => {
    const first = runs([[0, seen(0, { m1: "A", m2: "B" }, "divergent")]]);
    // 35 minutes of runs that did not finish: the memory is not a lookback window.
    let memory = first.memory;
    for (let m = 5; m <= 35; m += 5) {
      const d = decide(memory, undefined, at(m), settings(at(m)));
      expect(d.publish).toEqual([]);
      memory = { ...d.next, version: memory.version + 1 };
    }
    expect(memory.told).toBe("divergent");
    const fixed = decide(memory, seen(40, { m1: "A", m2: "A" }), at(40), settings(at(40)));
    expect(fixed.publish.map((p) => p.kind)).toContain("recovery");
  });

  it("hysteresis: with confirmRuns 2 a flip each run announces nothing; two agreeing runs do", () => {
    const flipping = runs(
      [0, 5, 10, 15].map((m, i) => [m, i % 2 ? seen(m, { m1: "A", m2: "A" }) : seen(m, { m1: "A", m2: "A" }, "divergent")] as [number, Observation]),
      { confirmRuns: 2 },
    );
    expect(flipping.sent.filter((s) => s.kind === "divergence" || s.kind === "recovery")).toEqual([]);
    const steady = runs(
      [
        [0, seen(0, { m1: "A", m2: "A" }, "divergent")],
        [5, seen(5, { m1: "A", m2: "A" }, "divergent")],
      ],
      { confirmRuns: 2 },
    );
    expect(steady.sent.map((s) => s.kind)).toEqual(["divergence"]);
  });

  it("a claim not confirmed is re-sent after its run's deadline with the same id; a later transition supersedes it", () => {
    const d1 = decide(EMPTY_MEMORY, seen(0, { m1: "A", m2: "B" }, "divergent"), at(0), settings(at(0)));
    const claimed = { ...d1.next, version: 1 };
    // An overlapping run before the first one's deadline: leaves the claim alone.
    expect(decide(claimed, seen(0.5, { m1: "A", m2: "B" }, "divergent"), at(0.5), settings(at(0.5))).publish).toEqual([]);
    const retry = decide(claimed, seen(5, { m1: "A", m2: "B" }, "divergent"), at(5), settings(at(5)));
    expect(retry.publish.map((p) => p.id)).toEqual([d1.publish[0]!.id]);
    const superseded = decide(claimed, seen(5, { m1: "A", m2: "A" }), at(5), settings(at(5)));
    expect(superseded.dropped.map((d) => [d.pending.kind, d.why])).toEqual([["divergence", "superseded"]]);
    expect(superseded.publish.map((p) => p.kind)).toEqual(["recovery", "certificate-change"]);
    // Given up after a day.
    const late = decide(claimed, undefined, at(24 * 60 + 1), settings(at(24 * 60 + 1)));
    expect(late.dropped.map((d) => d.why)).toEqual(["expired"]);
  });

  it("observe: unknown when nothing was seen, or a member presented nothing; divergent whenever two leaves are seen", () => {
    const a = certificate({ fingerprint: "AA" });
    const b = certificate({ fingerprint: "BB" });
    const down = { class: "timeout" as const, message: "timed out" };
    const probe = (members: ReturnType<typeof member>[]) => probeOf({ members, certificates: [a, b] });
    const state = (p: ReturnType<typeof probe>) => observe(p, analyzeEndpoint(p), at(0)).state;
    expect(state(probe([member({ label: "10.0.0.1:443", leaf: "AA" }), member({ label: "10.0.0.2:443", leaf: "AA" })]))).toBe("consistent");
    expect(state(probe([member({ label: "10.0.0.1:443", leaf: "AA" }), member({ label: "10.0.0.2:443", leaf: "BB" })]))).toBe("divergent");
    expect(state(probe([member({ label: "10.0.0.1:443", leaf: "AA" }), member({ label: "10.0.0.2:443", leaf: "AA", down })]))).toBe("unknown");
    expect(state(probe([member({ label: "10.0.0.1:443", leaf: "AA", down })]))).toBe("unknown");
  });
});

describe("rotation: the timeline per member", () => {
  it("one member renewed, then the others: a change with the rollout in progress, then completed, each once", () => {
    const { sent, findings } = runs([
      [0, seen(0, { m1: "A", m2: "A", m3: "A" })],
      [5, seen(5, { m1: "A", m2: "A", m3: "A" })],
      [10, seen(10, { m1: "B", m2: "A", m3: "A" }, "divergent")],
      [15, seen(15, { m1: "B", m2: "A", m3: "A" }, "divergent")],
      [20, seen(20, { m1: "B", m2: "B", m3: "B" })],
      [25, seen(25, { m1: "B", m2: "B", m3: "B" })],
    ]);
    const rotation = sent.filter((s) => s.kind !== "divergence" && s.kind !== "recovery");
    expect(rotation.map((s) => s.kind)).toEqual(["certificate-change", "rollout-completed"]);
    expect(rotation[0]!.subject).toBe("[tls-pool-monitor] api: certificate changed on m1 (1/3 on the new one)");
    expect(rotation[0]!.message).toContain(`Rollout in progress: 1 of 3 members on the new certificate since ${at(10).toISOString()}.`);
    expect(rotation[0]!.message).toContain("Still on the old certificate: m2, m3.");
    expect(rotation[0]!.message).toContain("what differs: subject CN=A -> CN=B; serial S-A -> S-B");
    expect(rotation[1]!.message).toContain("Rollout completed: all 3 members present the new certificate");
    expect(rotation[1]!.message).toMatch(/m2: CN=A[^\n]*\n {4}-> CN=B/);
    expect(findings[3]).toEqual([
      `certificate rollout in progress: 1 of 3 members on the new certificate since ${at(10).toISOString()}; still on the old one: m2, m3`,
    ]);
    expect(findings[5]).toEqual([]);
  });

  it("a rollout stalled: announced once after the configured time", () => {
    const { sent } = runs(
      [
        [0, seen(0, { m1: "A", m2: "A" })],
        [5, seen(5, { m1: "B", m2: "A" }, "divergent")],
        [60, seen(60, { m1: "B", m2: "A" }, "divergent")],
        [125, seen(125, { m1: "B", m2: "A" }, "divergent")],
        [200, seen(200, { m1: "B", m2: "A" }, "divergent")],
      ],
      { rolloutStallMs: 2 * 3_600_000 },
    );
    const stalled = sent.filter((s) => s.kind === "rollout-stalled");
    expect(stalled).toHaveLength(1);
    expect(stalled[0]!.message).toMatch(
      /^Action: finish the rollout on m2 \(or roll the others back\): 2 h since it started\.\nEndpoint api: certificate rollout stalled\./,
    );
  });

  it("a rollout stalls at once when the old certificate still presented expires within the threshold", () => {
    let memory: EndpointMemory = EMPTY_MEMORY;
    const soon = "2026-12-10T00:00:00.000Z";
    const observe1 = (m: number, members: Record<string, LeafSeen>): Observation => ({
      endpoint: "api",
      at: at(m).toISOString(),
      state: "consistent",
      members: Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v]])),
      unseen: [],
    });
    const kinds: string[] = [];
    for (const [m, o] of [
      [0, observe1(0, { m1: leaf("A", soon), m2: leaf("A", soon) })],
      [5, observe1(5, { m1: leaf("B"), m2: leaf("A", soon) })],
    ] as Array<[number, Observation]>) {
      const d = decide(memory, o, at(m), settings(at(m)));
      kinds.push(...d.publish.map((p) => p.kind));
      memory = { ...d.next, version: memory.version + 1, pending: [] };
    }
    expect(kinds).toEqual(["rollout-stalled"]);
  });

  it("a member new to the pool with its own certificate starts no rollout; the timeline is bounded per member", () => {
    const { sent, memory } = runs([
      [0, seen(0, { m1: "A" })],
      [5, seen(5, { m1: "A", m2: "Z" }, "divergent")],
      ...Array.from({ length: 8 }, (_, i) => [10 + i * 5, seen(10 + i * 5, { m1: `R${i}`, m2: "Z" }, "divergent")] as [number, Observation]),
    ]);
    expect(sent.filter((s) => s.kind.startsWith("rollout") || s.kind === "certificate-change")[0]!.subject).toContain("certificate changed on m1");
    expect(memory.timeline.filter((e) => e.member === "m1")).toHaveLength(4);
  });
});
