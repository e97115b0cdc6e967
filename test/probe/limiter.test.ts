/** The connection bound: priorities, and fairness between a big pool and a small endpoint on real servers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import { connectionLimiter } from "../../lambda/probe/limiter.js";
import { MATRIX_SAMPLE_DEGREE } from "../../lambda/probe/matrix-plan.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";

describe("connectionLimiter", () => {
  it("never runs more than its bound, and hands free slots to chains, then members, then the matrix", async () => {
    const limit = connectionLimiter(2);
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const task = (name: string) => () =>
      new Promise<string>((resolve) => {
        started.push(name);
        most = Math.max(most, ++running);
        gates.push(() => {
          running--;
          resolve(name);
        });
      });
    const all = [
      limit(task("m1"), "matrix"),
      limit(task("m2"), "matrix"),
      limit(task("m3"), "matrix"),
      limit(task("p1"), "member"),
      limit(task("c1"), "chain"),
      limit(task("m4"), "matrix"),
      limit(task("c2"), "chain"),
    ];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(["m1", "m2"]);
    expect(limit.pendingCount).toBe(5);
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(started).toEqual(["m1", "m2", "c1", "c2", "p1", "m3", "m4"]);
    expect(most).toBe(2);
    expect(limit.activeCount).toBe(0);
  });

  it("within a priority, owners take turns: a small endpoint's members wait for one of a big one's each, not all of them", async () => {
    const limit = connectionLimiter(1);
    const started: string[] = [];
    const gates: Array<() => void> = [];
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        gates.push(resolve);
      });
    const big = limit.for("big");
    const small = limit.for("small");
    const all = [...Array.from({ length: 6 }, (_, i) => big(task(`b${i}`), "member")), small(task("s0"), "member"), small(task("s1"), "member")];
    expect(limit.pendingCount).toBe(7);
    while (gates.length || started.length < 8) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(all);
    // FIFO would have run b0…b5 before s0.
    expect(started).toEqual(["b0", "b1", "s0", "b2", "s1", "b3", "b4", "b5"]);
  });

  it("a live endpoint's share is kept while it has nothing queued: black holes listed first take 2 of 4 slots, not 4; released, they get all", async () => {
    const limit = connectionLimiter(4);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        gates.set(name, resolve);
      });
    const holes = limit.for("holes");
    const healthy = limit.for("healthy");
    // The healthy endpoint is still resolving its members: nothing queued yet.
    const hung = Array.from({ length: 6 }, (_, i) => holes(task(`h${i}`), "member"));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(["h0", "h1"]);
    // Its connections start at once, in the slots kept for it (before this, they waited for a black hole's timeout).
    const mine = [healthy(task("g0"), "chain"), healthy(task("g1"), "member")];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(["h0", "h1", "g0", "g1"]);
    gates.get("g0")!();
    gates.get("g1")!();
    await Promise.all(mine);
    healthy.release();
    await new Promise((r) => setImmediate(r));
    // Done and released: the black holes may use every slot.
    expect(started).toEqual(["h0", "h1", "g0", "g1", "h2", "h3"]);
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setImmediate(r));
      for (const [name, open] of gates) if (name.startsWith("h")) open();
    }
    await Promise.all(hung);
    holes.release();
    expect(limit.activeCount).toBe(0);
  });

  it("a task that throws frees its slot and rejects only its own promise", async () => {
    const limit = connectionLimiter(1);
    const failed = limit(() => Promise.reject(new Error("boom")), "chain");
    const next = limit(() => Promise.resolve("ok"));
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });
});

describe("fairness on real servers", () => {
  it("a healthy endpoint beside a pool of 30 black-holed members finishes under a deadline the black holes would have eaten (FIFO: cut; priority turns alone: 9 s; timings in BENCHMARKS.md §4b)", async () => {
    // Members that accept and never answer: every probe to them lasts its whole timeout.
    const sockets = new Set<import("node:net").Socket>();
    const { createServer } = await import("node:net");
    const ports: number[] = [];
    for (let i = 0; i < 30; i++) {
      const silent = createServer((s) => sockets.add(s.on("error", () => undefined)));
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
      ports.push((silent.address() as import("node:net").AddressInfo).port);
      harness.track({
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            silent.close(() => r());
          }),
      });
    }
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const healthy = await harness.pool(pki, [{ certificate: cert }, { certificate: cert }]);
    const { poolEndpoint } = await import("../helpers/pool.js");
    const holes = poolEndpoint(
      { host: "127.0.0.1", port: ports[0]! },
      ports.map((p) => ({ label: `127.0.0.1:${p}` })),
      pki.caPem,
      {
        name: "black-holes",
        attempts: 2,
        timeoutMs: 1_500,
      },
    );
    const { probeEach } = await import("../../lambda/probe/endpoint.js");
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 8_000);
    const done = new Map<string, boolean>();
    try {
      // Black holes listed first, 8 connections in all: by FIFO the healthy endpoint's member probes queued behind
      // 30 × 14 probes of 1.5 s each (over a minute) and were cut by the deadline.
      await probeEach(
        [holes, healthy.endpoint({ name: "healthy", attempts: 2 })],
        (probe) => {
          done.set(probe.endpoint.name, probe.error?.code !== "DEADLINE");
          if (probe.endpoint.name === "healthy") stop.abort();
        },
        { concurrency: 8, signal: stop.signal },
      );
    } finally {
      clearTimeout(timer);
    }
    expect(done.get("healthy")).toBe(true);
    expect(done.get("black-holes")).toBe(false);
  }, 20_000);

  const harness = new Harness();
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });
  afterAll(() => harness.closeAll());

  it("a small endpoint's chains finish while a 40-member pool's matrix is still queued", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const big = await harness.pool(
      pki,
      Array.from({ length: 40 }, () => ({ certificate: cert })),
    );
    const small = await harness.pool(pki, [{ certificate: cert }]);
    const limit = connectionLimiter(2);
    const bigDone = probeEndpoint(big.endpoint({ name: "big", attempts: 2 }), { limit });
    const smallDone = probeEndpoint(small.endpoint({ name: "small", members: [], attempts: 4 }), { limit }).then((probe) => ({
      probe,
      stillQueued: limit.pendingCount,
    }));
    const [bigProbe, { probe, stillQueued }] = await Promise.all([bigDone, smallDone]);
    // 2 × 160 sampled matrix offers (and 160 member probes) queue behind the bound; the small endpoint's 12 chain connections go first.
    expect(stillQueued).toBeGreaterThan(50);
    expect(
      Object.values(probe.vip.chains)
        .flat()
        .every((c) => !c.error),
    ).toBe(true);
    expect(bigProbe.matrix.filter((c) => c.outcome === "failed")).toEqual([]);
    expect(bigProbe.matrix).toHaveLength(2 * 40 * (1 + MATRIX_SAMPLE_DEGREE));
  });
});
