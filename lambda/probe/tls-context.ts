import { constants } from "node:crypto";
import tls from "node:tls";

/** Client configurations the probe connects with. */
export type ClientProfile = "best" | "tls12-session-id" | "tls12-ticket" | "tls13";

/**
 * Every profile first connects as a default OpenSSL client, which refuses a server lacking RFC 5746 at its
 * ServerHello: that refusal is how the probe knows. The second try sets SSL_OP_LEGACY_SERVER_CONNECT so that the
 * handshake with such a server still completes and its certificate is seen.
 */
const LEGACY = constants.SSL_OP_LEGACY_SERVER_CONNECT;

const PROFILE_OPTIONS: Record<ClientProfile, tls.SecureContextOptions> = {
  best: { minVersion: "TLSv1.2", maxVersion: "TLSv1.3" },
  "tls12-session-id": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET },
  "tls12-ticket": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" },
  tls13: { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" },
};

function systemRoots(): string[] {
  // Node ≥ 22.15 also returns NODE_EXTRA_CA_CERTS here; older Nodes only have the bundled roots.
  const getCa = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  return getCa ? getCa("default") : [...tls.rootCertificates];
}

/**
 * Building a context with ~150 roots costs milliseconds, so contexts are shared by every endpoint with the same
 * extra CA bundle and profile.
 */
const cache = new Map<string, tls.SecureContext>();

export function clientContext(profile: ClientProfile, extraCa?: string, allowLegacy = false): tls.SecureContext {
  // Keyed by the PEM text itself: this runs on every handshake, and V8 caches a string's hash.
  const key = `${profile}${allowLegacy ? "+legacy" : ""}\n${extraCa ?? ""}`;
  let context = cache.get(key);
  if (!context) {
    const options = PROFILE_OPTIONS[profile];
    context = tls.createSecureContext({
      ...options,
      ...(allowLegacy ? { secureOptions: (options.secureOptions ?? 0) | LEGACY } : {}),
      ...(extraCa ? { ca: [...systemRoots(), extraCa] } : {}),
    });
    cache.set(key, context);
  }
  return context;
}
