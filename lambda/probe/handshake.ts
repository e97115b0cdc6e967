/**
 * One TLS connection: TCP connect, handshake (optionally offering a session), and optionally a client-initiated
 * renegotiation. This is the only place that opens sockets; everything it learns goes into a plain record.
 * Every connection runs on Node's native TLS socket: no JavaScript stream sits between OpenSSL and the kernel
 * (a JS Duplex under tls.connect crashed the process on servers that push 64 KB+ after the handshake).
 */
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import type { CertificateCatalog } from "./certificate.js";
import { classifyError, classifyVerificationError, isProbeError, LEGACY_RENEGOTIATION_REFUSED, timeoutError } from "./errors.js";
import { proxyHeader } from "./proxy-protocol.js";
import { sessionFacts } from "./session.js";
import { clientContext, type ClientCredentials, type ClientProfile } from "./tls-context.js";
import type { HandshakeRecord, ProbeError, RenegotiationResult, Verification } from "./types.js";
import { formatHostPort } from "../registry/schema.js";

export interface HandshakeOptions {
  address: string;
  port: number;
  /** SNI and the name the certificate must match. */
  servername: string;
  profile: ClientProfile;
  /** Extra trust anchors (PEM), added to the system roots. */
  ca?: string | undefined;
  session?: Buffer;
  timeoutMs: number;
  catalog: CertificateCatalog;
  /** After the handshake, try a client-initiated TLS 1.2 renegotiation on the same connection. */
  renegotiate?: boolean;
  /** The run's deadline: aborting it ends the connection at once (and skips it if it has not started). */
  signal?: AbortSignal;
  /** A client certificate to present when the server asks for one (mutual TLS). */
  credentials?: ClientCredentials | undefined;
  /** Send no server_name (SNI), as the JDK does for an IP address or a dotless host name; the name is still checked. */
  withoutSni?: boolean;
  /** Trust nothing, so that the recorded chain is exactly what the server sent (see clientContext). */
  sentChainOnly?: boolean;
  /** Send a PROXY protocol header first (members behind a balancer that sends one: HAProxy send-proxy, NLB v2). */
  proxyProtocol?: "v1" | "v2" | undefined;
}

export interface HandshakeOutcome {
  record: HandshakeRecord;
  /** The session the server issued on this connection (first one for TLS 1.3), for later resumption. */
  session?: Buffer;
  renegotiation?: RenegotiationResult;
}

/** How long to wait, after a full handshake, for a TLS 1.3 NewSessionTicket that may never come. */
const SESSION_WAIT_MIN_MS = 250;
const CLOSE_WAIT_MS = 1000;
/**
 * Application data a server may send after the handshake before the probe stops reading and closes: more than a
 * banner, far less than a flood. The probe never needs application data; it reads on only for TLS 1.3 tickets and
 * the renegotiation's messages, which arrive within the first records.
 */
export const MAX_APPLICATION_BYTES = 64 * 1024;
/**
 * Bytes a server may send after the handshake, whatever they carry: a few tickets and a renegotiation take a few KB.
 * The backstop for records that raise no event to count (a session over the 10 KiB Node keeps is dropped silently);
 * KeyUpdates and tickets are counted one by one below. Read between socket reads, so a flood can pass it by one read.
 */
export const MAX_POST_HANDSHAKE_BYTES = 256 * 1024;
/** How often the post-handshake budget is read (between the reads of the socket, while the flood is processed). */
const POST_HANDSHAKE_CHECK_MS = 10;
/**
 * New traffic secrets a server may cause after the handshake: each TLS 1.3 KeyUpdate (RFC 8446 4.6.3) and each TLS
 * 1.2 renegotiation derives one (two when the server asks the client to update too), and OpenSSL writes a key-log
 * line for each, which Node emits as 'keylog' synchronously while it reads the records. A real server sends none
 * here (the probe's own renegotiation is one); a flooding server sent 124,000 in 2 s and took 2 s of this process's
 * CPU (measured); cut at this count, the flooded connection cost 26 ms of CPU in all, handshake included.
 */
