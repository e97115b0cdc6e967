/**
 * Replays a sequence of connections, each routed to a given member, through one Java client's session cache for
 * the VIP's host:port, and says what happens to each connection. The JDK behaviour behind each branch is cited.
 */
import { identityEquivalent } from "./identity.js";
import type { ModelMember, OfferOutcome, PoolModel } from "./pool-model.js";
import type { JavaClientProfile } from "./profiles.js";

/** `failed`: the member answers the offered session with a fatal alert (not the identity check). */
export type JavaConnectionOutcome = "full" | "resumed" | "aborted" | "failed";

export interface SimulatedConnection {
  index: number;
  member: string;
  outcome: JavaConnectionOutcome;
  /** The protocol the client would negotiate with this member. */
  protocol: "TLSv1.2" | "TLSv1.3";
  /** For an abort: the member whose session was offered. */
  offeredFrom?: string;
}

interface CachedSession {
  origin: ModelMember;
  protocol: "TLSv1.2" | "TLSv1.3";
  ems: boolean;
  /** The JDK's isSessionResumption flag: the session has been resumed at least once. */
  resumedBefore: boolean;
}

export function protocolWith(profile: JavaClientProfile, member: ModelMember): "TLSv1.2" | "TLSv1.3" {
  return profile.tls13 && member.tls13 ? "TLSv1.3" : "TLSv1.2";
}

/** What `to` does with a session of `session.origin` offered by this client. */
export function offerOutcome(profile: JavaClientProfile, model: PoolModel, session: CachedSession, to: ModelMember): OfferOutcome {
  if (protocolWith(profile, to) !== session.protocol) return "refused";
  // A client without EMS offers a session without EMS: a member that does not resume even its own such session
  // (JSSE with EMS on: ExtendedMasterSecretExtension.java, "abort session resumption, missing Extended Master
  // Secret extension") does a full handshake, whatever the matrix (made with EMS) says.
  if (session.protocol === "TLSv1.2" && !profile.ems && to.resumesWithoutEms === false) return "refused";
  const from = session.origin.label;
  // TLS 1.3 PSKs are tickets. In TLS 1.2 a server that gets a ticket decides on it and ignores the session ID.
  if (session.protocol === "TLSv1.3") return model.offer("ticket", from, to.label);
  if (profile.tickets) {
    const byTicket = model.offer("ticket", from, to.label);
    if (byTicket !== "refused") return byTicket;
  }
  return model.offer("session-id", from, to.label);
}

export const resumes = (profile: JavaClientProfile, model: PoolModel, session: CachedSession, to: ModelMember): boolean =>
  offerOutcome(profile, model, session, to) === "accepted";

/**
 * Does a refused offer of `session` followed by a full handshake with `to` abort?
 * OpenJDK: ClientHello kickstart reserves the cached session's peer chain only when the session had been resumed
 * (isSessionResumption) and allowUnsafeServerCertChange is false; T12CertificateConsumer then aborts with
 * "server certificate change is restricted during renegotiation" when the new session has no EMS (8u161+/11+ skip
 * the check otherwise) and the leaves are not identity-equivalent. TLS 1.3 has no such check.
 */
export function abortsOnRefusal(profile: JavaClientProfile, session: CachedSession, to: ModelMember): boolean {
  if (!session.resumedBefore) return false;
  if (protocolWith(profile, to) === "TLSv1.3") return false;
  const newSessionHasEms = profile.ems && to.ems === true;
  if (newSessionHasEms) return false;
  return !identityEquivalent(profile.identity, session.origin.leaf, to.leaf);
}

export function newSession(profile: JavaClientProfile, member: ModelMember): CachedSession {
  return { origin: member, protocol: protocolWith(profile, member), ems: profile.ems && member.ems === true, resumedBefore: false };
}

export function simulate(profile: JavaClientProfile, model: PoolModel, routing: string[]): SimulatedConnection[] {
  const byLabel = new Map(model.members.map((m) => [m.label, m]));
  let cached: CachedSession | undefined;
  return routing.map((label, index): SimulatedConnection => {
    const member = byLabel.get(label);
    if (!member) throw new Error(`routing names ${label}, which is not a probed member`);
    const protocol = protocolWith(profile, member);
    // 8u161+/11+ with EMS on: a cached TLS 1.2 session without EMS is not offered at all (ClientHello producer).
    const offered = cached && !(profile.ems && cached.protocol === "TLSv1.2" && !cached.ems) ? cached : undefined;
    const outcome = offered ? offerOutcome(profile, model, offered, member) : "refused";
    if (outcome === "accepted") {
      // The JDK marks a session "resumed before" only on its TLS 1.2 ServerHello path: a TLS 1.3 resumption never
      // arms the check (measured on JDK 17: 0 aborts in 450 requests where the TLS 1.2 path aborted 9 in 30).
      if (offered!.protocol === "TLSv1.2") offered!.resumedBefore = true;
      return { index, member: label, outcome: "resumed", protocol };
    }
    // A fatal alert ends the handshake before any certificate; the JDK keeps the cached session (seen on JDK 17).
    if (outcome === "failed") return { index, member: label, outcome: "failed", protocol, offeredFrom: offered!.origin.label };
    if (offered && abortsOnRefusal(profile, offered, member)) {
      // 8u65/8u71+: the refused session is invalidated, so the next connection starts afresh. Before, it stayed
      // cached with its flag, and every later connection to a member that refuses it aborts too.
      if (profile.invalidatesRefusedSession) cached = undefined;
      return { index, member: label, outcome: "aborted", protocol, offeredFrom: offered.origin.label };
    }
    cached = newSession(profile, member);
    return { index, member: label, outcome: "full", protocol };
  });
}
