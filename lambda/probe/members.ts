import type { MemberAddress } from "../registry/schema.js";
import type { CertificateCatalog } from "./certificate.js";
import { handshake, type HandshakeOutcome } from "./handshake.js";
import { hear, isSilent, SILENT_CODE, type Silence } from "./silence.js";
import { probeSsl3 } from "./ssl3.js";
import type { ConnectionLimiter, ConnectionPriority } from "./limiter.js";
import type { MatrixPlan } from "./matrix-plan.js";
import { SUITE_FAMILY_NAMES, type ClientCredentials, type SuiteFamily } from "./tls-context.js";
import type { ClientAuth, EmsLessResumption, HandshakeRecord, MatrixCell, MemberProbe, MemberSource, ProtocolVersion, TargetHealth } from "./types.js";

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
  /** The endpoint's client certificate, presented on every connection but the one that checks whether it is needed. */
  credentials?: ClientCredentials;
  /** Members expect a PROXY protocol header before the ClientHello. */
  proxyProtocol?: "v1" | "v2";
  /** What each member (by label) has answered so far in this run: see SILENT_MEMBER_TIMEOUTS. */
  silences: Map<string, Silence>;
}

/** A member's probe and the sessions it issued, which the cross-member matrix offers to every member. */
export interface MemberSessions {
  probe: MemberProbe;
  sessionId?: Buffer;
  ticket?: Buffer;
}

/**
 * Timeouts without any answer after which a member's remaining connections are not made: each of its ~17
 * connections held a slot for the whole timeout (30 black-holed members at 1.5 s kept their endpoint busy for 75 s at
 * 8 slots, measured; 12 s now). probeMember asks twice, one connection at a time, before the rest; the rest are recorded as not
 * made (code SILENT), and the member reads as failing every handshake, as it does. Two, not one: a lost SYN or a
 * member restarting gets a second chance.
 */
export const SILENT_MEMBER_TIMEOUTS = 2;

/** One member's silence, shared by its connections in this run (the member probe's and the matrix's). */
function silenceOf(ctx: MemberContext, member: MemberAddress): Silence {
  let silence = ctx.silences.get(member.label);
  if (!silence) ctx.silences.set(member.label, (silence = { answered: false, timeouts: 0 }));
  return silence;
}

const notMade = (member: MemberAddress, sessionOffered: boolean): HandshakeOutcome => ({
  record: {
    target: member.label,
    sessionOffered,
    resumed: false,
    chain: [],
    sessionIssued: false,
    error: {
      class: "timeout",
      code: SILENT_CODE,
      message: `not attempted: the member answered none of its first ${SILENT_MEMBER_TIMEOUTS} connections (each timed out)`,
    },
  },
});

function connect(
  member: MemberAddress,
  ctx: MemberContext,
  extra: Pick<Parameters<typeof handshake>[0], "profile" | "session" | "renegotiate" | "withoutSni" | "sentChainOnly"> & { withoutCredentials?: boolean },
  priority: ConnectionPriority = "member",
): Promise<HandshakeOutcome> {
  const { withoutCredentials, ...options } = extra;
  const silence = silenceOf(ctx, member);
  // Checked when the slot is granted, not when queued: by then the member's first connections may have timed out.
  return ctx.limit(async () => {
    if (isSilent(silence, SILENT_MEMBER_TIMEOUTS)) return notMade(member, options.session !== undefined);
    const outcome = await handshake({
      address: member.address,
      port: member.port,
      servername: ctx.servername,
      ...(ctx.ca ? { ca: ctx.ca } : {}),
      timeoutMs: ctx.timeoutMs,
      catalog: ctx.catalog,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.credentials && !withoutCredentials ? { credentials: ctx.credentials } : {}),
      ...(ctx.proxyProtocol ? { proxyProtocol: ctx.proxyProtocol } : {}),
      ...options,
    });
    hear(silence, outcome.record.error);
    return outcome;
  }, priority);
}

