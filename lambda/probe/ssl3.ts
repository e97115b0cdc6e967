/**
 * SSL 3.0, which OpenSSL 3 (and so Node) cannot speak: one raw ClientHello offering only SSL 3.0, and the first
 * record of the answer read by hand (RFC 6101 5.6.1.2; testssl.sh does the same with its own sockets). Only the
 * answer is read, never a handshake completed: a ServerHello at version 3.0 means the server would negotiate it.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { proxyHeader } from "./proxy-protocol.js";

/** The SSL 3.0 suites servers that still speak it offer: RSA with AES/3DES/RC4, and the renegotiation SCSV. */
const SUITES = [0x002f, 0x0035, 0x000a, 0x0005, 0x0004, 0x00ff];
const MAX_ANSWER_BYTES = 16 * 1024;

function clientHello(): Buffer {
  const suites = Buffer.alloc(2 + SUITES.length * 2);
  suites.writeUInt16BE(SUITES.length * 2, 0);
  SUITES.forEach((s, i) => suites.writeUInt16BE(s, 2 + i * 2));
  // client_version 3.0, random, empty session id, the suites, null compression.
  const body = Buffer.concat([Buffer.from([0x03, 0x00]), randomBytes(32), Buffer.from([0x00]), suites, Buffer.from([0x01, 0x00])]);
  const handshake = Buffer.concat([Buffer.from([0x01, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  const record = Buffer.from([0x16, 0x03, 0x00, (handshake.length >> 8) & 0xff, handshake.length & 0xff]);
  return Buffer.concat([record, handshake]);
}

/**
 * true: a ServerHello at version 3.0; false: an alert, or a ServerHello at another version; undefined: no TLS
 * answer (a timeout, a close, a reset: not evidence either way).
 */
export function readSsl3Answer(answer: Buffer): boolean | undefined {
  if (answer.length < 5) return undefined;
  const [type, major] = [answer[0]!, answer[1]!];
  if (type === 0x15 && major === 0x03) return false; // alert (handshake_failure, protocol_version)
  if (type !== 0x16 || major !== 0x03 || answer.length < 11) return undefined;
  // Handshake record: type 2 (ServerHello), 3-byte length, then server_version.
  if (answer[5] !== 0x02) return undefined;
  return answer[9] === 0x03 && answer[10] === 0x00;
}

export function probeSsl3(address: string, port: number, timeoutMs: number, signal?: AbortSignal, proxyProtocol?: "v1" | "v2"): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    let answer = Buffer.alloc(0);
    const socket = net.connect({ host: address, port });
    const done = (result: boolean | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done(undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once("connect", () => {
      if (proxyProtocol) socket.write(proxyHeader(proxyProtocol, socket));
      socket.write(clientHello());
    });
    socket.on("data", (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]).subarray(0, MAX_ANSWER_BYTES);
      const verdict = readSsl3Answer(answer);
      if (verdict !== undefined || answer.length >= 11) done(verdict);
    });
    socket.on("error", () => done(readSsl3Answer(answer)));
    socket.once("close", () => done(readSsl3Answer(answer)));
  });
}
