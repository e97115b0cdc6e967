/**
 * The one bound on concurrent work: it limits open connections, not endpoints, so that a chain (sequential by
 * nature) holds one slot at a time and nested fan-out can never deadlock.
 *
 * Slots go by priority, then first come: a VIP chain's next connection goes before a member probe, which goes before
 * a cross-member matrix offer. A chain waits for each connection before it asks for the next, so in a FIFO queue
 * every step of a small endpoint's chain re-queued behind a big pool's whole matrix (measured: 61 s instead of
 * 0.3 s beside a 100-member pool); by priority it takes the next free slot.
 */
export type ConnectionPriority = "chain" | "member" | "matrix";

const RANK: Record<ConnectionPriority, number> = { chain: 0, member: 1, matrix: 2 };

export interface ConnectionLimiter {
  <T>(task: () => Promise<T>, priority?: ConnectionPriority): Promise<T>;
  readonly activeCount: number;
  readonly pendingCount: number;
  /** The bound itself. */
  readonly concurrency: number;
}

export const DEFAULT_CONCURRENCY = 32;

export function connectionLimiter(concurrency = DEFAULT_CONCURRENCY): ConnectionLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, not ${concurrency}`);
  // One FIFO queue per priority: taking the first of the highest non-empty queue is O(1).
  const queues: Array<Array<() => void>> = [[], [], []];
  let active = 0;
  const next = () => {
    if (active >= concurrency) return;
    const start = queues.find((q) => q.length > 0)?.shift();
    if (start) {
      active++;
      start();
    }
  };
  const limit = <T>(task: () => Promise<T>, priority: ConnectionPriority = "member"): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queues[RANK[priority]]!.push(() => {
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
  return Object.defineProperties(limit, {
    activeCount: { get: () => active },
    pendingCount: { get: () => queues.reduce((n, q) => n + q.length, 0) },
    concurrency: { value: concurrency },
  }) as ConnectionLimiter;
}
