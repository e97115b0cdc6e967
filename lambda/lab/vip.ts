/**
 * A round-robin TCP load balancer on loopback (layer 4, like HAProxy in `mode tcp`): the probe sees the pool
 * through it exactly as a client sees a real VIP.
 */
import net from "node:net";
import { formatHostPort } from "../registry/schema.js";

export interface Backend {
  host: string;
  port: number;
}

export interface RunningVip {
  readonly host: string;
  readonly port: number;
  readonly label: string;
  /** Backends chosen so far, in order (index into the list at the time). */
  readonly routed: string[];
  /** Replace the backend list while running (members joining or leaving). */
  setBackends(backends: Backend[]): void;
  close(): Promise<void>;
}

export interface VipOptions {
  host?: string;
  /** Added before each chunk is forwarded, each way (to model network latency). */
  delayMs?: number;
  /** Picks the backend for the n-th connection (0-based) instead of round-robin: scripted routing for tests. */
  route?: (connection: number) => number;
}

export async function startVip(initial: Backend[], options: VipOptions = {}): Promise<RunningVip> {
  let backends = [...initial];
  let next = 0;
  const routed: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const forward = (from: net.Socket, to: net.Socket) => {
    const delay = options.delayMs ?? 0;
    from.on("data", (chunk: Buffer) => {
      if (delay === 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), delay);
    });
    from.on("end", () => (delay === 0 ? to.end() : setTimeout(() => to.end(), delay)));
    from.on("close", () => setTimeout(() => to.destroy(), delay));
  };
  const server = net.createServer((client) => {
    track(client);
    if (backends.length === 0) return client.destroy();
    const n = next++;
    const backend = backends[(options.route ? options.route(n) : n) % backends.length]!;
    routed.push(formatHostPort(backend.host, backend.port));
    const upstream = net.connect({ host: backend.host, port: backend.port });
    track(upstream);
    forward(client, upstream);
    forward(upstream, client);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    label: formatHostPort(host, port),
    routed,
    setBackends(list) {
      backends = [...list];
      next = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
