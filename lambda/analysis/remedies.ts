/**
 * Remedies computed for this pool, best first: each one a change, the members it applies to, and the Java
 * profiles it makes safe on its own, found by re-running the verdict on the pool model with the change applied
 * (a what-if, not a rule of thumb). Facts measured on real clients that the what-ifs follow (issue 14): shared
 * ticket keys do not protect clients without TLS 1.2 tickets (JDK 8: 9 aborts in 30 remained); TLS 1.3 does not help
 * clients pinned to TLS 1.2; EMS does not help clients with EMS off; source stickiness avoided every abort (0 in
 * 180) but breaks on failover and scale-in, so it is a mitigation.
 */
import { isIP } from "node:net";
import type { EndpointProbe } from "../probe/types.js";
import { identityEquivalentFirstSan } from "./java/identity.js";
import { poolModel, type ModelMember, type PoolModel } from "./java/pool-model.js";
import { JAVA_PROFILES, type JavaProfileId } from "./java/profiles.js";
import { atRisk, whatIfVerdicts, type JavaVerdict } from "./java/verdict.js";
import { certificateName, plural } from "./observations.js";
import { SNIPPETS, type Snippets } from "./snippets.js";

export const REMEDY_ACTIONS = [
  "same-certificate",
  "shared-san",
  "share-session-state",
  "enable-ems",
  "enable-tls13",
  "sticky-routing",
  "allow-unsafe-cert-change",
] as const;

export type RemedyAction = (typeof REMEDY_ACTIONS)[number];

export interface Remedy {
  action: RemedyAction;
  /** The members the change applies to (for enable-ems, the members without EMS); empty for a VIP or client change. */
  members: string[];
  /** Java profiles that are not safe now and would be safe with this change alone. */
  makesSafe: JavaProfileId[];
  /** The pool already has it: not a to-do. */
  inPlace: boolean;
  detail: string;
  /** How to make the change on common TLS terminators and load balancers. */
  snippets: Snippets;
}

/** The verdict on the model as changed, per profile: the ids that are safe there but not now. */
function madeSafe(probe: EndpointProbe, now: JavaVerdict[], changed: PoolModel): JavaProfileId[] {
  const after = new Map(whatIfVerdicts(probe, changed).map((v) => [v.profile, v.verdict]));
  return now.filter((v) => v.verdict !== "safe" && after.get(v.profile) === "safe").map((v) => v.profile);
}

const withMembers = (model: PoolModel, map: (m: ModelMember) => ModelMember): PoolModel => ({ ...model, members: model.members.map(map) });

