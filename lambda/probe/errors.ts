import type { ErrorClass, ProbeError, VerificationClass } from "./types.js";

const BY_CODE: Record<string, ErrorClass> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ECONNABORTED: "reset",
  ETIMEDOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  ENODATA: "dns",
  ESERVFAIL: "dns",
  ENETUNREACH: "refused",
  EHOSTUNREACH: "refused",
  EADDRNOTAVAIL: "refused",
  ERR_SSL_WRONG_VERSION_NUMBER: "not-tls",
  ERR_SSL_PACKET_LENGTH_TOO_LONG: "not-tls",
  ERR_SSL_RECORD_LAYER_FAILURE: "not-tls",
  ERR_SSL_HTTP_REQUEST: "not-tls",
  ERR_SSL_UNSUPPORTED_PROTOCOL: "protocol-version",
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: "protocol-version",
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: "protocol-version",
  ERR_SSL_VERSION_TOO_LOW: "protocol-version",
  // The probe's machine, not the server (a registry run past `ulimit -n`).
  EMFILE: "local-resource",
  ENFILE: "local-resource",
  ENOBUFS: "local-resource",
  ENOMEM: "local-resource",
};

/** OpenSSL's refusal of a server without RFC 5746 renegotiation_info (no SSL_OP_LEGACY_SERVER_CONNECT). */
export const LEGACY_RENEGOTIATION_REFUSED = "ERR_SSL_UNSAFE_LEGACY_RENEGOTIATION_DISABLED";

const ERROR_CLASSES = new Set<string>(Object.values(BY_CODE).concat(["tls-alert", "client-certificate", "aws", "other"]));

/** A value already classified by this module (errors raised by our own code paths). */
export function isProbeError(value: unknown): value is ProbeError {
  const v = value as Partial<ProbeError> | undefined;
  return (
    typeof v === "object" && v !== null && !(v instanceof Error) && typeof v.message === "string" && typeof v.class === "string" && ERROR_CLASSES.has(v.class)
  );
}

/** Maps a Node/OpenSSL error (or anything thrown) to one of our classes; never throws. */
export function classifyError(err: unknown): ProbeError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = (e?.message ?? String(err)).split("\n")[0]!;
  let cls: ErrorClass | undefined = code ? BY_CODE[code] : undefined;
  // OpenSSL 3.5 (Node 22) renames some alert codes (ERR_SSL_SSL/TLS_ALERT_…): match the alert, not the prefix.
  if (!cls && code && /^ERR_SSL_.*_ALERT_PROTOCOL_VERSION$/.test(code)) cls = "protocol-version";
  if (!cls && code && /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(code)) cls = "tls-alert";
  if (!cls && code && /^ERR_SSL_/.test(code)) cls = "tls-alert";
  if (!cls && /socket disconnected before secure TLS connection/.test(message)) cls = "reset";
  return { class: cls ?? "other", ...(code ? { code } : {}), message };
}

/** OpenSSL verification codes (socket.authorizationError) that mean the validity period is the problem. */
const VALIDITY_CODES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CRL_HAS_EXPIRED"]);

export function classifyVerificationError(code: string): VerificationClass {
  return VALIDITY_CODES.has(code) ? "expired" : "untrusted";
}

export function timeoutError(phase: string, ms: number): ProbeError {
  return { class: "timeout", message: `no answer within ${ms} ms (${phase})` };
}

/**
 * Probe errors in plain words for reports and finding messages: what an operator reads at 3 a.m. instead of
 * OpenSSL's strings. The raw error (class, code, message) stays in the records and the JSON.
 */
const PLAIN_BY_CLASS: Record<ErrorClass, string> = {
  timeout: "no answer in time",
  reset: "the connection was closed during the handshake",
  refused: "the connection was refused (nothing listens, or a firewall)",
  "tls-alert": "the server ended the handshake with an alert",
  "client-certificate": "the server requires a client certificate",
  "protocol-version": "no TLS version in common",
  "not-tls": "the port does not speak TLS",
  dns: "the name does not resolve",
  aws: "the AWS call failed",
  "local-resource": "the probe's own machine could not open the connection (out of file descriptors)",
  other: "the handshake failed",
};

/** `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE` → `handshake failure`, the alert's own name (RFC 8446 6.2). */
function alertName(code: string | undefined): string | undefined {
  const m = code && /ALERT_(.+)$/.exec(code);
  return m ? m[1]!.toLowerCase().replace(/_/g, " ") : undefined;
}

export function plainError(e: ProbeError): string {
  if (e.class === "client-certificate")
    return /refused the client certificate/.test(e.message) ? "the server refused the client certificate" : PLAIN_BY_CLASS[e.class];
  if (e.class === "tls-alert" || e.class === "protocol-version") {
    const alert = alertName(e.code);
    if (alert) return `${PLAIN_BY_CLASS[e.class]} (${alert})`;
  }
  if (e.class === "aws" && e.code) return `${PLAIN_BY_CLASS.aws} (${e.code})`;
  return PLAIN_BY_CLASS[e.class];
}
