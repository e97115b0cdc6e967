/**
 * Real Node TLS servers on loopback standing in for pool members. Each has its own certificate, session cache and
 * ticket keys unless told to share them.
 */
import { constants } from "node:crypto";
import type { Socket } from "node:net";
import tls from "node:tls";
import { SSL_OP_NO_EXTENDED_MASTER_SECRET } from "../probe/tls-context.js";
import { formatHostPort } from "../registry/schema.js";
import type { IssuedCertificate } from "./pki.js";

export type SessionStore = Map<string, Buffer>;

export interface MemberSpec {
  certificate: IssuedCertificate;
  /** 127.0.0.1 by default; "::1" for IPv6. */
  host?: string;
  port?: number;
  /** RFC 7627 extended master secret; on by default as in OpenSSL. */
  ems?: boolean;
  /** Issue TLS 1.2/1.3 tickets (default true). */
  tickets?: boolean;
  /** 48 bytes shared with other members to let them accept each other's tickets. */
  ticketKeys?: Buffer;
  /** A session-ID cache; pass the same Map to several members to share it. */
  sessionCache?: SessionStore;
  maxVersion?: tls.SecureVersion;
  /** Called on every completed handshake (a misbehaving member writes application data here, say). */
  onSecure?: (socket: tls.TLSSocket) => void;
}

export interface RunningMember {
  readonly host: string;
  readonly port: number;
  /** `ip:port` as the probe labels it. */
  readonly label: string;
  /** Completed handshakes, full and resumed. */
  readonly handshakes: { full: number; resumed: number };
  close(): Promise<void>;
}

export async function startMember(spec: MemberSpec): Promise<RunningMember> {
  const host = spec.host ?? "127.0.0.1";
  const cache = spec.sessionCache ?? new Map<string, Buffer>();
  const secureOptions = (spec.ems === false ? SSL_OP_NO_EXTENDED_MASTER_SECRET : 0) | (spec.tickets === false ? constants.SSL_OP_NO_TICKET : 0);
  const server = tls.createServer({
    cert: spec.certificate.chainPem,
    key: spec.certificate.keyPem,
    secureOptions,
    sessionIdContext: "tls-pool-monitor-lab",
    ...(spec.maxVersion ? { maxVersion: spec.maxVersion } : {}),
    ...(spec.ticketKeys ? { ticketKeys: spec.ticketKeys } : {}),
  });
  const handshakes = { full: 0, resumed: 0 };
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    if (socket.isSessionReused()) handshakes.resumed++;
    else handshakes.full++;
    socket.on("error", () => undefined);
    socket.resume();
    spec.onSecure?.(socket);
  });
  server.on("tlsClientError", () => undefined);
  server.on("newSession", (id: Buffer, data: Buffer, cb: () => void) => {
    cache.set(id.toString("hex"), data);
    cb();
  });
  server.on("resumeSession", (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
    cb(null, cache.get(id.toString("hex")) ?? null);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(spec.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    label: formatHostPort(host, port),
    handshakes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