export const MAX_POST_HANDSHAKE_KEY_CHANGES = 16;
/**
 * Sessions (TLS 1.3 NewSessionTickets) a server may issue on one connection: OpenSSL sends 2 by default, JSSE 1,
 * GnuTLS 1. A server issuing them in a loop sent 40,000 in a second, each a 'session' event, and took 0.56 s of
 * this process's CPU (measured); only the first is ever offered.
 */
export const MAX_SESSIONS_PER_CONNECTION = 16;

const DEADLINE: ProbeError = { class: "timeout", code: "DEADLINE", message: "the run's deadline was reached" };

export async function handshake(opts: HandshakeOptions): Promise<HandshakeOutcome> {
  const first = await attempt(opts, false);
  // A default OpenSSL client refuses a server without RFC 5746 at its ServerHello; that refusal is the evidence.
  // Connect once more allowing it, so that the member's certificate and session are still seen.
  if (first.record.error?.code !== LEGACY_RENEGOTIATION_REFUSED) return first;
  const legacy = await attempt(opts, true);
  legacy.record.secureRenegotiation = false;
  return legacy;
}

async function attempt(opts: HandshakeOptions, allowLegacy: boolean): Promise<HandshakeOutcome> {
  const target = formatHostPort(opts.address, opts.port);
  const record: HandshakeRecord = {
    target,
    sessionOffered: opts.session !== undefined,
    resumed: false,
    chain: [],
    sessionIssued: false,
    ...(opts.credentials ? { clientCertificate: true } : {}),
  };
  if (opts.signal?.aborted) return { record: { ...record, error: DEADLINE } };
  // Built once per profile, CA and credentials, outside the timing.
  const secureContext = clientContext(opts.profile, opts.ca, allowLegacy, opts.credentials, opts.sentChainOnly);
  const started = performance.now();
  const sessions: Buffer[] = [];
  const flow: Flow = { applicationBytes: 0, keyChanges: 0, sessions: 0 };
  let socket: tls.TLSSocket | undefined;
  const onAbort = () => socket?.destroy();
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    socket = await connectAndHandshake(opts, secureContext, record, started, sessions, flow, (s) => (socket = s));
    collectPeer(socket, opts, record, allowLegacy);
    if (!record.resumed && sessions.length === 0 && record.protocol === "TLSv1.3") {
      // TLS 1.3 tickets come after the handshake (a TLS 1.2 session is there at secureConnect).
      const waitMs = Math.min(opts.timeoutMs, Math.max(SESSION_WAIT_MIN_MS, 3 * (record.handshakeMs ?? 0)));
      await waitFor(socket, "session", waitMs);
    }
    // TLS 1.3: the client's side completes before the server has checked the client's certificate; a server that
    // requires one (or refuses ours) answers the client's Finished with an alert a few ms later (OpenSSL's
    // certificate_required, JSSE's bad_certificate). That connection failed, whatever secureConnect said.
    const late = flow.lateError === undefined ? undefined : lateFailure(flow.lateError, record, opts);
    // Failures travel as data (ProbeError, already classified), not as Error objects: see isProbeError.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (late) throw late;
    record.sessionIssued = sessions.length > 0;
    if (!record.resumed && sessions.length === 0) {
      const size = droppedSessionBytes(socket, record.protocol);
      if (size !== undefined) record.sessionTooLarge = size;
    }
    let renegotiation: RenegotiationResult | undefined;
    if (opts.renegotiate) renegotiation = await renegotiate(socket, record, opts, flow);
    await closeGracefully(socket);
    // After the close: a flood that starts once the first ticket is in (the wait ends there) is cut during it.
    recordCuts(record, flow);
    return { record, ...(sessions[0] ? { session: sessions[0] } : {}), ...(renegotiation ? { renegotiation } : {}) };
  } catch (err) {
    record.error = opts.signal?.aborted ? DEADLINE : isProbeError(err) ? err : classifyError(err);
    if (socket && !record.leaf && answeredAfterCertificate(socket, record.error)) {
      // TLS 1.2: the server's alert came after its Certificate (and CertificateRequest), in answer to our
      // Certificate message: what it sent before is real evidence (certificate, protocol, EMS, RFC 5746).
      collectPeer(socket, opts, record, allowLegacy, false);
      record.error = clientCertificateError(record.error, opts.credentials !== undefined);
    }
    recordCuts(record, flow);
    return { record };
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    socket?.destroy();
  }
}

