/**
 * Certificate field extraction: one small pure function per field, all from node:crypto's X509Certificate
 * (the pattern of blackbox_exporter's prober/tls.go).
 */
import { createHash, X509Certificate } from "node:crypto";
import type { CertificateInfo } from "./types.js";

const DAY_MS = 86_400_000;

/** `DNS:a.example, IP Address:10.0.0.1` → entries; quoted entries (Node ≥ 17.3.1 escapes odd names) are unquoted. */
function sanEntries(cert: X509Certificate): Array<[string, string]> {
  const text = cert.subjectAltName;
  if (!text) return [];
  const entries: Array<[string, string]> = [];
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m && m[0] !== ""; m = re.exec(text)) {
    let value = m[2]!;
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    entries.push([m[1]!.trim(), value]);
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
    .join(", ");

export const subjectOf = (cert: X509Certificate): string => oneLineName(cert.subject);
export const issuerOf = (cert: X509Certificate): string => oneLineName(cert.issuer);
export const fingerprintOf = (cert: X509Certificate): string => cert.fingerprint256;
export const serialOf = (cert: X509Certificate): string => cert.serialNumber.toUpperCase();
export const validFromOf = (cert: X509Certificate): string => new Date(cert.validFrom).toISOString();
export const validToOf = (cert: X509Certificate): string => new Date(cert.validTo).toISOString();

/** Whole days left until notAfter (negative once expired, rounded down). */
export const daysToExpiryOf = (cert: X509Certificate, now: Date): number =>
  Math.floor((new Date(cert.validTo).getTime() - now.getTime()) / DAY_MS);

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

export function describeCertificate(cert: X509Certificate, now: Date): CertificateInfo {
  const keySize = keySizeOf(cert);
  return {
    fingerprint256: fingerprintOf(cert),
    subject: subjectOf(cert),
    issuer: issuerOf(cert),
    sanDns: sanDnsNames(cert),
    sanIp: sanIpAddresses(cert),
    serialNumber: serialOf(cert),
    validFrom: validFromOf(cert),
    validTo: validToOf(cert),
    daysToExpiry: daysToExpiryOf(cert, now),
    keyType: keyTypeOf(cert),
    ...(keySize === undefined ? {} : { keySize }),
    pem: cert.toString(),
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
    const cert = new X509Certificate(der);
    const fp = cert.fingerprint256;
    this.byFingerprint[fp] ??= describeCertificate(cert, this.now);
    this.seen.set(digest, fp);
    return fp;
  }
}
