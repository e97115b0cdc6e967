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

  it("a task that throws frees its slot and rejects only its own promise", async () => {
    const limit = connectionLimiter(1);
    const failed = limit(() => Promise.reject(new Error("boom")), "chain");
    const next = limit(() => Promise.resolve("ok"));
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });
});

describe("fairness on real servers", () => {
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