/** The connection was cut for what the server sent after the handshake (a flood of some kind). */
export const cutForFlood = (r: HandshakeRecord): boolean =>
  r.excessApplicationData !== undefined || r.excessPostHandshakeBytes !== undefined || r.excessKeyChanges !== undefined || r.excessSessions !== undefined;

/** What the server sent past the probe's budgets after the handshake (the connection was cut there). */
function recordCuts(record: HandshakeRecord, flow: Flow): void {
  if (flow.applicationBytes > MAX_APPLICATION_BYTES) record.excessApplicationData = flow.applicationBytes;
  if (flow.postHandshakeBytes !== undefined) record.excessPostHandshakeBytes = flow.postHandshakeBytes;
  if (flow.keyChanges > MAX_POST_HANDSHAKE_KEY_CHANGES) record.excessKeyChanges = flow.keyChanges;
  if (flow.sessions > MAX_SESSIONS_PER_CONNECTION) record.excessSessions = flow.sessions;
}

/** Node drops, without an event, a session larger than this (node_crypto SecureContext kMaxSessionSize, 10 KiB). */
export const NODE_MAX_SESSION_BYTES = 10 * 1024;

/**
 * The size of a resumable session the server issued and Node dropped for its size (no 'session' event): the
 * client's current session, when it is over Node's limit and carries what resumes it (a ticket; over TLS 1.2 also a
 * session ID). A session over the limit without either (TLS 1.3 before any ticket, with a big chain) is not one.
 */
function droppedSessionBytes(socket: tls.TLSSocket, protocol: string | undefined): number | undefined {
  const current = socket.getSession();
  if (!current || current.length <= NODE_MAX_SESSION_BYTES) return undefined;
  const facts = sessionFacts(current);
  if (!facts) return undefined;
  const resumable = facts.ticketIssued || (protocol !== "TLSv1.3" && facts.sessionIdLength > 0);
  return resumable ? current.length : undefined;
}

interface Flow {
  applicationBytes: number;
  /** Key-log lines after the handshake (new traffic secrets: KeyUpdates, renegotiations), counted, never kept. */
  keyChanges: number;
  /** Sessions issued ('session' events); only the first is kept. */
  sessions: number;
  /** Set when the server sent more than MAX_POST_HANDSHAKE_BYTES after the handshake and was cut off. */
  postHandshakeBytes?: number;
  /** An error after secureConnect (before the probe's own close): a TLS 1.3 server's refusal of the client's certificate. */
  lateError?: unknown;
}

/** A server alert received after the server had sent its certificate, on a full TLS 1.2 handshake. */
function answeredAfterCertificate(socket: tls.TLSSocket, error: ProbeError): boolean {
  if (error.class !== "tls-alert" || !error.code || !/_ALERT_/.test(error.code)) return false;
  if (socket.getProtocol() !== "TLSv1.2" || socket.isSessionReused()) return false;
  return Boolean(socket.getPeerCertificate(true)?.raw);
}

/**
 * The server's alert answered the client's certificate (or its absence): the only thing a server checks after the
 * client's Finished in TLS 1.3, and after its own Certificate in TLS 1.2 apart from key exchange errors that the
 * client, not the server, would raise.
 */
