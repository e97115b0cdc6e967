/**
 * PuppetDB as deployed: Java's own TLS server (JSSE, test/java/JsseServer.java on the installed JDK 17) and members
 * that require a client certificate (JSSE needClientAuth, `openssl s_server -Verify 1`), behind HAProxy `mode tcp`.
 * Every Java verdict is checked against a real JDK client (one SSLContext, no endpoint identification, with the
 * client certificate where the pool requires one) routed along an adversarial sequence through a scripted VIP: it
 * must abort exactly on the connections our replay predicts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint, type EndpointAnalysis } from "../../lambda/analysis/index.js";
import { poolModel } from "../../lambda/analysis/java/pool-model.js";
import { JAVA_PROFILES, type JavaProfileId } from "../../lambda/analysis/java/profiles.js";
import { simulate } from "../../lambda/analysis/java/simulate.js";
import { SNIPPETS } from "../../lambda/analysis/snippets.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { ClientCredentials } from "../../lambda/probe/tls-context.js";
import type { EndpointProbe } from "../../lambda/probe/types.js";
import type { Endpoint } from "../../lambda/registry/schema.js";
import { startNginx } from "../helpers/field-servers.js";
import { adversarialRouting, JavaClient, type JsseMember } from "../helpers/java.js";
import { Harness, poolEndpoint, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy, startOpensslServer, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let java: JavaClient;
let client: IssuedCertificate;
let credentials: ClientCredentials;
let dir: string;

beforeAll(async () => {
  pki = await TestPki.create();
  java = await JavaClient.compile();
  client = await pki.issue({ subject: "CN=puppet.pool.test", dns: ["puppet.pool.test"], clientAuth: true });
  credentials = { certPem: client.chainPem, keyPem: client.keyPem };
  dir = mkdtempSync(join(tmpdir(), "tpm-jsse-test-"));
  writeFileSync(join(dir, "ca.pem"), pki.caPem);
});
afterEach(() => harness.closeAll());
afterAll(() => {
  java.close();
  rmSync(dir, { recursive: true, force: true });
});

const leaf = (cn: string) => pki.issue({ subject: `CN=${cn}`, dns: [cn] });

async function poolOf(members: RunningProcess[], withCertificate: boolean): Promise<{ endpoint: Endpoint; members: RunningProcess[] }> {
  const vip = harness.track(await startHaproxy(members));
  return {
    members,
    endpoint: { ...poolEndpoint(vip, members, pki.caPem, { name: "puppetdb", timeoutMs: 5000 }), ...(withCertificate ? { credentials } : {}) },
  };
}

const jssePool = async (specs: JsseMember[], withCertificate = false) =>
  poolOf(await Promise.all(specs.map(async (s) => harness.track(await java.startJsse(s)))), withCertificate);

/**
 * The real JDK, standing in for `profileId`, along the adversarial routing: aborts exactly where our replay of the
 * same routing says, and at all iff the verdict is not safe. Returns the JDK's outcomes.
 */
async function jdkAgrees(
  probe: EndpointProbe,
  analysis: EndpointAnalysis,
  members: RunningProcess[],
  profileId: JavaProfileId,
  withCertificate: boolean,
): Promise<string[]> {
  const model = poolModel(probe);
  const routing = adversarialRouting(members.length);
  const profile = JAVA_PROFILES.find((p) => p.id === profileId)!;
  const predicted = simulate(
    profile,
    model,
    routing.map((i) => members[i]!.label),
  );
  const real = await java.replayRouted(profileId, members, routing, SERVICE, pki.caPem, "sslsocket", withCertificate ? client : undefined);
  const verdict = analysis.javaClients.find((v) => v.profile === profileId)!;
  const context = `${profileId}: ${verdict.verdict} (${verdict.reason})\nreal: ${real.map((r) => `${r.index}:${r.outcome}`).join(" ")}`;
  expect(
    real.filter((r) => r.outcome === "error"),
    context,
  ).toEqual([]);
  expect(
    real.filter((r) => r.outcome === "aborted").map((r) => r.index),
    context,
  ).toEqual(predicted.filter((p) => p.outcome === "aborted").map((p) => p.index));
  expect(
    real.some((r) => r.outcome === "aborted"),
    context,
  ).toBe(verdict.verdict !== "safe");
  if (!profile.tls13 && !profile.tickets) {
    // TLS 1.2 with session IDs: the JDK resumes exactly where we say it does.
    expect(
      real.map((r) => r.outcome),
      context,
    ).toEqual(predicted.map((p) => p.outcome));
  }
  return real.map((r) => r.outcome);
}

