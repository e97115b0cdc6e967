/** The PROXY protocol header a balancer puts before the client's bytes (HAProxy's proxy-protocol.txt, v1 and v2). */
import net from "node:net";

const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt) for this TCP connection, with its own addresses as source
 * and destination: what a balancer with `send-proxy` (v1) or `send-proxy-v2` / an NLB target group with
 * proxy_protocol_v2.enabled (v2) puts before the client's bytes.
 */
export function proxyHeader(version: "v1" | "v2", socket: net.Socket): Buffer {
  const src = socket.localAddress ?? "127.0.0.1";
  const dst = socket.remoteAddress ?? "127.0.0.1";
  const v6 = net.isIPv6(src) || net.isIPv6(dst);
  if (version === "v1") return Buffer.from(`PROXY ${v6 ? "TCP6" : "TCP4"} ${src} ${dst} ${socket.localPort ?? 0} ${socket.remotePort ?? 0}\r\n`);
  const ip = (a: string) => (v6 ? ipv6Bytes(net.isIPv6(a) ? a : `::ffff:${a}`) : Buffer.from(a.split(".").map(Number)));
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(socket.localPort ?? 0, 0);
  ports.writeUInt16BE(socket.remotePort ?? 0, 2);
  const addresses = Buffer.concat([ip(src), ip(dst), ports]);
  // Version 2, command PROXY (0x21); TCP over IPv4 (0x11) or IPv6 (0x21); then the address block's length.
  const head = Buffer.from([0x21, v6 ? 0x21 : 0x11, 0, 0]);
  head.writeUInt16BE(addresses.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, addresses]);
}

function ipv6Bytes(address: string): Buffer {
  // The URL parser expands and normalises (::ffff:1.2.3.4 included); then 8 groups of 16 bits.
  const full = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = full.includes("::") ? full.split("::") : [full, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || "0", 16), i * 2));
  return out;
}
