/**
 * Clients the probe never imitated, on nginx members behind HAProxy `mode tcp`: clients that send no SNI (the JDK
 * connecting by IP address), and members that send an incomplete chain while the monitor's trust store holds the
 * intermediate (Puppet's ca.pem holds root and intermediate). A real JDK checks both verdicts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { poolModel } from "../../lambda/analysis/java/pool-model.js";
import { JAVA_PROFILES } from "../../lambda/analysis/java/profiles.js";
import { simulate } from "../../lambda/analysis/java/simulate.js";
import { modelWithoutSni } from "../../lambda/analysis/sni.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import { startNginx } from "../helpers/field-servers.js";
import { adversarialRouting, JavaClient } from "../helpers/java.js";
import { Harness, poolEndpoint, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let java: JavaClient;
beforeAll(async () => {
  pki = await TestPki.create();
  java = await JavaClient.compile();
});
afterEach(() => harness.closeAll());
afterAll(() => java.close());

async function endpointFor(members: RunningProcess[], ca: string) {
  return poolEndpoint(harness.track(await startHaproxy(members)), members, ca, { name: "puppetdb", timeoutMs: 5000 });
}

describe("clients without SNI", () => {
  it("nginx ×3: one certificate with SNI; without, m1 and m2 answer from a default_server: a finding naming them, no-SNI Java verdicts a real JDK connecting by IP agrees with", async () => {
    const service = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const fallback = await pki.issue({ subject: "CN=fallback.pool.test", dns: ["fallback.pool.test"] });
    const members = [
      harness.track(await startNginx({ certificates: [service], serverName: SERVICE, defaultServer: fallback, protocols: "TLSv1.2", noEms: true })),
      harness.track(await startNginx({ certificates: [service], serverName: SERVICE, defaultServer: fallback, protocols: "TLSv1.2", noEms: true })),
      harness.track(await startNginx({ certificates: [service], protocols: "TLSv1.2", noEms: true })),
    ];
    const probe = await probeEndpoint(await endpointFor(members, pki.caPem));
    const a = analyzeEndpoint(probe);
    // With SNI: one certificate, nothing for clients that send it.
    expect(a.summary.certificateVariants).toBe(1);
    const sni = a.findings.filter((f) => f.kind === "sni-certificate");
    expect(sni).toHaveLength(1);
    expect(sni[0]!.severity).toBe("warning");
    expect(sni[0]!.evidence).toMatchObject({ differing: [members[0]!.label, members[1]!.label] });
    expect(sni[0]!.message).toMatch(/CN=fallback\.pool\.test/);
    expect(sni[0]!.message).toMatch(/IP address or a host name without a dot/);
    // The fallback certificate fails the name check only for clients without SNI: no hostname-mismatch finding.
    expect(a.findings.filter((f) => f.kind === "hostname-mismatch")).toEqual([]);
    const noSni = Object.fromEntries(a.javaClientsWithoutSni.map((v) => [v.profile, v]));
    expect(noSni["jdk8u60-8u152"]!.verdict).toBe("can-abort");
    expect(a.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.verdict).toBe("safe");

    // A real JDK (EMS off, TLS 1.2: 8u60–8u152's rules) without SNI, along the adversarial routing: it aborts exactly
    // where the replay on the no-SNI model says.
    const routing = adversarialRouting(members.length);
    const profile = JAVA_PROFILES.find((p) => p.id === "jdk8u60-8u152")!;
    const predicted = simulate(
      profile,
      modelWithoutSni(probe, poolModel(probe))!,
      routing.map((i) => members[i]!.label),
    );
    const real = await java.replayRouted("jdk8u60-8u152", members, routing, "-", pki.caPem);
    const context = real.map((r) => `${r.index}:${r.outcome}`).join(" ");
    expect(
      real.filter((r) => r.outcome === "aborted").map((r) => r.index),
      context,
    ).toEqual(predicted.filter((p) => p.outcome === "aborted").map((p) => p.index));
    expect(
      real.some((r) => r.outcome === "aborted"),
      context,
    ).toBe(true);
    // The same JDK with SNI: no abort, as the SNI verdict says.
    const withSni = await java.replayRouted("jdk8u60-8u152", members, routing, SERVICE, pki.caPem);
    expect(withSni.filter((r) => r.outcome === "aborted")).toEqual([]);
  });

  it("nginx ×3, one certificate, complete chains, the default server presents the same certificate: no new finding, exit 0", async () => {
    const service = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }, 1);
    const members = await Promise.all([0, 1, 2].map(async () => harness.track(await startNginx({ certificates: [service] }))));
    const a = analyzeEndpoint(await probeEndpoint(await endpointFor(members, pki.caPem)));
    expect(a.findings.filter((f) => f.kind === "sni-certificate" || f.kind === "certificate-chain")).toEqual([]);
    expect(a.javaClientsWithoutSni).toEqual([]);
    expect(a.summary.clientAffectingFindings).toBe(0);
  });
});

describe("the chain as sent", () => {
  it("m3 sends the leaf without its intermediate, the trust store holds root + intermediate: a warning naming m3, root-only clients affected; a real JDK trusting the root fails on m3 only", async () => {
    const service = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }, 1);
    const intermediatePem = service.chainPem.slice(service.certPem.length).trim();
    const members = [
      harness.track(await startNginx({ certificates: [service] })),
      harness.track(await startNginx({ certificates: [service] })),
      harness.track(await startNginx({ certificates: [service], leafOnly: true })),
    ];
    const probe = await probeEndpoint(await endpointFor(members, `${pki.caPem}\n${intermediatePem}\n`));
    const a = analyzeEndpoint(probe);
    expect(probe.members.map((m) => m.sentChain?.length)).toEqual([2, 2, 1]);
    // The trust store completed the chain on every member: that is what hid it.
    expect(probe.members.map((m) => m.tls12.chain.length)).toEqual([3, 3, 3]);
    const chain = a.findings.filter((f) => f.kind === "certificate-chain");
    expect(chain.map((f) => f.severity)).toEqual(["warning"]);
    expect(chain[0]!.message).toContain(`${members[2]!.label} leaves out CN=Test Intermediate 1`);
    expect(chain[0]!.message).toMatch(/trust only the root/);
    expect(a.summary.clientAffectingFindings).toBeGreaterThan(0);
    // A real JDK trusting only the root: PKIX failures on m3's connections, none elsewhere.
    const routing = [0, 1, 2, 0, 1, 2];
    const real = await java.replayRouted("jdk8u161+", members, routing, SERVICE, pki.caPem);
    expect(real.filter((r) => r.outcome === "error").map((r) => r.index)).toEqual([2, 5]);
    expect(real.filter((r) => r.outcome === "error").every((r) => /PKIX|certification path/.test(r.detail))).toBe(true);
  });
});