const verdicts = (a: EndpointAnalysis) => Object.fromEntries(a.javaClients.map((v) => [v.profile, v.verdict]));

describe("JSSE members (PuppetDB's Jetty)", () => {
  it("×3 distinct certificates, defaults: divergence and the name mismatch are real; every Java profile safe (a JSSE server never resumes a session without EMS)", async () => {
    const { endpoint, members } = await jssePool(
      await Promise.all(["db-1.pool.test", "db-2.pool.test", "db-3.pool.test"].map(async (cn) => ({ certificate: await leaf(cn) }))),
    );
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    expect(a).toHaveFinding("warning", "certificate-divergence");
    expect(a).toHaveFinding("critical", "hostname-mismatch");
    expect(probe.members.map((m) => m.emsLessResumption?.outcome)).toEqual(["refused", "refused", "refused"]);
    expect(Object.values(verdicts(a))).toEqual(JAVA_PROFILES.map(() => "safe"));
    expect(a.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.reason).toContain("no member resumes a session offered without EMS");
    // JDK 17 with EMS off (JDK 8u60–8u152's rules): 0 aborts, 0 resumptions.
    const outcomes = await jdkAgrees(probe, a, members, "jdk8u60-8u152", false);
    expect(outcomes.filter((o) => o !== "full")).toEqual([]);
    await jdkAgrees(probe, a, members, "jdk8u161+", false);
  });

  it("mixed: m1 defaults, m2 *.pool.test without tickets, m3 EMS off: 8u161+ and 11+ pinned to TLS 1.2 can abort via m2 → m3; EMS-less clients through m3, as a real JDK does", async () => {
    const { endpoint, members } = await jssePool([
      { certificate: await leaf("db-1.pool.test") },
      { certificate: await leaf(`*.${SERVICE}`), properties: ["-Djdk.tls.server.enableSessionTicketExtension=false"] },
      { certificate: await leaf("db-3.pool.test"), properties: ["-Djdk.tls.useExtendedMasterSecret=false"] },
    ]);
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    const [m1, m2, m3] = members.map((m) => m.label);
    expect(probe.members.map((m) => m.emsLessResumption?.outcome)).toEqual(["refused", "refused", "accepted"]);
    const byProfile = Object.fromEntries(a.javaClients.map((v) => [v.profile, v]));
    expect(byProfile["jdk8u161+"]!.verdict).toBe("can-abort");
    expect(byProfile["jdk8u161+"]!.sequence?.slice(-1)).toEqual([m3]);
    expect(byProfile["jdk11+-tls12"]!.verdict).toBe("can-abort");
    // The EMS-less sequence starts on m3, the only member that resumes such a session.
    expect(byProfile["jdk8u60-8u152"]!.sequence?.slice(0, 2)).toEqual([m3, m3]);
    expect([m1, m2]).toContain(byProfile["jdk8u60-8u152"]!.sequence![2]);
    for (const profile of ["jdk8u60-8u152", "jdk8u161+", "jdk11+-tls12"] as const) await jdkAgrees(probe, a, members, profile, false);
  });

  it("2 JSSE members refusing client renegotiation + nginx, one certificate: refused, not failed; nothing that breaks clients", async () => {
    const certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const jsse = await Promise.all(
      [0, 1].map(async () => harness.track(await java.startJsse({ certificate, properties: ["-Djdk.tls.rejectClientInitiatedRenegotiation=true"] }))),
    );
    const nginx = harness.track(await startNginx({ certificates: [certificate] }));
    const { endpoint } = await poolOf([...jsse, nginx], false);
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    expect(probe.members.map((m) => m.renegotiation.outcome)).toEqual(["refused", "refused", "refused"]);
    expect(probe.members[0]!.renegotiation.detail).toMatch(/handshake_failure/);
    expect(a.summary.renegotiationFailures).toBe(0);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a.summary.clientAffectingFindings).toBe(0);
    expect(Object.values(verdicts(a))).toEqual(JAVA_PROFILES.map(() => "safe"));
  });

  it("×3 needClientAuth, one certificate, with a client certificate: OK, 0 handshake failures, client authentication recorded as required", async () => {
    const certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const { endpoint } = await jssePool(
      [0, 1, 2].map(() => ({ certificate, clientAuth: "need" as const, clientCa: pki.caPem })),
      true,
    );
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    expect(probe.members.map((m) => m.clientAuth)).toEqual(["required", "required", "required"]);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a.summary.clientAffectingFindings).toBe(0);
    expect(a.findings.filter((f) => f.kind === "client-certificate")).toEqual([]);
    expect(Object.values(verdicts(a))).toEqual(JAVA_PROFILES.map(() => "safe"));
    // A certificate for servers only (no clientAuth extended key usage), which JSSE refuses: said once, as such.
    const serverOnly = await pki.issue({ subject: "CN=server-only.pool.test" });
    const refused = analyzeEndpoint(await probeEndpoint({ ...endpoint, credentials: { certPem: serverOnly.chainPem, keyPem: serverOnly.keyPem } }));
    expect(refused.findings.filter((f) => f.kind === "client-certificate").map((f) => f.message)).toEqual([
      expect.stringMatching(/client certificate \(CN=server-only.pool.test\) was refused by every member/),
    ]);
    expect(refused.summary.handshakeFailures).toBe(0);
  });

  it("×3 needClientAuth, distinct certificates, with a client certificate: the verdicts of JSSE without client auth; a real JDK presenting one does not abort", async () => {
    const { endpoint, members } = await jssePool(
      await Promise.all(
        ["db-1.pool.test", "db-2.pool.test", "db-3.pool.test"].map(async (cn) => ({
          certificate: await leaf(cn),
          clientAuth: "need" as const,
          clientCa: pki.caPem,
        })),
      ),
      true,
    );
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    expect(a).toHaveFinding("warning", "certificate-divergence");
    expect(Object.values(verdicts(a))).toEqual(JAVA_PROFILES.map(() => "safe"));
    const outcomes = await jdkAgrees(probe, a, members, "jdk8u60-8u152", true);
    expect(outcomes.filter((o) => o === "aborted")).toEqual([]);
  });
});

