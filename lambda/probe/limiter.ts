/**
 * The one bound on concurrent work: it limits open connections, not endpoints, so that a chain (sequential by
 * nature) holds one slot at a time and nested fan-out can never deadlock.
 *
 * Slots go round-robin between owners (endpoints), then by priority within an owner: a VIP chain's next connection
 * before a member probe, before a cross-member matrix offer. A chain waits for each connection before it asks for
 * the next, so in one FIFO queue every step of a small endpoint's chain re-queued behind a big pool's whole matrix
 * (measured: 61 s instead of 0.3 s beside a 100-member pool). Priority across endpoints was not enough either: a
 * pool of black-holed members kept the member queue full, and a healthy endpoint's member probes (24 s instead of
 * 0.2 s beside 100 black holes) and matrix (20 s beside 30, measured in test/probe/limiter.test.ts) waited behind
 * it. Taking turns, an endpoint's next connection waits for at most one of every other endpoint's: a black hole
 * costs its own endpoint, not the shard.
 */
export type ConnectionPriority = "chain" | "member" | "matrix";

const RANK: Record<ConnectionPriority, number> = { chain: 0, member: 1, matrix: 2 };

export interface ConnectionLimiter {
  <T>(task: () => Promise<T>, priority?: ConnectionPriority, owner?: string): Promise<T>;
  /**
   * The same bound, every task of it queued as `owner`'s (one endpoint's probe uses its own view). The owner counts
   * as live until `release()`: its share of the slots is kept for it even while it has nothing queued.
   */
  for(owner: string): ConnectionLimiter;
  /** The view's owner is done (its probe ended): its reserved share goes back to the others. */
  release(): void;
  readonly activeCount: number;
  readonly pendingCount: number;
  /** The bound itself. */
  readonly concurrency: number;
}

export const DEFAULT_CONCURRENCY = 32;

export function connectionLimiter(concurrency = DEFAULT_CONCURRENCY): ConnectionLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, not ${concurrency}`);
  // Per owner, one FIFO queue per priority; the owners with work in turn order (a Map keeps insertion order: the
  // owner served goes to the back). Taking the next task is O(1).
  const owners = new Map<string, Array<Array<() => void>>>();
  const activeBy = new Map<string, number>();
  /** Owners whose probe is under way (for() until release()), with or without work queued. */
  const live = new Map<string, number>();
  let active = 0;
  let pending = 0;
  /** Starts the next task if a slot may take one; false when none may. */
  const startOne = (): boolean => {
    if (active >= concurrency || owners.size === 0) return false;
    // An owner above its fair share of the slots waits while another with work is under it (work-conserving: when
    // every owner with work is at its share, the first in turn goes anyway). Without it, a pool of black holes that
    // held every slot took each one back as it freed, and a healthy endpoint got one slot in two.
    const share = Math.max(1, Math.floor(concurrency / new Set([...owners.keys(), ...activeBy.keys(), ...live.keys()]).size));
    let chosen: string | undefined;
    for (const owner of owners.keys()) {
      if ((activeBy.get(owner) ?? 0) < share) {
        chosen = owner;
        break;
      }
    }
    if (chosen === undefined) {
      // Every owner with work is at its share: one goes beyond it only into slots no live owner may claim. An
      // endpoint between two steps (or still resolving its members) has nothing queued for a moment; without its
      // share kept, a pool of black holes took all 8 slots at the start and a healthy endpoint waited out one
      // 1.5 s timeout (1,557 ms instead of 141, BENCHMARKS.md §4b).
      let reserved = 0;
      for (const owner of live.keys()) if (!owners.has(owner)) reserved += Math.max(0, share - (activeBy.get(owner) ?? 0));
      if (concurrency - active <= reserved) return false;
    }
    const owner = chosen ?? owners.keys().next().value!;
    const queues = owners.get(owner)!;
    const start = queues.find((q) => q.length > 0)!.shift()!;
    owners.delete(owner);
    if (queues.some((q) => q.length > 0)) owners.set(owner, queues);
    active++;
    activeBy.set(owner, (activeBy.get(owner) ?? 0) + 1);
    pending--;
    start();
    return true;
  };
  // As many as may start: a release (or a finished task) can free room for several.
  const next = () => {
    while (startOne());
  };
  const limit = <T>(task: () => Promise<T>, priority: ConnectionPriority = "member", owner = ""): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let queues = owners.get(owner);
      if (!queues) owners.set(owner, (queues = [[], [], []]));
      const tasks = queues[RANK[priority]]!;
      pending++;
      tasks.push(() => {
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            active--;
            const left = (activeBy.get(owner) ?? 1) - 1;
            if (left > 0) activeBy.set(owner, left);
            else activeBy.delete(owner);
            next();
          });
      });
      next();
    });
  const view = (owner: string): ConnectionLimiter => {
    live.set(owner, (live.get(owner) ?? 0) + 1);
    let released = false;
    return Object.defineProperties(<T>(task: () => Promise<T>, priority?: ConnectionPriority) => limit(task, priority, owner), {
      activeCount: { get: () => active },
      pendingCount: { get: () => pending },
      concurrency: { value: concurrency },
      for: { value: view },
      release: {
        value: () => {
          if (released) return;
          released = true;
          const left = (live.get(owner) ?? 1) - 1;
          if (left > 0) live.set(owner, left);
          else live.delete(owner);
          next();
        },
      },
    }) as ConnectionLimiter;
  };
  return Object.defineProperties(limit, {
    activeCount: { get: () => active },
    pendingCount: { get: () => pending },
    concurrency: { value: concurrency },
    for: { value: view },
    release: { value: () => undefined },
  }) as ConnectionLimiter;
}