function clientCertificateError(cause: ProbeError, presented: boolean): ProbeError {
  return {
    class: "client-certificate",
    ...(cause.code ? { code: cause.code } : {}),
    message: presented
      ? `the server refused the client certificate (${cause.message})`
      : `the server requires a client certificate and none was presented (${cause.message})`,
  };
}

/** A TLS 1.3 alert after the client's side completed; other late errors (a reset, say) leave the handshake counted as done. */
function lateFailure(err: unknown, record: HandshakeRecord, opts: HandshakeOptions): ProbeError | undefined {
  const cause = classifyError(err);
  if (record.protocol === "TLSv1.3" && !record.resumed && cause.class === "tls-alert") return clientCertificateError(cause, opts.credentials !== undefined);
  return undefined;
}

function connectAndHandshake(
  opts: HandshakeOptions,
  secureContext: tls.SecureContext,
  record: HandshakeRecord,
  started: number,
  sessions: Buffer[],
  flow: Flow,
  created: (socket: tls.TLSSocket) => void,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    /**
     * The TCP connection first (our own net.Socket, whose bytesRead counts every byte the server sends, records that
     * carry no application data included: the post-handshake budget reads it), then the TLS handshake on it; with
     * the PROXY protocol, its header (this connection's own addresses, as a load balancer sends the client's) first.
     * Ended here when it fails before TLS starts.
     */
    const version = opts.proxyProtocol;
    const raw = net.connect({ host: opts.address, port: opts.port });
    let tlsStarted = false;
    const settle = (err: ProbeError | undefined, socket?: tls.TLSSocket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Before TLS started, the raw socket is all there is; after, the TLS socket is inspected by the caller (what
      // the server sent before its alert) and destroyed there: destroying the shared handle here would lose it.
      if (err && !tlsStarted) raw.destroy();
      // Failures travel as data (ProbeError, already classified), not as Error objects: see isProbeError.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (err) reject(err);
      else resolve(socket!);
    };
    const timer = setTimeout(() => {
      settle(timeoutError(record.connectMs === undefined ? "TCP connect" : "TLS handshake", opts.timeoutMs));
    }, opts.timeoutMs);

    const startTls = () => {
      const socket = tls.connect({
        socket: raw,
        // RFC 6066 forbids IP addresses in SNI; the certificate is still checked against the IP.
        ...(net.isIP(opts.servername) || opts.withoutSni ? {} : { servername: opts.servername }),
        secureContext,
        ...(opts.session ? { session: opts.session } : {}),
        // Validation is done below and reported as a finding: the certificate must still be seen and compared.
        rejectUnauthorized: false,
        // Node folds its own hostname check into `authorized`; we check the name ourselves (verify()) to keep the
        // chain and the name apart, and to check IP servernames, which are not sent as SNI.
        checkServerIdentity: () => undefined,
      });
      created(socket);
      return socket;
    };
    const onAbort = () => raw.destroy();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const onTcpError = (err: Error) => settle(classifyError(err));
    const onTcpClose = () => settle({ class: "reset", message: "connection closed before the TLS handshake" });
    raw.on("error", onTcpError);
    raw.once("close", onTcpClose);
    raw.once("close", () => opts.signal?.removeEventListener("abort", onAbort));
    raw.once("connect", () => {
      record.connectMs = round(performance.now() - started);
      if (version) raw.write(proxyHeader(version, raw));
      // From here the TLS socket reports what happens on the connection (its alerts classified with what the
      // handshake had seen): a raw error or close settled first lost the client-certificate refusal's evidence.
      raw.off("error", onTcpError);
      raw.off("close", onTcpClose);
      raw.on("error", () => undefined);
      tlsStarted = true;
      listen(startTls());
    });
    return undefined;

    function listen(socket: tls.TLSSocket): undefined {
      socket.on("session", (session: Buffer) => {
        if (++flow.sessions === 1) sessions.push(session);
        if (flow.sessions === MAX_SESSIONS_PER_CONNECTION + 1) socket.destroy();
      });
      // Errors after the handshake (during the ticket wait, the renegotiation or the close) are handled where they
      // matter; this listener stays so that no error of this socket is ever unhandled.
      socket.on("error", (err) => {
        if (settled) flow.lateError ??= err;
        settle(classifyError(err));
      });
      socket.once("close", () => settle({ class: "reset", message: "connection closed during the handshake" }));
      socket.once("secureConnect", () => {
        record.handshakeMs = round(performance.now() - started - (record.connectMs ?? 0));
        // Keep reading so that post-handshake messages (TLS 1.3 tickets, renegotiation) are processed, but never
        // more application data than MAX_APPLICATION_BYTES: a server that floods is cut off, not buffered.
        socket.on("data", (chunk: Buffer) => {
          flow.applicationBytes += chunk.length;
          if (flow.applicationBytes > MAX_APPLICATION_BYTES) socket.destroy();
        });
        // Records that carry no application data reach no 'data' listener: the raw bytes after the handshake are
        // budgeted too (our own net.Socket's bytesRead counts them; the TLS socket's counts application data only).
        const atSecure = raw.bytesRead;
        const watch = setInterval(() => {
          const after = raw.bytesRead - atSecure;
          if (after <= MAX_POST_HANDSHAKE_BYTES) return;
          flow.postHandshakeBytes = after;
          clearInterval(watch);
          socket.destroy();
        }, POST_HANDSHAKE_CHECK_MS);
        socket.once("close", () => clearInterval(watch));
        // The byte budget is read between the socket's reads, and one read may hold thousands of KeyUpdates (1.1 MB
        // went through before a 10 ms check once): the key changes are counted as OpenSSL processes each record.
        // The line holds a secret; only its arrival is counted.
        socket.on("keylog", () => {
          flow.keyChanges++;
          if (flow.keyChanges === MAX_POST_HANDSHAKE_KEY_CHANGES + 1) socket.destroy();
        });
        settle(undefined, socket);
      });
      return undefined;
    }
  });
}

