/**
 * Every transition told once (issue 21's fault table): real pools on loopback, the real SDK clients against a fake
 * AWS endpoint whose DynamoDB is moto's server (conditional writes as DynamoDB makes them) and whose SNS and
 * DynamoDB can fail. Each row counts what subscribers received.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemoryStore } from "../lambda/memory/store.js";
import { runMonitor, type MonitorOptions, type RunSummary } from "../lambda/monitor.js";
import type { Endpoint } from "../lambda/registry/schema.js";
import { FakeAwsHttp } from "./helpers/fake-aws-http.js";
import { Moto } from "./helpers/moto.js";
import { Harness, poolEndpoint, SERVICE, TestPki, type Pool } from "./helpers/pool.js";
import { freePort } from "./helpers/processes.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";
const NAME = `api.${SERVICE}`;
const harness = new Harness();
let moto: Moto;
let divergent: Pool;
let consistent: Pool;
let tables = 0;
let pki: TestPki;

beforeAll(async () => {
  moto = await Moto.start();
  pki = await TestPki.create();
  const same = await pki.issue({ subject: `CN=${NAME}`, dns: [NAME] });
  consistent = await harness.pool(pki, [{ certificate: same }, { certificate: same }]);
  divergent = await harness.pool(pki, [{ certificate: same }, { certificate: await pki.issue({ subject: `CN=*.${SERVICE}`, dns: [`*.${SERVICE}`] }) }]);
});
afterAll(async () => {
  await harness.closeAll();
  await moto.stop();
});

/**
 * The overlap itself, made certain: each run's memory read is held until the other run has read too, so both decide
 * from the same version (left to timing, the first run often finished before the second read, and nothing raced).
 */
function bothReadFirst(memory: MemoryStore): [MemoryStore, MemoryStore] {
  let release!: () => void;
  const bothRead = new Promise<void>((r) => (release = r));
  let reads = 0;
  const held = (): MemoryStore => ({
    read: async (names, signal) => {
      const read = await memory.read(names, signal);
      if (++reads === 2) release();
      await bothRead;
      return read;
    },
    write: (endpoint, write, signal) => memory.write(endpoint, write, signal),
    settle: (endpoint, id, signal) => memory.settle(endpoint, id, signal),
  });
  return [held(), held()];
}

const endpointOf = (pool: Pool): Endpoint => pool.endpoint({ name: "api", attempts: 2, servername: NAME, timeoutMs: 2_000 });

/** One deployment's world: a fresh table, a fake AWS endpoint, and a clock that moves 5 minutes per run. */
async function world() {
  const fake = await FakeAwsHttp.start();
  fake.dynamoUpstream = moto.url;
  const table = await moto.createTable(`faults-${++tables}`);
  let clock = Date.now();
  const logs: Array<Record<string, unknown>> = [];
  const options = (over: Partial<MonitorOptions> = {}): MonitorOptions => {
    const at = new Date((clock += 300_000));
    return {
      publisher: fake.publisher(),
      memory: fake.memory(table),
      now: () => at,
      namespace: "TlsPoolMonitor",
      topicArn: TOPIC,
      budgetMs: 8_000,
      awsDeadlineMs: 14_000,
      confirmRuns: 1,
      log: (l) => logs.push(l),
      emf: () => undefined,
      ...over,
    };
  };
  const run = (pool: Pool | Endpoint, over: Partial<MonitorOptions> = {}): Promise<RunSummary> =>
    runMonitor(["vip" in pool ? endpointOf(pool) : pool], [], options(over));
  /** What subscribers got: kinds, and the transition id each carried. */
  const received = () => fake.published.map((p) => ({ kind: p.attributes.kind, id: p.attributes.transitionId, subject: p.subject }));
  return { fake, table, options, run, received, logs, close: () => fake.close() };
}

