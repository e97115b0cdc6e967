/**
 * A certificate rotation on a real nginx pool behind HAProxy, as deployed: the function's run (default hysteresis
 * of 2 runs) with the real SDK clients, its memory in DynamoDB (moto's server) and SNS behind a fake AWS endpoint.
 * One member renewed, then the others: the change (with the rollout in progress), the completion, and the
 * divergence and recovery around them, each told once.
 */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { runMonitor } from "../../lambda/monitor.js";
import { startNginx } from "../helpers/field-servers.js";
import { endpointFor } from "../helpers/field.js";
import { FakeAwsHttp } from "../helpers/fake-aws-http.js";
import { Moto } from "../helpers/moto.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let moto: Moto;
let fake: FakeAwsHttp;
let pki: TestPki;

beforeAll(async () => {
  moto = await Moto.start();
  fake = await FakeAwsHttp.start();
  fake.dynamoUpstream = moto.url;
  pki = await TestPki.create();
});
afterAll(async () => {
  await harness.closeAll();
  await fake.close();
  await moto.stop();
});

describe("certificate rotation on nginx", () => {
  it("renewing one member, then the others: certificate-change (1 of 3), divergence, rollout-completed, recovery, each once", async () => {
    const old = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE], key: "ec" });
    const members: RunningProcess[] = [];
    for (let i = 0; i < 3; i++) members.push(await startNginx({ certificates: [old] }));
    const tracked = members.map((m) => ({ current: m }));
    harness.track({ close: async () => void (await Promise.all(tracked.map((t) => t.current.close()))) });
    const vip = harness.track(await startHaproxy(members));
    const endpoint = { ...endpointFor(vip, members, SERVICE, pki.caPem, 2), name: "puppetdb" };
    const table = await moto.createTable("rotation");
    /** nginx restarted on the same port with the renewed certificate (the member keeps its address). */
    const renew = async (i: number, certificate: IssuedCertificate) => {
      await tracked[i]!.current.close();
      tracked[i]!.current = await startNginx({ certificates: [certificate], port: Number(members[i]!.label.split(":").pop()) });
    };
    let clock = Date.now();
    const run = () => {
      const at = new Date((clock += 300_000));
      return runMonitor([endpoint], [], {
        publisher: fake.publisher(),
        memory: fake.memory(table),
        now: () => at,
        namespace: "TlsPoolMonitor",
        topicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
        budgetMs: 15_000,
        log: () => undefined,
        emf: () => undefined,
      });
    };
    const kinds = () => fake.published.map((p) => p.attributes.kind);

    await run();
    await run();
    expect(kinds()).toEqual([]);
    // The renewal: same names, new key and serial (identity-equivalent for Java, a different leaf all the same).
    const renewed = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE], key: "ec" });
    await renew(0, renewed);
    await run();
    expect(kinds()).toEqual(["certificate-change"]);
    const change = fake.published[0]!;
    expect(change.subject).toBe(`[tls-pool-monitor] puppetdb: certificate changed on ${members[0]!.label} (1/3 on the new one)`);
    expect(change.message).toMatch(/Rollout in progress: 1 of 3 members on the new certificate since \d{4}-\d\d-\d\dT/);
    expect(change.message).toContain(`Still on the old certificate: ${members[1]!.label}, ${members[2]!.label}.`);
    const serial = (pem: string) => new X509Certificate(pem).serialNumber;
    expect(change.message).toContain(`what differs: serial ${serial(old.certPem)} -> ${serial(renewed.certPem)}`);
    await run(); // the divergence, confirmed by a second run
    expect(kinds()).toEqual(["certificate-change", "divergence"]);
    await renew(1, renewed);
    await renew(2, renewed);
    await run();
    expect(kinds()).toEqual(["certificate-change", "divergence", "rollout-completed"]);
    expect(fake.published[2]!.message).toContain("Rollout completed: all 3 members present the new certificate");
    await run(); // the recovery, confirmed
    await run();
    expect(kinds()).toEqual(["certificate-change", "divergence", "rollout-completed", "recovery"]);
    // Every message carries its transition id, as an attribute and in the body; no id twice.
    const ids = fake.published.map((p) => p.attributes.transitionId!);
    expect(new Set(ids).size).toBe(4);
    for (const p of fake.published) expect(p.message).toContain(`Transition id: ${p.attributes.transitionId}`);
  });
});
