/**
 * Shared harness: a generated PKI and pools of real TLS servers behind a real TCP VIP, all on loopback,
 * stopped by `closeAll()` (call it in afterEach/afterAll).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { startMember, type MemberSpec, type RunningMember } from "../../lambda/lab/member.js";
import { TestPki, type IssuedCertificate } from "../../lambda/lab/pki.js";
import { startVip, type RunningVip } from "../../lambda/lab/vip.js";
import { endpointOf, type Endpoint, type EndpointInput } from "../../lambda/registry/schema.js";

export { TestPki, selfSigned } from "../../lambda/lab/pki.js";
export { startVip } from "../../lambda/lab/vip.js";

export const SERVICE = "pool.test";

export interface Pool {
  members: RunningMember[];
  vip: RunningVip;
  endpoint(overrides?: Partial<Endpoint>): Endpoint;
}

/** The endpoint of a pool behind `vip`: its members listed, no DNS, the test PKI trusted, as every pool suite probes it. */
export function poolEndpoint(
  vip: { host: string; port: number },
  members: Array<{ label: string }>,
  ca: string,
  overrides: Partial<EndpointInput> = {},
): Endpoint {
  return endpointOf({
    name: "pool",
    host: vip.host,
    port: vip.port,
    servername: SERVICE,
    members: members.map((m) => m.label),
    discover: "none",
    attempts: 6,
    ca,
    timeoutMs: 3000,
    ...overrides,
  });
}

export class Harness {
  private closers: Array<() => Promise<void>> = [];

  /** Registers something to stop at closeAll(). */
  track<T extends { close(): Promise<void> }>(thing: T): T {
    this.closers.push(() => thing.close());
    return thing;
  }

  async member(spec: MemberSpec): Promise<RunningMember> {
    return this.track(await startMember(spec));
  }

  /** Members from specs, behind a round-robin VIP; the endpoint lists the members and trusts the PKI's root. */
  async pool(pki: TestPki, specs: MemberSpec[], vipHost = "127.0.0.1"): Promise<Pool> {
    const members: RunningMember[] = [];
    for (const spec of specs) members.push(await this.member(spec));
    const vip = this.track(await startVip(members, { host: vipHost }));
    return {
      members,
      vip,
      endpoint: (overrides = {}) => ({ ...poolEndpoint(vip, members, pki.caPem), ...overrides }),
    };
  }

  /** A plain HTTP backend answering "ok" (behind a TLS-terminating HAProxy). */
  async plainHttp(): Promise<{ host: string; port: number }> {
    const server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    this.track({
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    });
    return { host: "127.0.0.1", port: (server.address() as net.AddressInfo).port };
  }

  /** A raw TCP server (for servers that misbehave below TLS); each connection gets `behave`. Returns its port. */
  async rawServer(behave: (socket: net.Socket) => void, host = "127.0.0.1"): Promise<number> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
      behave(s);
    });
    await new Promise<void>((r) => server.listen(0, host, () => r()));
    this.track({
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    });
    return (server.address() as net.AddressInfo).port;
  }

  async closeAll(): Promise<void> {
    const closers = this.closers.reverse();
    this.closers = [];
    await Promise.all(closers.map((c) => c()));
  }
}

/** Certificates for `n` members with distinct identities that all name the service. */
export async function distinctIdentities(pki: TestPki, n: number): Promise<IssuedCertificate[]> {
  const certs: IssuedCertificate[] = [];
  for (let i = 1; i <= n; i++) certs.push(await pki.issue({ subject: `CN=member-${i}.${SERVICE}`, dns: [SERVICE, `member-${i}.${SERVICE}`] }));
  return certs;
}

export const sharedTicketKeys = () => randomBytes(48);