describe("every transition told once", () => {
  it("two overlapping runs of one shard: one message (the conditional write gives the claim to one)", async () => {
    const w = await world();
    try {
      const at = w.options().now!;
      const [first, second] = bothReadFirst(w.fake.memory(w.table));
      const [a, b] = await Promise.all([w.run(divergent, { now: at, memory: first }), w.run(divergent, { now: at, memory: second })]);
      expect(a.alertsPublished + b.alertsPublished).toBe(1);
      expect([...a.memoryConflicts, ...b.memoryConflicts]).toEqual(["api"]);
      expect(w.received().map((r) => r.kind)).toEqual(["divergence"]);
      await w.run(divergent);
      expect(w.received()).toHaveLength(1);
    } finally {
      await w.close();
    }
  });

  it("a re-shard (1 shard → 3, the old and new schedules overlapping once): one message", async () => {
    const w = await world();
    try {
      const at = w.options().now!;
      const [first, second] = bothReadFirst(w.fake.memory(w.table));
      const [old, resharded] = await Promise.all([
        w.run(divergent, { now: at, shard: 0, memory: first }),
        w.run(divergent, { now: at, shard: 2, fleetShards: 3, memory: second }),
      ]);
      expect(old.alertsPublished + resharded.alertsPublished).toBe(1);
      expect([...old.memoryConflicts, ...resharded.memoryConflicts]).toEqual(["api"]);
      await w.run(divergent, { shard: 2, fleetShards: 3 });
      expect(w.received().map((r) => r.kind)).toEqual(["divergence"]);
    } finally {
      await w.close();
    }
  });

  it.each(["accept-500", "accept-stall"] as const)(
    "SNS %s (it took the message, the answer says otherwise or never comes): at most 2 messages, both with the same transition id",
    async (fault) => {
      const w = await world();
      try {
        w.fake.faults.Publish = fault;
        const first = await w.run(divergent);
        expect(first.alertFailures).toBe(1);
        // One attempt: the SDK did not retry the ambiguous Publish.
        expect(w.fake.requests.Publish).toBe(1);
        w.fake.faults = {};
        await w.run(divergent);
        await w.run(divergent);
        const got = w.received();
        expect(got.map((r) => r.kind)).toEqual(["divergence", "divergence"]);
        expect(got[1]!.id).toBe(got[0]!.id);
        expect(got[0]!.id).toMatch(/^tpm-[0-9a-f]{10}-1-divergence$/);
      } finally {
        await w.close();
      }
    },
  );

  it("35 minutes of runs that did not finish: no repeat, and the fix that landed meanwhile sends its recovery", async () => {
    const w = await world();
    try {
      await w.run(divergent);
      for (let i = 0; i < 7; i++) {
        const s = await w.run(divergent, { budgetMs: 0 });
        expect(s.notFinished).toEqual(["api"]);
      }
      await w.run(consistent);
      await w.run(consistent);
      expect(w.received().map((r) => r.kind)).toEqual(["divergence", "recovery"]);
    } finally {
      await w.close();
    }
  });

  it("DynamoDB InternalError on the read: nothing sent that run (never 'never told'); the next run sends once", async () => {
    const w = await world();
    try {
      w.fake.faults.BatchGetItem = "internal-error";
      const first = await w.run(divergent);
      expect(first.stateUnknown).toBe(true);
      expect(w.fake.requests.BatchGetItem).toBe(3); // the SDK's own retries of a 500 on a read
      expect(w.received()).toEqual([]);
      w.fake.faults = {};
      await w.run(divergent);
      await w.run(divergent);
      expect(w.received().map((r) => r.kind)).toEqual(["divergence"]);
    } finally {
      await w.close();
    }
  });

  it("no false recovery: a divergent pool unreachable for two runs, then back, divergent: one message", async () => {
    const w = await world();
    try {
      await w.run(divergent);
      // The same endpoint, every address refusing connections.
      const dark = poolEndpoint(
        { host: "127.0.0.1", port: await freePort() },
        [{ label: `127.0.0.1:${await freePort()}` }, { label: `127.0.0.1:${await freePort()}` }],
        pki.caPem,
        {
          name: "api",
          attempts: 2,
          servername: NAME,
          timeoutMs: 2_000,
        },
      );
      for (let i = 0; i < 2; i++) expect((await w.run(dark)).probed).toBe(1);
      await w.run(divergent);
      expect(w.received().map((r) => r.kind)).toEqual(["divergence"]);
      expect(w.logs.filter((l) => l.msg === "endpoint" && l.state === "unknown")).toHaveLength(2);
    } finally {
      await w.close();
    }
  });
});
