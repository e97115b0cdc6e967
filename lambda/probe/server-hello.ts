/**
 * Reads the ServerHello out of the raw bytes a server sent. Node exposes neither EMS (RFC 7627) nor
 * renegotiation_info (RFC 5746), so the probe taps the real handshake's bytes and reads the extensions here.
 */
import type { ServerHelloFacts } from "./types.js";

const CONTENT_HANDSHAKE = 22;
const CONTENT_ALERT = 21;
const HANDSHAKE_SERVER_HELLO = 2;
const EXT_EXTENDED_MASTER_SECRET = 0x0017;
const EXT_SESSION_TICKET = 0x0023;
const EXT_SUPPORTED_VERSIONS = 0x002b;
const EXT_RENEGOTIATION_INFO = 0xff01;
/** RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
const HELLO_RETRY_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

const VERSION_NAMES: Record<number, string> = {
  0x0300: "SSLv3",
  0x0301: "TLSv1",
  0x0302: "TLSv1.1",
  0x0303: "TLSv1.2",
  0x0304: "TLSv1.3",
};

export type ServerHelloParse =
  | { state: "need-more" }
  | { state: "not-tls" }
  | { state: "alert"; level: number; description: number }
  | { state: "parsed"; hello: ServerHelloFacts };

/** True when the first byte cannot start a TLS record (an HTTP or SSH server answering, say). */
export function looksLikeTls(firstByte: number): boolean {
  return firstByte >= 20 && firstByte <= 24;
}

/**
 * Parses the start of the server→client byte stream. Handshake messages may span records, so the handshake
 * payloads are concatenated first. A HelloRetryRequest is skipped: the facts come from the real ServerHello.
 */
export function parseServerHello(stream: Buffer): ServerHelloParse {
  if (stream.length === 0) return { state: "need-more" };
  if (!looksLikeTls(stream[0]!)) return { state: "not-tls" };
  const handshake: Buffer[] = [];
  let offset = 0;
  while (offset + 5 <= stream.length) {
    const type = stream[offset]!;
    const major = stream[offset + 1]!;
    const length = stream.readUInt16BE(offset + 3);
    if (!looksLikeTls(type) || major !== 3 || length > 18_432) return { state: "not-tls" };
    if (offset + 5 + length > stream.length) break;
    const body = stream.subarray(offset + 5, offset + 5 + length);
    if (type === CONTENT_ALERT && body.length >= 2) return { state: "alert", level: body[0]!, description: body[1]! };
    // ChangeCipherSpec (20) and everything after it is encrypted in TLS 1.3 or not a ServerHello: stop there.
    if (type !== CONTENT_HANDSHAKE) break;
    handshake.push(body);
    offset += 5 + length;
  }
  let messages = Buffer.concat(handshake);
  while (messages.length >= 4) {
    const msgType = messages[0]!;
    const msgLength = messages.readUIntBE(1, 3);
    if (messages.length < 4 + msgLength) return { state: "need-more" };
    const body = messages.subarray(4, 4 + msgLength);
    if (msgType !== HANDSHAKE_SERVER_HELLO) return { state: "not-tls" };
    const hello = parseServerHelloBody(body);
    if (!hello) return { state: "not-tls" };
    if (hello !== "retry") return { state: "parsed", hello };
    messages = messages.subarray(4 + msgLength);
  }
  return { state: "need-more" };
}

function parseServerHelloBody(body: Buffer): ServerHelloFacts | "retry" | undefined {
  let p = 0;
  const need = (n: number) => p + n <= body.length;
  if (!need(2 + 32 + 1)) return undefined;
  const legacyVersion = body.readUInt16BE(p);
  p += 2;
  const random = body.subarray(p, p + 32).toString("hex");
  p += 32;
  const sessionIdLength = body[p]!;
  p += 1 + sessionIdLength;
  if (!need(2 + 1)) return undefined;
  p += 3; // cipher suite, compression method
  const facts: ServerHelloFacts = {
    version: VERSION_NAMES[legacyVersion] ?? `0x${legacyVersion.toString(16)}`,
    extendedMasterSecret: false,
    secureRenegotiation: false,
    ticketPromised: false,
    sessionIdLength,
  };
  if (need(2)) {
    const extEnd = p + 2 + body.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd && p + 4 <= body.length) {
      const type = body.readUInt16BE(p);
      const length = body.readUInt16BE(p + 2);
      const data = body.subarray(p + 4, p + 4 + length);
      if (type === EXT_EXTENDED_MASTER_SECRET) facts.extendedMasterSecret = true;
      if (type === EXT_RENEGOTIATION_INFO) facts.secureRenegotiation = true;
      if (type === EXT_SESSION_TICKET) facts.ticketPromised = true;
      if (type === EXT_SUPPORTED_VERSIONS && data.length === 2) {
        const v = data.readUInt16BE(0);
        facts.version = VERSION_NAMES[v] ?? `0x${v.toString(16)}`;
      }
      p += 4 + length;
    }
  }
  return random === HELLO_RETRY_RANDOM ? "retry" : facts;
}
