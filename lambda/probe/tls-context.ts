import { constants } from "node:crypto";
import tls from "node:tls";

/** Client configurations the probe connects with. */
export type ClientProfile = "best" | "tls12-session-id" | "tls12-ticket" | "tls13" | "tls12-no-ems" | "tls10" | "tls11" | `tls12-suites-${SuiteFamily}`;

/**
 * TLS 1.2 cipher-suite families, one handshake each (bounded, as sslyze groups them): what separates clients is
 * which family a member accepts at all. JDK 8 has AES-GCM, CBC and RSA key exchange but no ChaCha20.
 */
export const SUITE_FAMILIES = {
  "ecdhe-aesgcm": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
  chacha20: "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
  "ecdhe-cbc":
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA",
  "rsa-kx": "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA",
} as const;
export type SuiteFamily = keyof typeof SUITE_FAMILIES;
export const SUITE_FAMILY_NAMES = Object.keys(SUITE_FAMILIES) as SuiteFamily[];

/**
 * Legacy versions need OpenSSL's security level 0 (its level 1 refuses SHA-1 signatures, which TLS 1.0/1.1 use):
 * lowered for these probes only, never for the connections the verdicts are made from.
 */
const LEGACY_CIPHERS = "DEFAULT@SECLEVEL=0";

/**
 * Every profile first connects as a default OpenSSL client, which refuses a server lacking RFC 5746 at its
 * ServerHello: that refusal is how the probe knows. The second try sets SSL_OP_LEGACY_SERVER_CONNECT so that the
 * handshake with such a server still completes and its certificate is seen.
 */
const LEGACY = constants.SSL_OP_LEGACY_SERVER_CONNECT;

/**
 * OpenSSL 3's SSL_OP_NO_EXTENDED_MASTER_SECRET (not in crypto.constants): the client sends no RFC 7627 extension,
 * as JDK 8u25–8u152 and JDK 11+ with -Djdk.tls.useExtendedMasterSecret=false do.
 */
export const SSL_OP_NO_EXTENDED_MASTER_SECRET = 0x1;

const PROFILE_OPTIONS: Record<ClientProfile, tls.SecureContextOptions> = {
  best: { minVersion: "TLSv1.2", maxVersion: "TLSv1.3" },
  "tls12-session-id": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET },
  "tls12-ticket": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" },
  tls13: { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" },
  // Session IDs only, like the JDK 8 clients it stands in for (their TLS 1.2 offer has no ticket extension).
  "tls12-no-ems": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET | SSL_OP_NO_EXTENDED_MASTER_SECRET },
  tls10: { minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: LEGACY_CIPHERS, secureOptions: constants.SSL_OP_NO_TICKET },
  tls11: { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: LEGACY_CIPHERS, secureOptions: constants.SSL_OP_NO_TICKET },
  ...(Object.fromEntries(
    SUITE_FAMILY_NAMES.map((f) => [
      `tls12-suites-${f}`,
      { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: SUITE_FAMILIES[f], secureOptions: constants.SSL_OP_NO_TICKET },
    ]),
  ) as Record<`tls12-suites-${SuiteFamily}`, tls.SecureContextOptions>),
};

/**
 * A client certificate and its key, as PEM, already read and checked (registry/client-certificate.ts). Never
 * logged, never in a record: the probe only hands it to OpenSSL.
 */
export interface ClientCredentials {
  /** Leaf first, then intermediates. */
  certPem: string;
  keyPem: string;
  passphrase?: string;
}

function systemRoots(): string[] {
  // Node ≥ 22.15 also returns NODE_EXTRA_CA_CERTS here; older Nodes only have the bundled roots.
  const getCa = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  return getCa ? getCa("default") : [...tls.rootCertificates];
}

/**
 * Building a context with ~150 roots costs milliseconds, so contexts are shared by every endpoint with the same
 * extra CA bundle and profile. Contexts with a client certificate are cached per credentials object (a WeakMap:
 * the key material is never part of a cache key string).
 */
const cache = new Map<string, tls.SecureContext>();
const withCredentials = new WeakMap<ClientCredentials, Map<string, tls.SecureContext>>();

/**
 * `bareTrust`: a context that trusts nothing (`ca: []` replaces the roots), so that the peer chain Node reports is
 * exactly what the server sent. With a trust store, Node completes the chain from it (an intermediate the member
 * does not send is found in the store and reported as if sent).
 */
export function clientContext(
  profile: ClientProfile,
  extraCa?: string,
  allowLegacy = false,
  credentials?: ClientCredentials,
  bareTrust = false,
): tls.SecureContext {
  // Keyed by the PEM text itself: this runs on every handshake, and V8 caches a string's hash.
  const key = `${profile}${allowLegacy ? "+legacy" : ""}${bareTrust ? "+bare" : ""}\n${bareTrust ? "" : (extraCa ?? "")}`;
  let contexts = cache;
  if (credentials) {
    contexts = withCredentials.get(credentials) ?? new Map<string, tls.SecureContext>();
    withCredentials.set(credentials, contexts);
  }
  let context = contexts.get(key);
  if (!context) {
    const options = PROFILE_OPTIONS[profile];
    context = tls.createSecureContext({
      ...options,
      ...(allowLegacy ? { secureOptions: (options.secureOptions ?? 0) | LEGACY } : {}),
      ...(bareTrust ? { ca: [] } : extraCa ? { ca: [...systemRoots(), extraCa] } : {}),
      ...(credentials
        ? { cert: credentials.certPem, key: credentials.keyPem, ...(credentials.passphrase === undefined ? {} : { passphrase: credentials.passphrase }) }
        : {}),
    });
    contexts.set(key, context);
  }
  return context;
}