function collectPeer(socket: tls.TLSSocket, opts: HandshakeOptions, record: HandshakeRecord, allowedLegacy: boolean, completed = true): void {
  const protocol = socket.getProtocol();
  if (protocol) record.protocol = protocol;
  const cipher = socket.getCipher()?.name;
  if (cipher) record.cipher = cipher;
  record.resumed = socket.isSessionReused();
  if (record.protocol === "TLSv1.2") {
    // Completed without SSL_OP_LEGACY_SERVER_CONNECT: the server sent RFC 5746 renegotiation_info.
    if (!allowedLegacy) record.secureRenegotiation = true;
    const session = socket.getSession();
    const facts = session ? sessionFacts(session) : undefined;
    if (facts) record.session = facts;
  }
  if (record.resumed) return; // a resumed connection presents no certificate: the caller knows the session's leaf
  // getPeerCertificate(true), not getPeerX509Certificate(): the latter breaks later peer-cert calls on Node 20-24.
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return;
  record.chain = walkChain(peer).map((der) => opts.catalog.add(der));
  if (record.chain[0]) record.leaf = record.chain[0];
  // A handshake that ended in an alert has no verification result from OpenSSL (authorized is false, with no
  // reason): the certificate is recorded, its validation is left to the connections that completed.
  if (completed) record.verification = verify(socket, opts.servername, peer);
}

function walkChain(peer: tls.DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<tls.DetailedPeerCertificate>();
  for (let c: tls.DetailedPeerCertificate | undefined = peer; c?.raw && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    chain.push(c.raw);
  }
  return chain;
}

