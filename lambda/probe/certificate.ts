/**
 * Certificate field extraction: one small pure function per field, all from node:crypto's X509Certificate
 * (the pattern of blackbox_exporter's prober/tls.go).
 */
import { createHash, X509Certificate } from "node:crypto";
import type { CertificateInfo } from "./types.js";

const DAY_MS = 86_400_000;

/**
 * Certificate text is the server's to choose: control characters (terminal escape sequences, say) are shown as
 * \xNN so that no report, log line or SNS message carries them raw.
 */
export const visible = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

/** `DNS:a.example, IP Address:10.0.0.1` → entries; quoted entries (Node ≥ 17.3.1 escapes odd names) are unquoted. */
function sanEntries(cert: X509Certificate): Array<[string, string]> {
  const text = cert.subjectAltName;
  if (!text) return [];
  const entries: Array<[string, string]> = [];
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m && m[0] !== ""; m = re.exec(text)) {
    let value = m[2]!;
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    entries.push([m[1]!.trim(), visible(value)]);
  }
  return entries;
}

export const sanDnsNames = (cert: X509Certificate): string[] =>
  sanEntries(cert)
    .filter(([type]) => type === "DNS")
    .map(([, v]) => v);

/** IPv6 in its canonical short form (OpenSSL prints `0:0:0:0:0:0:0:1`); the URL parser does the canonicalising. */
function canonicalIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

export const sanIpAddresses = (cert: X509Certificate): string[] =>
  sanEntries(cert)
    .filter(([type]) => type === "IP Address")
    .map(([, v]) => canonicalIp(v));

/** Distinguished names on one line, RFC 4514-like order as Node prints them (`CN=a, O=b`). */
export const oneLineName = (name: string): string =>
  name
    .split("\n")
    .filter((part) => part !== "")
    .map(visible)
    .join(", ");

export const subjectOf = (cert: X509Certificate): string => oneLineName(cert.subject);
export const issuerOf = (cert: X509Certificate): string => oneLineName(cert.issuer);
export const fingerprintOf = (cert: X509Certificate): string => cert.fingerprint256;
export const serialOf = (cert: X509Certificate): string => cert.serialNumber.toUpperCase();
export const validFromOf = (cert: X509Certificate): string => new Date(cert.validFrom).toISOString();
export const validToOf = (cert: X509Certificate): string => new Date(cert.validTo).toISOString();

/** Whole days left until notAfter (negative once expired, rounded down); throws when notAfter does not parse. */
export function daysToExpiryOf(cert: X509Certificate, now: Date): number {
  const notAfter = new Date(cert.validTo).getTime();
  if (!Number.isFinite(notAfter)) throw new Error(`"${cert.validTo}"`);
  return Math.floor((notAfter - now.getTime()) / DAY_MS);
}

export function keyTypeOf(cert: X509Certificate): string {
  const key = cert.publicKey;
  const type = key.asymmetricKeyType ?? "unknown";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${type.toUpperCase()} ${curve}` : type.toUpperCase();
}

export function keySizeOf(cert: X509Certificate): number | undefined {
  const details = cert.publicKey.asymmetricKeyDetails;
  if (details?.modulusLength) return details.modulusLength;
  const curveBits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  if (details?.namedCurve) return curveBits[details.namedCurve];
  const type = cert.publicKey.asymmetricKeyType;
  if (type === "ed25519") return 256;
  if (type === "ed448") return 456;
  return undefined;
}

/** Every field on its own: one that does not parse is named in `problems` and left empty, the rest are kept. */
export function describeCertificate(cert: X509Certificate, now: Date): CertificateInfo {
  const problems: string[] = [];
  const field = <T>(name: string, read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      problems.push(`${name} does not parse (${(err as Error).message})`);
      return fallback;
    }
  };
  const keySize = field("public key", () => keySizeOf(cert), undefined);
  const days = field("notAfter", () => daysToExpiryOf(cert, now), null);
  return {
    fingerprint256: fingerprintOf(cert),
    subject: field("subject", () => subjectOf(cert), ""),
    issuer: field("issuer", () => issuerOf(cert), ""),
    sanDns: field("subjectAltName", () => sanDnsNames(cert), []),
    sanIp: field("subjectAltName", () => sanIpAddresses(cert), []),
    serialNumber: field("serial", () => serialOf(cert), ""),
    validFrom: field("notBefore", () => validFromOf(cert), ""),
    validTo: field("notAfter", () => validToOf(cert), ""),
    daysToExpiry: days !== null && Number.isFinite(days) ? days : null,
    keyType: field("public key", () => keyTypeOf(cert), "unknown"),
    ...(keySize === undefined ? {} : { keySize }),
    pem: cert.toString(),
    ...(problems.length ? { problems: [...new Set(problems)] } : {}),
  };
}

/** What is known of a certificate Node cannot parse at all: its fingerprint (computed as Node does) and why. */
function unparseable(der: Buffer, err: unknown): CertificateInfo {
  const fingerprint256 = (createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g) ?? []).join(":");
  return {
    fingerprint256,
    subject: "",
    issuer: "",
    sanDns: [],
    sanIp: [],
    serialNumber: "",
    validFrom: "",
    validTo: "",
    daysToExpiry: null,
    keyType: "unknown",
    pem: `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`,
    problems: [`the certificate does not parse (${(err as Error).message})`],
  };
}

/** Collects every certificate seen during one endpoint's probe, keyed by fingerprint. */
export class CertificateCatalog {
  readonly byFingerprint: Record<string, CertificateInfo> = {};
  /** DER digest → fingerprint: a certificate seen again is not parsed again (most connections repeat one). */
  private readonly seen = new Map<string, string>();
  constructor(private readonly now: Date) {}

  add(der: Buffer): string {
    const digest = createHash("sha256").update(der).digest("base64");
    const known = this.seen.get(digest);
    if (known) return known;
    let info: CertificateInfo;
    try {
      info = describeCertificate(new X509Certificate(der), this.now);
    } catch (err) {
      info = unparseable(der, err);
    }
    this.byFingerprint[info.fingerprint256] ??= info;
    this.seen.set(digest, info.fingerprint256);
    return info.fingerprint256;
  }
}
