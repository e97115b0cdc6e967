/**
 * Protocol versions and TLS 1.2 suite families per member, behind HAProxy `mode tcp`: a legacy-only member (the
 * first seed's "one end still on an old protocol"), a TLS 1.3-only member, legacy versions beside modern ones, a
 * ChaCha20-only member. The per-member version facts are checked against `openssl s_client -tls1 … -tls1_3`.
 */
import { spawn } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { EndpointProbe, ProtocolVersion } from "../../lambda/probe/types.js";
import { startNginx } from "../helpers/field-servers.js";
import { Harness, poolEndpoint, SERVICE, TestPki } from "../helpers/pool.js";
import { findBinary, startHaproxy, startOpensslServer, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let certificate: IssuedCertificate;
beforeAll(async () => {
  pki = await TestPki.create();
  certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
});
afterEach(() => harness.closeAll());

async function probePool(members: RunningProcess[]): Promise<EndpointProbe> {
  return probeEndpoint(poolEndpoint(harness.track(await startHaproxy(members)), members, pki.caPem));
}

type TlsVersion = Exclude<ProtocolVersion, "SSLv3">;
const FLAGS: Record<TlsVersion, string> = { TLSv1: "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3" };

/** The oracle: which versions `openssl s_client` completes a handshake with (security level 0 for the legacy ones). */
async function opensslVersions(m: RunningProcess): Promise<Record<TlsVersion, boolean>> {
  const openssl = findBinary("openssl", ["/usr/bin"]);
  const entries = await Promise.all(
    (Object.keys(FLAGS) as TlsVersion[]).map(
      (v) =>
        new Promise<[TlsVersion, boolean]>((resolve) => {
          const args = [
            "s_client",
            "-connect",
            `${m.host}:${m.port}`,
            "-servername",
            SERVICE,
            FLAGS[v],
            ...(v === "TLSv1.3" ? [] : ["-cipher", "DEFAULT@SECLEVEL=0"]),
          ];
          const child = spawn(openssl, args, { stdio: ["pipe", "pipe", "ignore"] });
          let out = "";
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          child.stdout.on("data", (c: Buffer) => (out += c.toString()));
          child.once("exit", () => {
            clearTimeout(timer);
            // Pinned to one version, a completed handshake ("New, TLSv…", never "New, (NONE)") is that version (the line
            // itself names the cipher's version: "TLSv1.0" for a TLS 1.1 session).
            resolve([v, /^New, TLSv/m.test(out)]);
          });
          child.stdin.end();
        }),
    ),
  );
  return Object.fromEntries(entries) as Record<TlsVersion, boolean>;
}

/** OpenSSL 3 cannot speak SSL 3.0: every server here refuses it, and the probe's raw hello must say so. */
async function agreesWithOpenssl(probe: EndpointProbe, members: RunningProcess[]): Promise<void> {
  for (const [i, m] of members.entries()) expect(probe.members[i]!.protocols, m.label).toEqual({ SSLv3: false, ...(await opensslVersions(m)) });
}

const TESTSSL_NAMES: Record<string, ProtocolVersion> = { SSLv3: "SSLv3", "TLS 1": "TLSv1", "TLS 1.1": "TLSv1.1", "TLS 1.2": "TLSv1.2", "TLS 1.3": "TLSv1.3" };

/** testssl.sh's own sockets (`-p`), the tool operators compare with: its protocol lines, SSL 3.0 included. */
async function testsslVersions(m: RunningProcess): Promise<Record<ProtocolVersion, boolean>> {
  const out = await new Promise<string>((resolve) => {
    const child = spawn(findBinary("testssl"), ["--quiet", "--color", "0", "--warnings", "off", "-p", "--ip", "one", `${m.host}:${m.port}`], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let text = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (c: Buffer) => (text += c.toString()));
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  const found: Partial<Record<ProtocolVersion, boolean>> = {};
  for (const [, name, verdict] of out.matchAll(/^ (SSLv3|TLS 1(?:\.[123])?)\s+(not offered|offered)/gm)) found[TESTSSL_NAMES[name!]!] = verdict === "offered";
  return found as Record<ProtocolVersion, boolean>;
}

describe("protocol versions per member", () => {
  it("openssl s_server ×3, one certificate, m3 TLS 1.0 only: critical naming m3 and the clients; its certificate seen; no verdict or remedy from its unknown facts", async () => {
    const members = [
      harness.track(await startOpensslServer(certificate)),
      harness.track(await startOpensslServer(certificate)),
      harness.track(await startOpensslServer(certificate, ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])),
    ];
    const probe = await probePool(members);
    const a = analyzeEndpoint(probe);
    await agreesWithOpenssl(probe, members);
    // And with testssl.sh's own sockets, SSL 3.0 included, on a modern member and the legacy one.
    for (const i of [0, 2]) expect(probe.members[i]!.protocols, `testssl ${members[i]!.label}`).toEqual(await testsslVersions(members[i]!));
    const support = a.findings.filter((f) => f.kind === "protocol-support");
    expect(support.map((f) => f.severity)).toEqual(["critical"]);
    expect(support[0]!.message).toContain(`${members[2]!.label} (TLS 1.0)`);
    expect(support[0]!.message).toMatch(/JDK 8u291\+ and 11\.0\.11\+/);
    expect(a.summary.clientAffectingFindings).toBeGreaterThan(0);
    // The VIP's connections that reached m3 are failures now, not capabilities.
    expect(a.summary.handshakeFailures).toBeGreaterThan(0);
    // m3's certificate, from its TLS 1.0 handshake, is among those seen on members.
    expect(a.variants.flatMap((v) => v.members)).toContain(members[2]!.label);
    expect(a.remedies.filter((r) => r.inPlace)).toEqual([]);
    expect(a.javaClients.filter((v) => v.verdict === "safe")).toEqual([]);
    expect(JSON.stringify(a.findings)).not.toMatch(/Take the member out/);
  });

  it("nginx ×3, one certificate, m3 TLS 1.3 only: a finding naming m3 and the clients without TLS 1.3", async () => {
    const members = [
      harness.track(await startNginx({ certificates: [certificate] })),
      harness.track(await startNginx({ certificates: [certificate] })),
      harness.track(await startNginx({ certificates: [certificate], protocols: "TLSv1.3" })),
    ];
    const probe = await probePool(members);
    const a = analyzeEndpoint(probe);
    await agreesWithOpenssl(probe, members);
    const support = a.findings.filter((f) => f.kind === "protocol-support");
    expect(support).toHaveLength(1);
    expect(support[0]!.message).toContain(`accepts only TLS 1.3: ${members[2]!.label}`);
    expect(support[0]!.message).toMatch(/JDK 8 with its defaults .* pinned to TLS 1\.2/);
  });

  it("nginx ×3, one certificate, identical protocols and suites: no new finding, nothing that breaks clients", async () => {
    const members = await Promise.all([0, 1, 2].map(async () => harness.track(await startNginx({ certificates: [certificate] }))));
    const probe = await probePool(members);
    const a = analyzeEndpoint(probe);
    await agreesWithOpenssl(probe, members);
    expect(a.findings.filter((f) => f.kind === "protocol-support" || f.kind === "legacy-protocols")).toEqual([]);
    expect(a.summary.clientAffectingFindings).toBe(0);
    expect(probe.members[0]!.tls12Suites).toMatchObject({ "ecdhe-aesgcm": true, chacha20: true });
  });

  it("a member with TLS 1.0 and 1.1 enabled beside 1.2 and 1.3: a hygiene warning, not a client-breaking finding", async () => {
    const legacy = ["ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;", "ssl_ciphers DEFAULT@SECLEVEL=0;"];
    const members = [
      harness.track(await startNginx({ certificates: [certificate], extra: legacy })),
      harness.track(await startNginx({ certificates: [certificate] })),
    ];
    const probe = await probePool(members);
    const a = analyzeEndpoint(probe);
    await agreesWithOpenssl(probe, members);
    expect(a.findings.filter((f) => f.kind === "legacy-protocols").map((f) => f.severity)).toEqual(["warning"]);
    expect(a.findings.filter((f) => f.kind === "protocol-support" && f.severity !== "info")).toEqual([]);
    expect(a.summary.clientAffectingFindings).toBe(0);
  });

  it("a member whose TLS 1.2 suites are only ChaCha20: a finding naming the Java 8 profiles", async () => {
    const members = [
      harness.track(await startNginx({ certificates: [certificate], extra: ["ssl_ciphers ECDHE-ECDSA-CHACHA20-POLY1305;"] })),
      harness.track(await startNginx({ certificates: [certificate] })),
    ];
    const probe = await probePool(members);
    const a = analyzeEndpoint(probe);
    expect(probe.members[0]!.tls12Suites).toEqual({ "ecdhe-aesgcm": false, chacha20: true, "ecdhe-cbc": false, "rsa-kx": false });
    const support = a.findings.filter((f) => f.kind === "protocol-support");
    expect(support).toHaveLength(1);
    expect(support[0]!.message).toContain(members[0]!.label);
    expect(support[0]!.message).toMatch(/JDK 8u25–8u51, 8u60–8u152, 8u161\+/);
  });
});