function verify(socket: tls.TLSSocket, servername: string, peer: tls.DetailedPeerCertificate): Verification {
  const chainError = socket.authorized ? undefined : String(socket.authorizationError ?? "UNKNOWN");
  const hostnameError = tls.checkServerIdentity(servername, peer);
  const failure = chainError ? classifyVerificationError(chainError) : hostnameError ? "hostname-mismatch" : undefined;
  return {
    chainTrusted: socket.authorized,
    ...(chainError ? { chainError } : {}),
    hostnameMatches: hostnameError === undefined,
    ...(hostnameError ? { hostnameError: hostnameError.message } : {}),
    ...(failure ? { failure } : {}),
  };
}

async function renegotiate(socket: tls.TLSSocket, record: HandshakeRecord, opts: HandshakeOptions, flow: Flow): Promise<RenegotiationResult> {
  if (record.protocol !== "TLSv1.2") return { outcome: "not-attempted", detail: `renegotiation does not exist in ${record.protocol}` };
  const flooded = (): RenegotiationResult | undefined =>
    flow.applicationBytes > MAX_APPLICATION_BYTES
      ? {
          outcome: "not-attempted",
          detail: `the server kept sending application data (over ${MAX_APPLICATION_BYTES / 1024} KiB), so the probe stopped reading`,
        }
      : undefined;
  const before = flooded();
  if (before || socket.destroyed) return before ?? { outcome: "failed", detail: "the server closed the connection after the handshake" };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: RenegotiationResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("secureConnect", onSecure);
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve(result);
    };
    const onSecure = () => {
      const peer = socket.getPeerCertificate(true);
      const leafAfter = peer?.raw ? opts.catalog.add(peer.raw) : undefined;
      const before = record.leaf ? { leafBefore: record.leaf } : {};
      if (leafAfter && record.leaf && leafAfter !== record.leaf) {
        finish({ outcome: "certificate-changed", detail: "the server presented a different certificate", ...before, leafAfter });
      } else {
        finish({ outcome: "ok", ...before, ...(leafAfter ? { leafAfter } : {}) });
      }
    };
    // OpenSSL servers decline with a no_renegotiation alert, which the client surfaces as this error (the
    // renegotiate() callback is never called in that case).
    const onError = (err: Error) => {
      const cut = flooded();
      if (cut) return finish(cut);
      const e = classifyError(err);
      if (e.code === "ERR_SSL_NO_RENEGOTIATION" || /_ALERT_NO_RENEGOTIATION$/.test(e.code ?? ""))
        finish({ outcome: "refused", detail: "the server declined (no_renegotiation alert)" });
      // JSSE with -Djdk.tls.rejectClientInitiatedRenegotiation=true has no warning-level refusal: it answers the
      // renegotiation's ClientHello with a fatal handshake_failure (sun/security/ssl/ClientHello.java,
      // T12ClientHelloConsumer). On a connection whose first handshake completed that is a refusal, as testssl rates it.
      else if (/_ALERT_HANDSHAKE_FAILURE$/.test(e.code ?? ""))
        finish({ outcome: "refused", detail: "the server refused with a fatal handshake_failure alert (as JSSE does)" });
      else finish({ outcome: "failed", detail: e.message });
    };
    const onClose = () => finish(flooded() ?? { outcome: "failed", detail: "the server closed the connection" });
    const timer = setTimeout(() => finish({ outcome: "failed", detail: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    socket.once("secureConnect", onSecure);
    socket.on("error", onError);
    socket.once("close", onClose);
    const started = socket.renegotiate({ rejectUnauthorized: false }, (err) => {
      if (err) onError(err);
    });
    if (started === false) finish({ outcome: "failed", detail: "the client could not start a renegotiation" });
  });
}

/** close_notify, then wait for the peer: an unclean close makes OpenSSL servers drop the session from their cache. */
function closeGracefully(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(done, CLOSE_WAIT_MS);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    socket.once("close", done);
    socket.on("error", () => undefined);
    socket.end();
  });
}

function waitFor(socket: tls.TLSSocket, event: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off(event, done);
      socket.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once(event, done);
    socket.once("close", done);
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;
