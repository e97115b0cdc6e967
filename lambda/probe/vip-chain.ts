import type { CertificateCatalog } from "./certificate.js";
import { handshake } from "./handshake.js";
import type { ConnectionLimiter } from "./limiter.js";
import type { ClientCredentials, ClientProfile } from "./tls-context.js";
import type { ChainConnection, ResumptionMechanism, Verification } from "./types.js";

export const PROFILE_OF: Record<ResumptionMechanism, ClientProfile> = {
  "session-id": "tls12-session-id",
  ticket: "tls12-ticket",
  "tls13-psk": "tls13",
};

export interface ChainTarget {
  address: string;
  port: number;
  servername: string;
  ca?: string;
  credentials?: ClientCredentials;
  timeoutMs: number;
  attempts: number;
}

interface FullHandshake {
  index: number;
  session?: Buffer;
  leaf?: string;
  verification?: Verification;
}

/**
 * `attempts` sequential connections through the VIP, each offering the session of the previous full handshake,
 * as a client with a session cache keyed by host:port does. A refused offer whose full handshake shows another
 * leaf is a certificate change: the event Java clients abort on.
 */
export async function runChain(
  target: ChainTarget,
  mechanism: ResumptionMechanism,
  catalog: CertificateCatalog,
  limit: ConnectionLimiter,
  signal?: AbortSignal,
): Promise<ChainConnection[]> {
  const connections: ChainConnection[] = [];
  let lastFull: FullHandshake | undefined;
  for (let index = 0; index < target.attempts; index++) {
    const offered = lastFull?.session ? lastFull : undefined;
    const outcome = await limit(
      () =>
        handshake({
          address: target.address,
          port: target.port,
          servername: target.servername,
          profile: PROFILE_OF[mechanism],
          ...(target.ca ? { ca: target.ca } : {}),
          ...(target.credentials ? { credentials: target.credentials } : {}),
          ...(offered ? { session: offered.session } : {}),
          timeoutMs: target.timeoutMs,
          catalog,
          ...(signal ? { signal } : {}),
        }),
      "chain",
    );
    const connection: ChainConnection = { index, mechanism, ...(offered ? { offeredFrom: offered.index } : {}), ...outcome.record };
    connections.push(connection);
    if (connection.error) continue;
    if (connection.resumed && offered) {
      // Node reports no peer certificate on resumption; the session carries the one it was made with.
      if (offered.leaf) connection.leaf = offered.leaf;
      if (offered.verification) connection.verification = offered.verification;
      continue;
    }
    if (offered) connection.certificateChanged = offered.leaf !== undefined && connection.leaf !== offered.leaf;
    lastFull = {
      index,
      ...(outcome.session ? { session: outcome.session } : {}),
      ...(connection.leaf ? { leaf: connection.leaf } : {}),
      ...(connection.verification ? { verification: connection.verification } : {}),
    };
  }
  return connections;
}