describe("Java-server remedies, applied to a real JSSE pool (distinct certificates, TLS 1.2, m3 with EMS off)", () => {
  const specs = async (m3: string[], protocols = "TLSv1.2"): Promise<JsseMember[]> => [
    { certificate: await leaf("db-1.pool.test"), protocols },
    { certificate: await leaf("db-2.pool.test"), protocols },
    { certificate: await leaf("db-3.pool.test"), protocols, properties: m3 },
  ];
  const remedyOf = (a: EndpointAnalysis, action: string) => a.remedies.find((r) => r.action === action)!;

  it("enable-ems and enable-tls13 from the jetty snippets make the promised profiles safe; share-session-state is not offered for JSSE (it cannot share ticket keys)", async () => {
    const probe = await probeEndpoint((await jssePool(await specs(["-Djdk.tls.useExtendedMasterSecret=false"]))).endpoint);
    const before = analyzeEndpoint(probe);
    const facts = JSON.stringify(probe.members.map((m) => [m.emsLessResumption, m.tls12.session, m.tls12.error]));
    expect(
      probe.members.map((m) => m.emsLessResumption?.outcome),
      facts,
    ).toEqual(["refused", "refused", "accepted"]);
    expect(verdicts(before)["jdk8u161+"]).toBe("can-abort");
    const share = remedyOf(before, "share-session-state");
    expect(share.makesSafe).toEqual([]);
    expect(share.detail).toMatch(/behave as JSSE .* cannot share it/);
    expect(share.snippets.jetty).toMatch(/Not possible on JSSE/);

    const ems = remedyOf(before, "enable-ems");
    expect(ems.makesSafe).toContain("jdk8u161+");
    // The snippet's JVM option, verbatim.
    const option = /-Djdk\.tls\.useExtendedMasterSecret=true/.exec(SNIPPETS["enable-ems"].jetty!)![0];
    await harness.closeAll();
    const afterEms = analyzeEndpoint(await probeEndpoint((await jssePool(await specs([option]))).endpoint));
    for (const profile of ems.makesSafe) expect(verdicts(afterEms)[profile], profile).toBe("safe");
    expect(remedyOf(afterEms, "enable-ems").inPlace).toBe(true);

    const tls13 = remedyOf(before, "enable-tls13");
    expect(tls13.makesSafe.length).toBeGreaterThan(0);
    // jetty.ini's ssl-protocols value, verbatim, as the members' enabled protocols.
    const protocols = /^ssl-protocols = (.+)$/m.exec(SNIPPETS["enable-tls13"].jetty!)![1]!;
    await harness.closeAll();
    const afterTls13 = analyzeEndpoint(await probeEndpoint((await jssePool(await specs(["-Djdk.tls.useExtendedMasterSecret=false"], protocols))).endpoint));
    for (const profile of tls13.makesSafe) expect(verdicts(afterTls13)[profile], profile).toBe("safe");
  });
});

