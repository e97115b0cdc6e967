/** The facts of a pool that the Java rule depends on, read from one endpoint's probe. */
import type { CertificateInfo, EndpointProbe } from "../../probe/types.js";
import { unmeasurableMembers } from "../client-auth.js";
import { droppedSessionOf } from "../session-size.js";
import { memberEms } from "../ems.js";
import { memberLeaf } from "../observations.js";

export interface ModelMember {
  label: string;
  leaf: CertificateInfo;
  /** Negotiates EMS with a client that asks for it (TLS 1.2); undefined when it could not be read. */
  ems: boolean | undefined;
  /**
   * Resumes its own TLS 1.2 session offered by a client that sends no EMS (JDK 8u25–8u152, 11+ with EMS off).
   * false for JSSE with EMS on; undefined when it could not be measured.
   */
  resumesWithoutEms: boolean | undefined;
  tls13: boolean;
  /** Set when a fact was assumed for a what-if or an either-way verdict (never stated as measured in a reason). */
  assumed?: { ems?: boolean; resumesWithoutEms?: boolean };
}

/** `unknown`: the pair was not offered (a sampled matrix); never read as refused or accepted. */
export type OfferOutcome = "accepted" | "refused" | "failed" | "unknown";

export interface PoolModel {
  members: ModelMember[];
  /**
   * Members whose sessions could not be measured (the server ended every TLS 1.2 handshake over the client
   * certificate): no verdict can be reached while there are any.
   */
  unmeasurable: Array<{ label: string; why: string }>;
  /** The matrix was sampled: pairs it did not offer are unknown. */
  sampled: boolean;
  /**
   * Offers between probed members that could not be made or answered (the session's own handshake failed, or the
   * offer's connection timed out or was reset): unknown, never read as refused.
   */
  unmeasuredOffers: number;
  /** What member `to` does with a session `from` issued, offered by this mechanism (the cross-member matrix). */
  offer(mechanism: "session-id" | "ticket", from: string, to: string): OfferOutcome;
  accepts(mechanism: "session-id" | "ticket", from: string, to: string): boolean;
  /** Whether `to`'s answer to `from`'s sessions was measured (always, unless the matrix was sampled). */
  measured(from: string, to: string): boolean;
  /** The mechanisms some offer between members was answered with a fatal alert by (read from the cells once). */
  failedOffers: ReadonlySet<"session-id" | "ticket">;
  /** Every member resumes every other member's tickets (a full matrix says so): the keys are shared. */
  ticketsShared: boolean;
}

function fromCells(
  cells: Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; outcome: OfferOutcome }>,
  missing: OfferOutcome = "refused",
): Pick<PoolModel, "offer" | "accepts"> & {
  measured: Map<string, Set<string>>;
  unknownCells: Array<{ from: string; to: string }>;
  cells: Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; outcome: OfferOutcome }>;
} {
  const outcomes = new Map(cells.map((c) => [`${c.mechanism} ${c.from} ${c.to}`, c.outcome]));
  const measured = new Map<string, Set<string>>();
  for (const c of cells) if (c.outcome !== "unknown") measured.set(c.from, (measured.get(c.from) ?? new Set()).add(c.to));
  // A pair the full matrix did not list had no session to offer: the member is refused. In a sample it is unknown.
  const offer = (mechanism: "session-id" | "ticket", from: string, to: string): OfferOutcome => outcomes.get(`${mechanism} ${from} ${to}`) ?? missing;
  return {
    offer,
    accepts: (mechanism, from, to) => offer(mechanism, from, to) === "accepted",
    measured,
    cells,
    unknownCells: cells.filter((c) => c.outcome === "unknown"),
  };
}

function assemble(members: ModelMember[], sampled: boolean, cells: ReturnType<typeof fromCells>, unmeasurable: PoolModel["unmeasurable"] = []): PoolModel {
  const { measured, ...rest } = cells;
  // Outside a sample every answer is known: a pair without a cell had no session to offer (refused).
  const inModel = new Set(members.map((m) => m.label));
  const unmeasuredOffers = cells.unknownCells.filter((c) => inModel.has(c.from) && inModel.has(c.to)).length;
  const { unknownCells: _unknown, cells: all, ...offers } = rest;
  const between = all.filter((c) => inModel.has(c.from) && inModel.has(c.to));
  const failedOffers = new Set(between.filter((c) => c.outcome === "failed").map((c) => c.mechanism));
  // Counted, not checked pair by pair (O(m²) lookups at 10,000 members): n·(n−1) accepted cross-member ticket offers.
  const ticketPairs = new Set(between.filter((c) => c.mechanism === "ticket" && c.from !== c.to && c.outcome === "accepted").map((c) => `${c.from} ${c.to}`));
  const n = members.length;
  return {
    members,
    unmeasurable,
    sampled,
    unmeasuredOffers,
    failedOffers,
    ticketsShared: n <= 1 || (!sampled && ticketPairs.size === n * (n - 1)),
    ...offers,
    measured: (from, to) => (!sampled && unmeasuredOffers === 0) || measured.get(from)?.has(to) === true,
  };
}

