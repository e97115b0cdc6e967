import type { MemberAddress } from "../registry/schema.js";
import type { CertificateCatalog } from "./certificate.js";
import { handshake, type HandshakeOutcome } from "./handshake.js";
import type { ConnectionLimiter } from "./limiter.js";
import type { MatrixCell, MemberProbe } from "./types.js";

export interface MemberTarget extends MemberAddress {
  source: "listed" | "dns";
}

export interface MemberContext {
  servername: string;
  ca?: string;
  timeoutMs: number;
  catalog: CertificateCatalog;
  limit: ConnectionLimiter;
}

/** A member's probe and the sessions it issued, which the cross-member matrix offers to every member. */
export interface MemberSessions {
  probe: MemberProbe;
  sessionId?: Buffer;
  ticket?: Buffer;
}

function connect(member: MemberAddress, ctx: MemberContext, extra: Pick<Parameters<typeof handshake>[0], "profile" | "session" | "renegotiate">) {
  return ctx.limit(() =>
    handshake({
      address: member.address,
      port: member.port,
      servername: ctx.servername,
      ...(ctx.ca ? { ca: ctx.ca } : {}),
      timeoutMs: ctx.timeoutMs,
      catalog: ctx.catalog,
      ...extra,
    }),
  );
}

/**
 * Three connections to one member: the client's best version (TLS 1.3 support shows here), a TLS 1.2
 * session-ID handshake (EMS and renegotiation_info are read from its ServerHello, then a renegotiation is tried
 * on it), and a TLS 1.2 handshake that accepts a ticket.
 */
export async function probeMember(member: MemberTarget, ctx: MemberContext): Promise<MemberSessions> {
  const [best, tls12, ticket]: HandshakeOutcome[] = await Promise.all([
    connect(member, ctx, { profile: "best" }),
    connect(member, ctx, { profile: "tls12-session-id", renegotiate: true }),
    connect(member, ctx, { profile: "tls12-ticket" }),
  ]);
  const probe: MemberProbe = {
    label: member.label,
    address: member.address,
    port: member.port,
    source: member.source,
    handshake: best!.record,
    tls12: tls12!.record,
    tls12Ticket: ticket!.record,
    tls13Supported: best!.record.error ? undefined : best!.record.protocol === "TLSv1.3",
    renegotiation: tls12!.renegotiation ?? { outcome: "not-attempted", detail: "the TLS 1.2 handshake failed" },
  };
  return {
    probe,
    ...(tls12!.session ? { sessionId: tls12!.session } : {}),
    ...(ticket!.session && ticket!.record.serverHello?.ticketPromised ? { ticket: ticket!.session } : {}),
  };
}

/** Offers each member's session (ID and ticket) to every member, itself included, and records who resumes it. */
export async function resumptionMatrix(members: MemberSessions[], targets: MemberTarget[], ctx: MemberContext): Promise<MatrixCell[]> {
  const cells: Array<Promise<MatrixCell>> = [];
  for (const mechanism of ["session-id", "ticket"] as const) {
    for (const from of members) {
      const session = mechanism === "session-id" ? from.sessionId : from.ticket;
      for (const to of targets) {
        const base = { mechanism, from: from.probe.label, to: to.label };
        if (!session) {
          cells.push(Promise.resolve({ ...base, outcome: "no-session" }));
          continue;
        }
        const profile = mechanism === "session-id" ? "tls12-session-id" : "tls12-ticket";
        cells.push(
          connect(to, ctx, { profile, session }).then(({ record }): MatrixCell => {
            if (record.error) return { ...base, outcome: "failed", error: record.error };
            if (record.resumed) return { ...base, outcome: "accepted" };
            return { ...base, outcome: "refused", ...(record.leaf ? { leaf: record.leaf } : {}) };
          }),
        );
      }
    }
  }
  return Promise.all(cells);
}