/**
 * The connections to one member: the client's best version (TLS 1.3 support shows here), a TLS 1.2 session-ID
 * handshake (EMS and RFC 5746 are read from it), a TLS 1.2 handshake that accepts a ticket, one for the
 * renegotiation (trusting nothing: it records the chain as sent), a pair without EMS (a session made and offered
 * back, as JDK 8u25–8u152 would), a TLS 1.2 handshake without SNI (the certificate a client connecting by IP
 * address gets), and the versions and suite families it accepts. The renegotiation gets its own connection because
 * a refused one ends in an alert, and OpenSSL servers drop the session of a connection that ended that way: its
 * session would be useless in the matrix. With a client certificate configured, one more best-version handshake
 * goes without it, to tell whether the member requires one.
 */
export async function probeMember(member: MemberTarget, ctx: MemberContext): Promise<MemberSessions> {
  // The best-version handshake goes alone first: a member that answers it is asked the rest side by side; one that
  // answered nothing gets the TLS 1.2 handshake alone too, and after both timed out its other connections are not
  // made (SILENT_MEMBER_TIMEOUTS): two timeouts per black-holed member, in one slot, instead of a share of the slots
  // for a timeout each (BENCHMARKS.md §4b, the black-holed endpoint's own time).
  const silence = silenceOf(ctx, member);
  const best = await connect(member, ctx, { profile: "best" });
  const tls12Done = connect(member, ctx, { profile: "tls12-session-id" });
  if (!silence.answered) await tls12Done;
  // What versions and TLS 1.2 suite families the member accepts: SSL 3.0 (a raw hello), TLS 1.0 and 1.1 (the probe's
  // security level lowered for these two only), one handshake per suite family; started beside the others, awaited
  // after them.
  const ssl3Done = ctx.limit(
    async () => (isSilent(silence, SILENT_MEMBER_TIMEOUTS) ? undefined : probeSsl3(member.address, member.port, ctx.timeoutMs, ctx.signal, ctx.proxyProtocol)),
    "member",
  );
  const versionsDone = Promise.all([
    connect(member, ctx, { profile: "tls10" }),
    connect(member, ctx, { profile: "tls11" }),
    ...SUITE_FAMILY_NAMES.map((f) => connect(member, ctx, { profile: `tls12-suites-${f}` })),
  ]);
  // A tuple, not an array: each connection's outcome is known to be there.
  const [tls12, ticket, renegotiation, emsLess, noSni, bare] = await Promise.all([
    tls12Done,
    connect(member, ctx, { profile: "tls12-ticket" }),
    // Trusting nothing, this connection also records the chain exactly as the member sends it.
    connect(member, ctx, { profile: "tls12-session-id", renegotiate: true, sentChainOnly: true }),
    emsLessResumption(member, ctx),
    // A TLS 1.2 offer without server_name, as the JDK sends for https://10.0.1.11:8081 or https://puppetdb:8081.
    connect(member, ctx, { profile: "tls12-session-id", withoutSni: true }),
    ctx.credentials ? connect(member, ctx, { profile: "best", withoutCredentials: true }) : Promise.resolve(undefined),
  ]);
  const [tls10, tls11, ...suites] = await versionsDone;
  const ssl3 = await ssl3Done;
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
    emsLessResumption: emsLess,
    noSni: noSni.record,
    protocols: {
      SSLv3: ssl3,
      TLSv1: versionAccepted(tls10.record, "TLSv1"),
      "TLSv1.1": versionAccepted(tls11.record, "TLSv1.1"),
      "TLSv1.2": versionAccepted(tls12.record, "TLSv1.2"),
      // The best-version offer (1.2–1.3) tells TLS 1.3: negotiated, or refused as a version (then neither is spoken).
      "TLSv1.3": versionAccepted(best.record, "TLSv1.3") ?? (best.record.error ? undefined : false),
    },
    tls12Suites: Object.fromEntries(SUITE_FAMILY_NAMES.map((f, i) => [f, suiteAccepted(suites[i]!.record)])) as Record<SuiteFamily, boolean | undefined>,
    ...legacyRecord(tls10.record, tls11.record),
    ...(renegotiation.record.chain.length ? { sentChain: renegotiation.record.chain } : {}),
    ...(bare ? { withoutClientCertificate: bare.record } : {}),
  };
  const auth = clientAuthOf(probe);
  if (auth) probe.clientAuth = auth;
  return {
    probe,
    ...(tls12.session ? { sessionId: tls12.session } : {}),
    ...(ticket.session && ticket.record.session?.ticketIssued ? { ticket: ticket.session } : {}),
  };
}

