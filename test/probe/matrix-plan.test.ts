/** The matrix plan is pure: its size by pool size, and the sample's coverage as a property. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { FULL_MATRIX_MAX_MEMBERS, MATRIX_SAMPLE_DEGREE, planMatrix } from "../../lambda/probe/matrix-plan.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import { renderText } from "../../lambda/report/text.js";
import { DNS_MEMBERS_ESTIMATE, endpointBudgetMs, planEndpoint } from "../../lambda/probe/plan.js";
import type { Endpoint } from "../../lambda/registry/schema.js";
import { runCli } from "../../lambda/cli.js";
import { Harness, TestPki } from "../helpers/pool.js";

const members = (n: number, variants = 1) =>
  Array.from({ length: n }, (_, i) => ({ label: `10.0.${Math.floor(i / 250)}.${i % 250}:443`, leaf: `V${i % variants}` }));

describe("planMatrix", () => {
  it.each([
    [0, 0, true],
    [1, 1, true],
    [3, 9, true],
    [12, 144, true],
    [20, 20 * (1 + MATRIX_SAMPLE_DEGREE), false],
    [200, 200 * (1 + MATRIX_SAMPLE_DEGREE), false],
  ])("%i members: %i pairs per mechanism (full: %s)", (n, pairs, full) => {
    const plan = planMatrix(members(n));
    expect(plan.pairs).toHaveLength(pairs);
    expect(plan.full).toBe(full);
    expect(plan.possible).toBe(n * n);
    expect(new Set(plan.pairs.map(([a, b]) => `${a} ${b}`)).size).toBe(pairs);
  });

  it.each([13, 20, 57, 200, 500])("a sample of %i members: every member k times source and k times target, its own session always", (n) => {
    const plan = planMatrix(members(n, 3));
    const asSource = new Map<string, number>();
    const asTarget = new Map<string, number>();
    for (const [from, to] of plan.pairs) {
      if (from === to) continue;
      asSource.set(from, (asSource.get(from) ?? 0) + 1);
      asTarget.set(to, (asTarget.get(to) ?? 0) + 1);
    }
    for (const m of members(n, 3)) {
      expect(asSource.get(m.label)).toBe(MATRIX_SAMPLE_DEGREE);
      expect(asTarget.get(m.label)).toBe(MATRIX_SAMPLE_DEGREE);
      expect(plan.pairs.some(([a, b]) => a === m.label && b === m.label)).toBe(true);
    }
  });

  it("pairs across different certificates first: with three variants, every first-offset pair crosses", () => {
    const pool = members(30, 3);
    const leafOf = new Map(pool.map((m) => [m.label, m.leaf]));
    const plan = planMatrix(pool);
    const firstOffset = plan.pairs.slice(pool.length, 2 * pool.length);
    expect(firstOffset.every(([a, b]) => leafOf.get(a) !== leafOf.get(b))).toBe(true);
  });
});

describe("a sampled matrix on real servers", () => {
  const harness = new Harness();
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });
  afterAll(() => harness.closeAll());

  it(`${FULL_MATRIX_MAX_MEMBERS + 2} members with distinct identities: the sample is said, an abort is still found among measured pairs`, async () => {
    const certs = await Promise.all(
      Array.from({ length: FULL_MATRIX_MAX_MEMBERS + 2 }, (_, i) => pki.issue({ subject: `CN=db-${i}.pool.test`, dns: [`db-${i}.pool.test`] })),
    );
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate })),
    );
    const probe = await probeEndpoint(pool.endpoint({ attempts: 2 }));
    const n = FULL_MATRIX_MAX_MEMBERS + 2;
    expect(probe.matrixPlan).toEqual({ full: false, pairs: n * (1 + MATRIX_SAMPLE_DEGREE), possible: n * n });
    expect(probe.matrix).toHaveLength(2 * n * (1 + MATRIX_SAMPLE_DEGREE));
    const a = analyzeEndpoint(probe);
    // Sessions resume on their own member and are refused by sampled others with another identity: proven.
    expect(a.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.verdict).toBe("can-abort");
    // Every member negotiates EMS: safe for 8u161+ whatever the unsampled pairs do.
    expect(a.javaClients.find((v) => v.profile === "jdk8u161+")!.verdict).toBe("safe");
    const text = renderText(probe, a);
    expect(text).toContain(`a sample of ${n * (1 + MATRIX_SAMPLE_DEGREE)} of ${n * n} member pairs per mechanism`);
  });
});

describe("planEndpoint", () => {
  const endpoint = (members: number, over: Partial<Endpoint> = {}): Endpoint => ({
    name: "e",
    host: "10.0.0.1",
    port: 443,
    servername: "svc.example",
    members: Array.from({ length: members }, (_, i) => ({
      address: `10.1.${Math.floor(i / 250)}.${i % 250}`,
      port: 443,
      label: `10.1.${Math.floor(i / 250)}.${i % 250}:443`,
    })),
    discover: "none",
    attempts: 8,
    timeoutMs: 5000,
    ...over,
  });
  it.each([
    [0, 24, 0, 0],
    [1, 24, 14, 2],
    [3, 24, 42, 18],
    [20, 24, 280, 2 * 20 * (1 + MATRIX_SAMPLE_DEGREE)],
    [200, 24, 2800, 2 * 200 * (1 + MATRIX_SAMPLE_DEGREE)],
  ])("%i members: %i chain, %i member and %i matrix connections", (members, chain, member, matrix) => {
    const plan = planEndpoint(endpoint(members));
    expect(plan.connections).toEqual({ chain, member, matrix, total: chain + member + matrix });
  });

  it("a client certificate adds one connection per member (a handshake without it: does the member require one?)", () => {
    const withCertificate = planEndpoint(endpoint(3, { clientCertificate: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:m" } }));
    expect(withCertificate.connections.member).toBe(45);
  });

  it("DNS discovery is planned as an estimate for a name, and not at all for an address", () => {
    expect(planEndpoint(endpoint(0, { host: "svc.example", discover: "dns" })).members).toEqual({
      listed: 0,
      planned: DNS_MEMBERS_ESTIMATE,
      dns: true,
      targetGroup: false,
    });
    expect(planEndpoint(endpoint(0, { discover: "dns" })).members).toEqual({ listed: 0, planned: 0, dns: false, targetGroup: false });
  });

  it("the endpoint's budget: its chains at the worst, or its fan-out at the worst over its slots, whichever is longer", () => {
    // 24 chain connections × (5 s + 1.25 s tail).
    expect(endpointBudgetMs(planEndpoint(endpoint(0)), 5000, 32)).toBe(150_000);
    // 200 members: 2,800 member probes + 1,600 matrix offers over 32 slots: 138 rounds + one member's 14, × 6.25 s.
    expect(endpointBudgetMs(planEndpoint(endpoint(200)), 5000, 32)).toBe(Math.ceil(1000 * (138 + 14) * 6.25));
  });

  it("tls-pool-monitor probe --plan prints the plan without connecting", async () => {
    let stdout = "";
    const code = await runCli(["probe", "127.0.0.1:9", "--member", "127.0.0.1:10", "--member", "127.0.0.1:11", "--plan"], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
    });
    expect(code).toBe(0);
    expect(stdout).toContain("127.0.0.1:9: 60 connections (chains 24, members 28, matrix 8)");
  });
});
