/** The facts of a pool that the Java rule depends on, read from one endpoint's probe. */
import type { CertificateInfo, EndpointProbe } from "../../probe/types.js";
import { memberEms } from "../ems.js";
import { memberLeaf } from "../observations.js";

export interface ModelMember {
  label: string;
  leaf: CertificateInfo;
  /** Negotiates EMS with a client that asks for it (TLS 1.2); undefined when it could not be read. */
  ems: boolean | undefined;
  tls13: boolean;
}

export type OfferOutcome = "accepted" | "refused" | "failed";

export interface PoolModel {
  members: ModelMember[];
  /** What member `to` does with a session `from` issued, offered by this mechanism (the cross-member matrix). */
  offer(mechanism: "session-id" | "ticket", from: string, to: string): OfferOutcome;
  accepts(mechanism: "session-id" | "ticket", from: string, to: string): boolean;
}

function fromCells(cells: Array<{ mechanism: "session-id" | "ticket"; from: string; to: string; outcome: OfferOutcome }>): Pick<PoolModel, "offer" | "accepts"> {
  const outcomes = new Map(cells.map((c) => [`${c.mechanism} ${c.from} ${c.to}`, c.outcome]));
  const offer = (mechanism: "session-id" | "ticket", from: string, to: string): OfferOutcome => outcomes.get(`${mechanism} ${from} ${to}`) ?? "refused";
  return { offer, accepts: (mechanism, from, to) => offer(mechanism, from, to) === "accepted" };
}

export function poolModel(probe: EndpointProbe): PoolModel {
  const members: ModelMember[] = [];
  for (const m of probe.members) {
    const fp = memberLeaf(m);
    const leaf = fp ? probe.certificates[fp] : undefined;
    if (!leaf) continue;
    members.push({ label: m.label, leaf, ems: memberEms(m), tls13: m.tls13Supported === true });
  }
  // A failed offer (e.g. a handshake_failure alert) is kept apart: the client's handshake fails, it does not fall back.
  const cells = probe.matrix.flatMap((c) =>
    c.outcome === "no-session" ? [] : [{ mechanism: c.mechanism, from: c.from, to: c.to, outcome: c.outcome === "failed" && c.error?.class !== "tls-alert" ? "refused" : (c.outcome as OfferOutcome) }],
  );
  return { members, ...fromCells(cells) };
}

/** The model with every unknown EMS fact set to `ems`: a verdict that holds both ways does not depend on it. */
export function assumingEms(model: PoolModel, ems: boolean): PoolModel {
  return { ...model, members: model.members.map((m) => (m.ems === undefined ? { ...m, ems } : m)) };
}

/** Builds a model from explicit facts (used for what-if questions and in tests). */
export function modelOf(
  members: ModelMember[],
  offers: Array<[mechanism: "session-id" | "ticket", from: string, to: string, outcome?: OfferOutcome]>,
): PoolModel {
  return { members, ...fromCells(offers.map(([mechanism, from, to, outcome]) => ({ mechanism, from, to, outcome: outcome ?? "accepted" }))) };
}