export function computeRemedies(probe: EndpointProbe, javaClients: JavaVerdict[], model: PoolModel = poolModel(probe)): Remedy[] {
  const members = model.members;
  // A remedy's promise is a what-if on measured facts: with resumption unmeasured there is none to make.
  if (members.length === 0 || model.unmeasurable.length) return [];
  const remedy = (action: RemedyAction, fields: Omit<Remedy, "action" | "snippets">): Remedy => ({ action, ...fields, snippets: SNIPPETS[action] });
  const out: Remedy[] = [];

  // One certificate: the one most members present.
  const byLeaf = new Map<string, ModelMember[]>();
  for (const m of members) byLeaf.set(m.leaf.fingerprint256, [...(byLeaf.get(m.leaf.fingerprint256) ?? []), m]);
  const [majority] = [...byLeaf.values()].sort((a, b) => b.length - a.length) as [ModelMember[]];
  const target = majority[0]!.leaf;
  const others = members.filter((m) => m.leaf.fingerprint256 !== target.fingerprint256);
  out.push(
    remedy("same-certificate", {
      members: others.map((m) => m.label),
      makesSafe: others.length
        ? madeSafe(
            probe,
            javaClients,
            withMembers(model, (m) => ({ ...m, leaf: target })),
          )
        : [],
      inPlace: others.length === 0,
      detail: others.length
        ? `Install ${certificateName(probe, target.fingerprint256)} (sha256 ${target.fingerprint256.slice(0, 23)}…, presented by ${majority.length} of ${plural(members.length, "member")}) with the same key and chain on ${others.map((m) => m.label).join(", ")}.`
        : "Every member presents the same certificate.",
    }),
  );

  // A shared DNS SAN first in every certificate: identity-equivalent for every JDK rule, even 8u25–8u51's first-SAN test.
  const service = probe.endpoint.servername;
  if (isIP(service) === 0) {
    const first = members.filter((m) => m.leaf.sanDns[0] !== service);
    const equivalent = members.every((a) => members.every((b) => identityEquivalentFirstSan(a.leaf, b.leaf)));
    out.push(
      remedy("shared-san", {
        members: equivalent ? [] : first.map((m) => m.label),
        makesSafe: equivalent
          ? []
          : madeSafe(
              probe,
              javaClients,
              withMembers(model, (m) => ({ ...m, leaf: { ...m.leaf, sanDns: [service, ...m.leaf.sanDns.filter((d) => d !== service)] } })),
            ),
        inPlace: equivalent,
        detail: equivalent
          ? "Every member's certificate is identity-equivalent to every other's, even for JDK 8u25–8u51 (same first SAN, or the same certificate)."
          : `Reissue the certificates of ${first.map((m) => m.label).join(", ")} with DNS:${service} as their FIRST subject alternative name (each may keep its own names after it).`,
      }),
    );
  }

  // Shared ticket keys: every member resumes every other's tickets (TLS 1.2 tickets and TLS 1.3 PSKs); session-ID
  // caches stay per member, so clients without TLS 1.2 tickets (JDK 8) keep their risk.
  const ticketsShared = model.ticketsShared;
  const sharedModel: PoolModel = {
    ...model,
    offer: (mechanism, from, to) => (mechanism === "ticket" ? "accepted" : model.offer(mechanism, from, to)),
    accepts: (mechanism, from, to) => mechanism === "ticket" || model.accepts(mechanism, from, to),
    failedOffers: new Set([...model.failedOffers].filter((m) => m !== "ticket")),
    ticketsShared: true,
  };
  // Members that negotiate EMS but refuse to resume their own session offered without it behave as JSSE does
  // (ExtendedMasterSecretExtension.java; OpenSSL resumes it): JSSE makes its ticket key per SSLContext, so such
  // members cannot be given shared keys, and the what-if must not promise what cannot be configured.
  const jsseLike = members.filter((m) => m.ems === true && m.resumesWithoutEms === false);
  const jsseNote = jsseLike.length
    ? ` ${jsseLike.map((m) => m.label).join(", ")} behave${jsseLike.length === 1 ? "s" : ""} as JSSE (Jetty, PuppetDB, Puppet Server) does (EMS, and no resumption of a session offered without it): JSSE makes its ticket key per SSLContext and cannot share it, so there this is not possible.`
    : "";
  const shareable = jsseLike.length === 0;
  out.push(
    remedy("share-session-state", {
      members: ticketsShared ? [] : members.filter((m) => !jsseLike.includes(m)).map((m) => m.label),
      makesSafe: ticketsShared || !shareable ? [] : madeSafe(probe, javaClients, sharedModel),
      inPlace: ticketsShared,
      detail: ticketsShared
        ? "Every member resumes every other member's session tickets."
        : "Give every member the same session-ticket keys (and rotate them together), so that any member resumes another's ticket. " +
          "It does not help clients that offer session IDs only (JDK 8). Measured: HAProxy resumes another instance's ticket whatever its certificate; nginx and Apache only when it presents the same certificate, so there it needs same-certificate too." +
          jsseNote,
    }),
  );

  const withoutEms = members.filter((m) => m.ems === false);
  const unknownEms = members.filter((m) => m.ems === undefined);
  out.push(
    remedy("enable-ems", {
      members: withoutEms.map((m) => m.label),
      makesSafe:
        withoutEms.length || unknownEms.length
          ? madeSafe(
              probe,
              javaClients,
              withMembers(model, (m) => ({ ...m, ems: true })),
            )
          : [],
      inPlace: withoutEms.length === 0 && unknownEms.length === 0,
      detail:
        withoutEms.length === 0 && unknownEms.length === 0
          ? "Every member negotiates the extended master secret (RFC 7627)."
          : `Enable the extended master secret (RFC 7627) on ${[...withoutEms, ...unknownEms].map((m) => m.label).join(", ")}${unknownEms.length ? ` (${unknownEms.map((m) => m.label).join(", ")}: not readable, no TLS 1.2 session)` : ""}: JDK 8u161+ and 11+ then skip the check; clients with EMS off do not benefit.`,
    }),
  );

  const withoutTls13 = members.filter((m) => !m.tls13);
  out.push(
    remedy("enable-tls13", {
      members: withoutTls13.map((m) => m.label),
      makesSafe: withoutTls13.length
        ? madeSafe(
            probe,
            javaClients,
            withMembers(model, (m) => ({ ...m, tls13: true })),
          )
        : [],
      inPlace: withoutTls13.length === 0,
      detail: withoutTls13.length
        ? `Enable TLS 1.3 on ${withoutTls13.map((m) => m.label).join(", ")}: JDK 11+ clients then use it, and it has no such check; clients pinned to TLS 1.2 and JDK 8 do not benefit.`
        : "Every member negotiates TLS 1.3.",
    }),
  );

  if (javaClients.some(atRisk)) {
    // A client pinned to one member never meets another certificate: the verdict on a one-member pool.
    const pinned: PoolModel = { ...model, members: [members[0]!] };
    out.push(
      remedy("sticky-routing", {
        members: [],
        makesSafe: madeSafe(probe, javaClients, pinned),
        inPlace: false,
        detail:
          "A mitigation at the VIP, not a fix: route each client to one member (source-address persistence). Measured: 0 aborts in 180 requests. " +
          "It breaks on failover and scale-in (the client's next member refuses its session) and hides the divergence from the clients that would have found it.",
      }),
    );
    out.push(
      remedy("allow-unsafe-cert-change", {
        members: [],
        // The switch removes the check itself: every profile is then safe from this abort.
        makesSafe: javaClients.filter((v) => v.verdict !== "safe").map((v) => v.profile),
        inPlace: false,
        detail:
          "Last resort, on every Java client: -Djdk.tls.allowUnsafeServerCertChange=true. It removes the protection against the triple handshake attack (the reason the check exists); prefer any change above.",
      }),
    );
  }
  return rank(out);
}

/** To-dos first, most profiles made safe first (then the listed order); the mitigation after them; in place next; the unsafe switch last. */
function rank(remedies: Remedy[]): Remedy[] {
  const group = (r: Remedy) => (r.action === "allow-unsafe-cert-change" ? 3 : r.inPlace ? 2 : r.action === "sticky-routing" ? 1 : 0);
  const order = (r: Remedy) => REMEDY_ACTIONS.indexOf(r.action);
  return [...remedies].sort((a, b) => group(a) - group(b) || b.makesSafe.length - a.makesSafe.length || order(a) - order(b));
}

/** Profile labels, for messages. */
export const profileLabel = (id: JavaProfileId): string => JAVA_PROFILES.find((p) => p.id === id)?.label ?? id;