/**
 * Does the member resume its own session when the client sends no EMS? JSSE with EMS on (its default) never does
 * ("abort session resumption, missing Extended Master Secret extension", sun/security/ssl/ExtendedMasterSecretExtension
 * .java); OpenSSL servers do. Clients that send no EMS are never "resumed before" on a member that does not.
 */
async function emsLessResumption(member: MemberTarget, ctx: MemberContext): Promise<EmsLessResumption> {
  const first = await connect(member, ctx, { profile: "tls12-no-ems" });
  if (first.record.error) return { outcome: "failed", error: first.record.error };
  if (!first.session) return { outcome: "no-session" };
  const again = await connect(member, ctx, { profile: "tls12-no-ems", session: first.session });
  if (again.record.error) return { outcome: "failed", error: again.record.error };
  return { outcome: again.record.resumed ? "accepted" : "refused" };
}

/**
 * Whether a version-pinned handshake shows the version accepted: completed (or ended only over the client
 * certificate) with that version → true; refused as a version (protocol_version, or a server that answered
 * another version) → false; anything else (a timeout, a reset) → unknown.
 */
function versionAccepted(r: HandshakeRecord, version: ProtocolVersion): boolean | undefined {
  if (!r.error || r.error.class === "client-certificate") return r.protocol === version ? true : undefined;
  // For the best-version offer (1.2–1.3), a version refusal means neither is spoken.
  if (r.error.class === "protocol-version") return false;
  // An alert in answer to the ClientHello, before any certificate, refuses what the hello offered: OpenSSL 3 at its
  // default level answers TLS 1.0/1.1 with internal_error, GnuTLS 3.7 a version it lacks with handshake_failure.
  if (r.error.class === "tls-alert" && /_ALERT_/.test(r.error.code ?? "") && !r.leaf) return false;
  return undefined;
}

/** A suite family: completed → accepted; handshake_failure (no shared cipher) → not; no TLS 1.2 or other failures → unknown. */
function suiteAccepted(r: HandshakeRecord): boolean | undefined {
  if (!r.error || r.error.class === "client-certificate") return true;
  if (r.error.class === "tls-alert" && /HANDSHAKE_FAILURE$|INSUFFICIENT_SECURITY$/.test(r.error.code ?? "")) return false;
  return undefined;
}

/** The legacy handshake that completed (its certificate is what legacy clients get), TLS 1.1 before 1.0. */
function legacyRecord(tls10: HandshakeRecord, tls11: HandshakeRecord): { legacy?: HandshakeRecord } {
  const done = [tls11, tls10].find((r) => !r.error && r.leaf);
  return done ? { legacy: done } : {};
}

/** Client authentication as the TLS handshakes showed it (nginx's `ssl_verify_client on` refuses in HTTP instead: not-required here). */
function clientAuthOf(m: MemberProbe): ClientAuth | undefined {
  const records: HandshakeRecord[] = m.withoutClientCertificate ? [m.withoutClientCertificate] : [m.handshake, m.tls12, m.tls12Ticket];
  const all = [m.handshake, m.tls12, m.tls12Ticket, ...(m.withoutClientCertificate ? [m.withoutClientCertificate] : [])];
  if (all.some((r) => r.error?.class === "client-certificate")) return "required";
  if (records.some((r) => !r.error)) return "not-required";
  return undefined;
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
