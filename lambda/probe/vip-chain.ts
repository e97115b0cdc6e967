import type { CertificateCatalog } from "./certificate.js";
import { cutForFlood, handshake } from "./handshake.js";
import type { ConnectionLimiter } from "./limiter.js";
import type { ClientCredentials, ClientProfile } from "./tls-context.js";
import { hear, isSilent, type Silence } from "./silence.js";
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
/**
 * Consecutive timeouts through a VIP that has never answered after which its chains stop: a black-holed VIP held a
 * connection slot for attempts × 3 chains × the timeout (36 s at 8 attempts and 1.5 s, measured), and an endpoint
 * slot with it, for nothing. One answer of any kind (a handshake, an alert, a refusal) and every attempt is made.
 */
export const SILENT_VIP_TIMEOUTS = 3;

/**
 * Consecutive connections cut for flooding after which a chain stops: each costs this process one socket read of
 * the flood (about 1,200 KeyUpdates, ~25 ms of CPU, measured) before the cut takes effect, and the next would be cut
 * the same. A pool where one member floods behind a round-robin VIP rarely floods twice in a row: it keeps going.
 */
export const FLOODED_CHAIN_STOP = 2;

export async function runChain(
  target: ChainTarget,
  mechanism: ResumptionMechanism,
  catalog: CertificateCatalog,
  limit: ConnectionLimiter,
  signal?: AbortSignal,
  silence: Silence = { answered: false, timeouts: 0 },
): Promise<ChainConnection[]> {
  const connections: ChainConnection[] = [];
  let lastFull: FullHandshake | undefined;
  let floodedInARow = 0;
  for (let index = 0; index < target.attempts; index++) {
    if (isSilent(silence, SILENT_VIP_TIMEOUTS) || floodedInARow >= FLOODED_CHAIN_STOP) break;
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
    hear(silence, connection.error);
    floodedInARow = cutForFlood(connection) ? floodedInARow + 1 : 0;
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
