/**
 * Facts of a TLS 1.2 handshake read from the session the client keeps (socket.getSession(): OpenSSL's DER encoding
 * of SSL_SESSION, ssl/ssl_asn1.c). Node exposes neither the extended master secret (RFC 7627) nor whether a ticket
 * was issued, but the session carries both: OpenSSL's `flags` field ([13], SSL_SESS_FLAG_EXTMS = 0x1) and the
 * ticket ([10]); `openssl sess_id -inform DER -text` prints the same ("Extended master secret: yes/no").
 * Reading the session instead of tapping the wire keeps every connection on Node's native socket.
 */

export interface SessionFacts {
  /** The session was made with the extended master secret. */
  extendedMasterSecret: boolean;
  /** The server issued a TLS 1.2 session ticket. */
  ticketIssued: boolean;
  /** Length of the session ID the server gave (0: no server-side cache entry to resume by ID). */
  sessionIdLength: number;
}

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
/** Context-specific, constructed: [n] EXPLICIT. */
const contextTag = (n: number) => 0xa0 | n;
const FIELD_TICKET = 10;
const FIELD_FLAGS = 13;
const SSL_SESS_FLAG_EXTMS = 0x1n;
/** SSL_SESSION_ASN1_VERSION. */
const SESSION_ASN1_VERSION = 1;

interface Tlv {
  tag: number;
  /** Offset of the value and the offset just after it. */
  start: number;
  end: number;
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > limit) return undefined;
    length = der.readUIntBE(start, bytes);
    start += bytes;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

function children(der: Buffer, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end;) {
    const tlv = readTlv(der, p, parent.end);
    if (!tlv) return undefined;
    out.push(tlv);
    p = tlv.end;
  }
  return out;
}

const unsigned = (der: Buffer, tlv: Tlv): bigint => (tlv.end > tlv.start ? BigInt(`0x${der.subarray(tlv.start, tlv.end).toString("hex")}`) : 0n);

function parseAt(der: Buffer, offset: number): SessionFacts | undefined {
  const outer = readTlv(der, offset, der.length);
  if (!outer || outer.tag !== TAG_SEQUENCE) return undefined;
  const fields = children(der, outer);
  // version INTEGER, ssl_version INTEGER, cipher OCTET STRING, session_id OCTET STRING, master_key OCTET STRING, ...
  if (!fields || fields.length < 5) return undefined;
  const [version, protocol, cipher, sessionId] = fields as [Tlv, Tlv, Tlv, Tlv];
  if (version.tag !== TAG_INTEGER || unsigned(der, version) !== BigInt(SESSION_ASN1_VERSION)) return undefined;
  if (protocol.tag !== TAG_INTEGER || cipher.tag !== TAG_OCTET_STRING || sessionId.tag !== TAG_OCTET_STRING) return undefined;
  const explicit = (n: number) => {
    const field = fields.find((f) => f.tag === contextTag(n));
    return field ? readTlv(der, field.start, field.end) : undefined;
  };
  const flags = explicit(FIELD_FLAGS);
  const ticket = explicit(FIELD_TICKET);
  return {
    extendedMasterSecret: flags !== undefined && flags.tag === TAG_INTEGER && (unsigned(der, flags) & SSL_SESS_FLAG_EXTMS) !== 0n,
    ticketIssued: ticket !== undefined && ticket.tag === TAG_OCTET_STRING && ticket.end > ticket.start,
    sessionIdLength: sessionId.end - sessionId.start,
  };
}

/**
 * The facts of a session buffer, or undefined when it holds no SSL_SESSION we can read. Node ≥ 22.23 wraps the
 * session with its servername (CVE-2026-48934), so the SSL_SESSION is looked for inside the buffer as well.
 */
export function sessionFacts(buffer: Buffer): SessionFacts | undefined {
  for (let offset = buffer.indexOf(TAG_SEQUENCE); offset >= 0; offset = buffer.indexOf(TAG_SEQUENCE, offset + 1)) {
    const facts = parseAt(buffer, offset);
    if (facts) return facts;
  }
  return undefined;
}
