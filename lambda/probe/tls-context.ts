import { constants } from "node:crypto";
import tls from "node:tls";

/** Client configurations the probe connects with. */
export type ClientProfile = "best" | "tls12-session-id" | "tls12-ticket" | "tls13";

/**
 * SSL_OP_LEGACY_SERVER_CONNECT lets us finish a handshake with a server lacking RFC 5746 so that we can report it,
 * rather than fail at its ServerHello as a default Node client does.
 */
const LEGACY = constants.SSL_OP_LEGACY_SERVER_CONNECT;

const PROFILE_OPTIONS: Record<ClientProfile, tls.SecureContextOptions> = {
  best: { minVersion: "TLSv1.2", maxVersion: "TLSv1.3", secureOptions: LEGACY },
  "tls12-session-id": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", secureOptions: LEGACY | constants.SSL_OP_NO_TICKET },
  "tls12-ticket": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", secureOptions: LEGACY },
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

export function clientContext(profile: ClientProfile, extraCa?: string): tls.SecureContext {
  // Keyed by the PEM text itself: this runs on every handshake, and V8 caches a string's hash.
  const key = `${profile}\n${extraCa ?? ""}`;
  let context = cache.get(key);
  if (!context) {
    context = tls.createSecureContext({
      ...PROFILE_OPTIONS[profile],
      ...(extraCa ? { ca: [...systemRoots(), extraCa] } : {}),
    });
    cache.set(key, context);
  }
  return context;
}