/** What the EMS-less pair of connections showed: refused or no session ID to offer back are both "does not resume". */
function resumesWithoutEms(m: EndpointProbe["members"][number]): boolean | undefined {
  const outcome = m.emsLessResumption?.outcome;
  return outcome === "accepted" ? true : outcome === "refused" || outcome === "no-session" ? false : undefined;
}

export function poolModel(probe: EndpointProbe): PoolModel {
  const members: ModelMember[] = [];
  for (const m of probe.members) {
    const fp = memberLeaf(m);
    const leaf = fp ? probe.certificates[fp] : undefined;
    if (!leaf) continue;
    members.push({ label: m.label, leaf, ems: memberEms(m), resumesWithoutEms: resumesWithoutEms(m), tls13: m.tls13Supported === true });
  }
  // A failed offer (e.g. a handshake_failure alert) is kept apart: the client's handshake fails, it does not fall back.
  const sampled = probe.matrixPlan?.full === false;
  // A session that could not be made (its handshake failed) was never offered: unknown, not "no session issued".
  const byLabel = new Map(probe.members.map((m) => [m.label, m]));
  const sessionFailed = (label: string, mechanism: "session-id" | "ticket") => {
    const m = byLabel.get(label);
    return (mechanism === "session-id" ? m?.tls12 : m?.tls12Ticket)?.error !== undefined;
  };
  const cells = probe.matrix.flatMap((c): Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; outcome: OfferOutcome }> => {
    const base = { mechanism: c.mechanism, from: c.from, to: c.to };
    if (c.outcome === "no-session") {
      if (sessionFailed(c.from, c.mechanism)) return [{ ...base, outcome: "unknown" }];
      return sampled ? [{ ...base, outcome: "refused" }] : [];
    }
    // A fatal alert answers the offer (the client fails, it does not fall back); a timeout or a reset answers nothing.
    if (c.outcome === "failed" && c.error?.class !== "tls-alert") return [{ ...base, outcome: "unknown" }];
    return [{ ...base, outcome: c.outcome }];
  });
  return assemble(members, sampled, fromCells(cells, sampled ? "unknown" : "refused"), [
    ...unmeasurableMembers(probe).map((m) => ({
      label: m.label,
      why: "ended every TLS 1.2 handshake over the client certificate, so no session could be made there (configure the client certificate the members require)",
    })),
    // Its sessions were over what Node keeps: offered nowhere, so its resumption is unknown, not absent.
    ...probe.members.flatMap((m) => {
      const bytes = droppedSessionOf(m);
      return bytes === undefined
        ? []
        : [
            {
              label: m.label,
              why: `issues sessions of ${bytes} bytes, more than Node keeps (10 KiB), so they could not be offered and resumption there was not measured`,
            },
          ];
    }),
    // Answers clients, but not over TLS 1.2 or 1.3: its certificate, EMS and resumption are not what the verdicts
    // are made of, so no verdict may say "safe" past it (issue 23: a TLS 1.0-only member read as safe).
    ...probe.members
      .filter((m) => m.legacy && memberLeaf(m) === undefined)
      .map((m) => ({
        label: m.label,
        why:
          "answers only TLS 1.0/1.1: JDK 8u291+ and 11.0.11+ cannot connect there at all (TLS 1.0/1.1 disabled, JDK-8202343), older JDK 8 builds can, " +
          "and its sessions (EMS, resumption) were not measured over those versions",
      })),
  ]);
}

/** A member fact that may be unknown; the verdict is taken both ways and is unknown when the two differ. */
export type UncertainFact = "ems" | "resumesWithoutEms";

/** The model with every unknown `fact` set to `value`, marked as assumed: a verdict that holds both ways does not depend on it. */
export function assuming(model: PoolModel, fact: UncertainFact, value: boolean): PoolModel {
  return {
    ...model,
    members: model.members.map((m) => (m[fact] === undefined ? { ...m, [fact]: value, assumed: { ...m.assumed, [fact]: value } } : m)),
  };
}

/** Builds a model from explicit facts (used for what-if questions and in tests). */
export function modelOf(
  members: ModelMember[],
  offers: Array<[mechanism: "session-id" | "ticket", from: string, to: string, outcome?: OfferOutcome]>,
): PoolModel {
  return assemble(members, false, fromCells(offers.map(([mechanism, from, to, outcome]) => ({ mechanism, from, to, outcome: outcome ?? "accepted" }))));
}