describe("openssl s_server -Verify 1 (a client certificate required)", () => {
  const verifyingPool = async (withCertificate: boolean) => {
    const members: RunningProcess[] = [];
    for (const cn of ["db-1.pool.test", "db-2.pool.test", "db-3.pool.test"])
      members.push(harness.track(await startOpensslServer(await leaf(cn), ["-Verify", "1", "-CAfile", join(dir, "ca.pem")])));
    return poolOf(members, withCertificate);
  };

  it("×3 distinct, with the client certificate: JDK 8u25–8u152 can abort, and a real JDK presenting the certificate aborts on the predicted connections", async () => {
    const { endpoint, members } = await verifyingPool(true);
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    expect(probe.members.map((m) => m.clientAuth)).toEqual(["required", "required", "required"]);
    expect(a.summary.handshakeFailures).toBe(0);
    const v = verdicts(a);
    expect([v["jdk8u25-8u51"], v["jdk8u60-8u152"]]).toEqual(["can-abort", "can-abort"]);
    const outcomes = await jdkAgrees(probe, a, members, "jdk8u60-8u152", true);
    expect(outcomes.filter((o) => o === "aborted").length).toBeGreaterThan(0);
    // Puppet Server's own set-up: Apache HttpClient 4.5 with its host certificate (SSLContextBuilder.loadKeyMaterial),
    // one request per connection: it aborts on the same connections.
    const routing = adversarialRouting(members.length);
    const http = await java.replayRouted("jdk8u60-8u152", members, routing, SERVICE, pki.caPem, "httpclient", client);
    const sslsocket = outcomes.flatMap((o, i) => (o === "aborted" ? [i] : []));
    expect(http.filter((r) => r.outcome === "aborted").map((r) => r.index)).toEqual(sslsocket);
    // The rest complete the handshake; HttpClient's own hostname verifier then refuses these per-member names
    // (CN=db-N.pool.test for pool.test): after the handshake, so no abort, as the JDK rule says.
    expect(http.filter((r) => r.outcome !== "aborted").every((r) => r.outcome === "ok" || /doesn't match|not match/i.test(r.detail))).toBe(true);
  });

  it("the same pool without a certificate: one client-certificate finding naming the members, their certificates listed, Java verdicts unknown, no handshake failure, no remedy", async () => {
    const { endpoint, members } = await verifyingPool(false);
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    const clientAuth = a.findings.filter((f) => f.kind === "client-certificate");
    expect(clientAuth).toHaveLength(1);
    expect(clientAuth[0]!.message).toMatch(/Every member requires a client certificate/);
    expect(clientAuth[0]!.evidence).toMatchObject({ required: members.map((m) => m.label), configured: false });
    expect(a.findings.filter((f) => f.kind === "handshake-failure")).toEqual([]);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a.summary.reachable).toBe(true);
    // What the server sent before its alert: the certificate, the protocol, EMS and RFC 5746.
    for (const m of probe.members) {
      expect(m.tls12.error?.class).toBe("client-certificate");
      expect(m.tls12.leaf).toBeDefined();
      expect(m.tls12.session?.extendedMasterSecret).toBe(true);
      expect(m.tls12.secureRenegotiation).toBe(true);
      // TLS 1.3: the client's side completed, the server's certificate_required alert came after: a failure.
      expect(m.handshake.protocol).toBe("TLSv1.3");
      expect(m.handshake.error?.code).toMatch(/CERTIFICATE_REQUIRED$/);
    }
    expect(a.variants).toHaveLength(3);
    expect(new Set(a.javaClients.map((v) => v.verdict))).toEqual(new Set(["unknown"]));
    expect(a.javaClients[0]!.reason).toMatch(/client certificate/);
    expect(a.remedies).toEqual([]);
  });
});

describe("nginx ssl_verify_client on (the certificate required in HTTP, not in TLS)", () => {
  it("×3 distinct: the TLS handshake completes without a certificate, so clientAuth is not-required and the pool is judged as any", async () => {
    const members = [];
    for (const cn of ["db-1.pool.test", "db-2.pool.test", "db-3.pool.test"])
      members.push(
        harness.track(await startNginx({ certificates: [await leaf(cn)], extra: ["ssl_verify_client on;", `ssl_client_certificate ${join(dir, "ca.pem")};`] })),
      );
    const { endpoint } = await poolOf(members, false);
    const probe = await probeEndpoint(endpoint);
    const a = analyzeEndpoint(probe);
    // nginx answers a missing certificate with HTTP 400 after the handshake: a TLS probe sees a completed handshake.
    expect(probe.members.map((m) => m.clientAuth)).toEqual(["not-required", "not-required", "not-required"]);
    expect(a.findings.filter((f) => f.kind === "client-certificate")).toEqual([]);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a).toHaveFinding("warning", "certificate-divergence");
    expect(a.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.verdict).toBe("can-abort");
  });
});
