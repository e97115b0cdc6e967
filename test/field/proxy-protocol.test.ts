/**
 * Members behind PROXY protocol (nginx `listen … ssl proxy_protocol`, HAProxy `send-proxy-v2`; an NLB target group
 * with proxy_protocol_v2.enabled is the same case): with the setting the member probes send the header and see the
 * members as the VIP does; without it, one finding that names the likely cause, never "take the member out".
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AwsTargetGroups } from "../../lambda/aws/publisher.js";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { EndpointInput } from "../../lambda/registry/schema.js";
import { FakeAwsHttp } from "../helpers/fake-aws-http.js";
import { startNginx } from "../helpers/field-servers.js";
import { Harness, poolEndpoint, TestPki } from "../helpers/pool.js";
import { startHaproxy, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let identities: IssuedCertificate[];
beforeAll(async () => {
  pki = await TestPki.create();
  // No shared name: identity-inequivalent for every JDK rule.
  identities = await Promise.all([1, 2, 3].map((i) => pki.issue({ subject: `CN=db-${i}.pool.test`, dns: [`db-${i}.pool.test`] })));
});
afterEach(() => harness.closeAll());

async function pool(proxyProtocol: boolean): Promise<{ members: RunningProcess[]; vip: RunningProcess }> {
  // TLS 1.2 without EMS: JDK 8's and the EMS-off profiles' verdicts depend on every member fact.
  const members = await Promise.all(
    identities.map(async (c) => harness.track(await startNginx({ certificates: [c], protocols: "TLSv1.2", noEms: true, proxyProtocol }))),
  );
  const vip = harness.track(await startHaproxy(members, undefined, proxyProtocol ? { server: "send-proxy-v2" } : {}));
  return { members, vip };
}

const entry = (p: { members: RunningProcess[]; vip: RunningProcess }, over: Partial<EndpointInput> = {}) =>
  poolEndpoint(p.vip, p.members, pki.caPem, { name: "puppetdb", ...over });

const verdicts = (a: ReturnType<typeof analyzeEndpoint>) => a.javaClients.map((v) => `${v.profile}:${v.verdict === "aborts" ? "can-abort" : v.verdict}`);

describe("PROXY protocol members", () => {
  it('with "proxyProtocol": "v2" the members are probed as through the VIP, and the Java verdicts are those of the same pool without PROXY protocol', async () => {
    const proxied = await pool(true);
    const probe = await probeEndpoint(entry(proxied, { proxyProtocol: "v2" }));
    const a = analyzeEndpoint(probe);
    expect(probe.memberProxyProtocol).toBe("v2");
    expect(probe.members.map((m) => m.tls12.error)).toEqual([undefined, undefined, undefined]);
    expect(probe.members.map((m) => m.tls12.session?.extendedMasterSecret)).toEqual([false, false, false]);
    expect(probe.matrix.filter((c) => c.outcome === "failed")).toEqual([]);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a).toHaveFinding("warning", "certificate-divergence");
    // v1 works too (nginx takes both).
    const v1 = await probeEndpoint(entry(proxied, { proxyProtocol: "v1", attempts: 2 }));
    expect(v1.members.map((m) => m.tls12.error)).toEqual([undefined, undefined, undefined]);

    const plain = await pool(false);
    const twin = analyzeEndpoint(await probeEndpoint(entry(plain)));
    expect(verdicts(a)).toEqual(verdicts(twin));
    expect(verdicts(a)).toContain("jdk8u60-8u152:can-abort");
  });

  it("without the setting: one finding naming PROXY protocol as the likely cause, no 'take the member out', Java verdicts point to the VIP's evidence", async () => {
    const probe = await probeEndpoint(entry(await pool(true)));
    const a = analyzeEndpoint(probe);
    const direct = a.findings.filter((f) => f.kind === "direct-access");
    expect(direct).toHaveLength(1);
    expect(direct[0]!.message).toMatch(/PROXY protocol header/);
    expect(direct[0]!.remedy).toMatch(/"proxyProtocol": "v2"/);
    expect(JSON.stringify(a.findings)).not.toMatch(/Take the member out/);
    expect(a.findings.filter((f) => f.kind === "handshake-failure")).toEqual([]);
    // The VIP alone still shows the divergence.
    expect(a.summary.certificateVariants).toBe(3);
    expect(new Set(a.javaClients.map((v) => v.verdict))).toEqual(new Set(["unknown"]));
    expect(a.javaClients[0]!.reason).toMatch(/none of the 3 listed members completed a direct TLS handshake/);
  });
});

describe("a target group with proxy_protocol_v2.enabled (fake ELBv2 over HTTP)", () => {
  let fake: FakeAwsHttp;
  beforeAll(async () => {
    fake = await FakeAwsHttp.start();
  });
  afterAll(() => fake.close());
  const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/puppetdb/0123456789abcdef";

  it('the attribute is read and the member probes send a v2 header; an entry\'s "none" overrides it', async () => {
    const p = await pool(true);
    fake.targetGroups.set(
      ARN,
      p.members.map((m) => ({ id: m.host, port: m.port, state: "healthy" })),
    );
    fake.proxyProtocolV2.add(ARN);
    const lookup = new AwsTargetGroups({
      endpoint: fake.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    }).lookup;
    const probe = await probeEndpoint({ ...entry(p, { attempts: 2, targetGroupArn: ARN }), members: [] }, { targetGroups: lookup });
    expect(probe.targetGroup?.proxyProtocolV2).toBe(true);
    expect(probe.memberProxyProtocol).toBe("v2");
    expect(probe.members.map((m) => m.source)).toEqual(["target-group", "target-group", "target-group"]);
    expect(probe.members.map((m) => m.tls12.error)).toEqual([undefined, undefined, undefined]);
    expect(fake.requests.DescribeTargetGroupAttributes).toBeGreaterThan(0);
    const overridden = await probeEndpoint({ ...entry(p, { attempts: 2, targetGroupArn: ARN, proxyProtocol: "none" }), members: [] }, { targetGroups: lookup });
    expect(overridden.memberProxyProtocol).toBeUndefined();
    expect(analyzeEndpoint(overridden).findings.map((f) => f.kind)).toContain("direct-access");
  });
});
