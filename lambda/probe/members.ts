import type { MemberAddress } from "../registry/schema.js";
import type { CertificateCatalog } from "./certificate.js";
import { handshake } from "./handshake.js";
import type { ConnectionLimiter, ConnectionPriority } from "./limiter.js";
import type { MatrixPlan } from "./matrix-plan.js";
import type { MatrixCell, MemberProbe, MemberSource, TargetHealth } from "./types.js";

export interface MemberTarget extends MemberAddress {
  source: MemberSource;
  targetHealth?: TargetHealth;
}

export interface MemberContext {
  servername: string;
  ca?: string;
  timeoutMs: number;
  catalog: CertificateCatalog;
  limit: ConnectionLimiter;
  signal?: AbortSignal;
}

/** A member's probe and the sessions it issued, which the cross-member matrix offers to every member. */
export interface MemberSessions {
  probe: MemberProbe;
  sessionId?: Buffer;
  ticket?: Buffer;
}

function connect(
  member: MemberAddress,
  ctx: MemberContext,
  extra: Pick<Parameters<typeof handshake>[0], "profile" | "session" | "renegotiate">,
  priority: ConnectionPriority = "member",
) {
  return ctx.limit(
    () =>
      handshake({
        address: member.address,
        port: member.port,
        servername: ctx.servername,
        ...(ctx.ca ? { ca: ctx.ca } : {}),
        timeoutMs: ctx.timeoutMs,
        catalog: ctx.catalog,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...extra,
      }),
    priority,
  );
}

/**
 * Four connections to one member: the client's best version (TLS 1.3 support shows here), a TLS 1.2
 * session-ID handshake (EMS and RFC 5746 are read from it), a TLS 1.2 handshake that
 * accepts a ticket, and one for the renegotiation. The renegotiation gets its own connection because a refused
 * one ends in an alert, and OpenSSL servers drop the session of a connection that ended that way: its session
 * would be useless in the matrix.
 */
export async function probeMember(member: MemberTarget, ctx: MemberContext): Promise<MemberSessions> {
  // A tuple, not an array: each connection's outcome is known to be there.
  const [best, tls12, ticket, renegotiation] = await Promise.all([
    connect(member, ctx, { profile: "best" }),
    connect(member, ctx, { profile: "tls12-session-id" }),
    connect(member, ctx, { profile: "tls12-ticket" }),
    connect(member, ctx, { profile: "tls12-session-id", renegotiate: true }),
  ]);
  const probe: MemberProbe = {
    label: member.label,
    address: member.address,
    port: member.port,
    source: member.source,
    ...(member.targetHealth ? { targetHealth: member.targetHealth } : {}),
    handshake: best.record,
    tls12: tls12.record,
    tls12Ticket: ticket.record,
    tls13Supported: best.record.error ? undefined : best.record.protocol === "TLSv1.3",
    renegotiation: renegotiation.renegotiation ?? {
      outcome: "not-attempted",
      detail: `the TLS 1.2 handshake failed (${renegotiation.record.error?.class ?? "unknown"})`,
    },
  };
  return {
    probe,
    ...(tls12.session ? { sessionId: tls12.session } : {}),
    ...(ticket.session && ticket.record.session?.ticketIssued ? { ticket: ticket.session } : {}),
  };
}

/** Offers each planned pair's session (ID and ticket) and records whether the target resumes it. */
export async function resumptionMatrix(members: MemberSessions[], targets: MemberTarget[], ctx: MemberContext, plan: MatrixPlan): Promise<MatrixCell[]> {
  const cells: Array<Promise<MatrixCell>> = [];
  const sessionsOf = new Map(members.map((m) => [m.probe.label, m]));
  const targetOf = new Map(targets.map((t) => [t.label, t]));
  for (const mechanism of ["session-id", "ticket"] as const) {
    for (const [fromLabel, toLabel] of plan.pairs) {
      const from = sessionsOf.get(fromLabel);
      const to = targetOf.get(toLabel);
      if (!from || !to) continue;
      const session = mechanism === "session-id" ? from.sessionId : from.ticket;
      {
        const base = { mechanism, from: from.probe.label, to: to.label };
        if (!session) {
          cells.push(Promise.resolve({ ...base, outcome: "no-session" }));
          continue;
        }
        const profile = mechanism === "session-id" ? "tls12-session-id" : "tls12-ticket";
        cells.push(
          connect(to, ctx, { profile, session }, "matrix").then(({ record }): MatrixCell => {
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
