import pLimit, { type LimitFunction } from "p-limit";

/**
 * The one bound on concurrent work: it limits open connections, not endpoints, so that a chain (sequential by
 * nature) holds one slot at a time and nested fan-out can never deadlock.
 */
export type ConnectionLimiter = LimitFunction;

export const DEFAULT_CONCURRENCY = 32;

export function connectionLimiter(concurrency = DEFAULT_CONCURRENCY): ConnectionLimiter {
  return pLimit(concurrency);
}
