/** The facts of a pool that the Java rule depends on, read from one endpoint's probe. */
import type { CertificateInfo, EndpointProbe } from "../../probe/types.js";
import { memberLeaf } from "../observations.js";

export interface ModelMember {
  label: string;
  leaf: CertificateInfo;
  /** Negotiates EMS with a client that asks for it (TLS 1.2 ServerHello). */
  ems: boolean;
  tls13: boolean;
}

export interface PoolModel {
  members: ModelMember[];
  /** Does member `to` resume a session `from` issued, by this mechanism (the cross-member matrix)? */
  accepts(mechanism: "session-id" | "ticket", from: string, to: string): boolean;
}

export function poolModel(probe: EndpointProbe): PoolModel {
  const members: ModelMember[] = [];
  for (const m of probe.members) {
    const fp = memberLeaf(m);
    const leaf = fp ? probe.certificates[fp] : undefined;
    const hello = m.tls12.error ? undefined : m.tls12.serverHello;
    if (!leaf) continue;
    members.push({ label: m.label, leaf, ems: hello?.extendedMasterSecret ?? false, tls13: m.tls13Supported === true });
  }
  const accepted = new Set(probe.matrix.filter((c) => c.outcome === "accepted").map((c) => `${c.mechanism} ${c.from} ${c.to}`));
  return { members, accepts: (mechanism, from, to) => accepted.has(`${mechanism} ${from} ${to}`) };
}

/** Builds a model from explicit facts (used for what-if questions and in tests). */
export function modelOf(members: ModelMember[], accepted: Array<[mechanism: "session-id" | "ticket", from: string, to: string]>): PoolModel {
  const set = new Set(accepted.map(([m, f, t]) => `${m} ${f} ${t}`));
  return { members, accepts: (mechanism, from, to) => set.has(`${mechanism} ${from} ${to}`) };
}
