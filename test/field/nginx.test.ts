/**
 * nginx 1.22 members (Debian) behind HAProxy `mode tcp`: each case asserts what an expert reading testssl.sh and
 * `openssl s_client` on the same pool would conclude.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { JAVA_PROFILES } from "../../lambda/analysis/java/profiles.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { ticketKeyFile, startNginx, type NginxMember } from "../helpers/field-servers.js";
import { endpointFor, findingKinds, probeField } from "../helpers/field.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

async function pool(specs: NginxMember[]) {
  const members = [];
  for (const spec of specs) members.push(harness.track(await startNginx(spec)));
  const vip = harness.track(await startHaproxy(members));
  return { members, result: await probeField(endpointFor(vip, members, SERVICE, pki.caPem)) };
}

const issue = (key: "ec" | "rsa", subject = `CN=${SERVICE}`, dns = [SERVICE]): Promise<IssuedCertificate> => pki.issue({ subject, dns, key });

describe("nginx members", () => {
  it("RSA and ECDSA on every member (same names): one identity per offer, alternates listed, exit 0", async () => {
    const [rsa, ec] = [await issue("rsa"), await issue("ec")];
    const { members, result } = await pool([0, 1, 2].map(() => ({ certificates: [rsa, ec] })));
    const s = result.analysis.summary;
    expect(s.certificateVariants, findingKinds(result).join()).toBe(1);
    expect(s.certificatesSeen).toBe(2);
    expect(s.crossMemberCertificateChanges).toBe(0);
    expect(s.certificateChangesOnResumption).toBe(0);
    expect(result.finding("certificate-divergence")).toBeUndefined();
    expect(result.finding("certificate-change-on-resumption")).toBeUndefined();
    // Node's TLS 1.2 offer gets RSA, its TLS 1.3 offer ECDSA: listed per member, as sslyze lists deployments.
    const alternates = result.finding("certificate-alternates")!;
    expect(alternates.severity).toBe("info");
    expect((alternates.evidence.members as Array<{ member: string }>).map((m) => m.member)).toEqual(members.map((m) => m.label));
    expect(result.exitCode, findingKinds(result).join()).toBe(0);
  });

  it("one member serves only RSA beside ECDSA-only members: divergence naming it; Java by the identity rule (same names: safe)", async () => {
    const [rsa, ec] = [await issue("rsa"), await issue("ec")];
    const { members, result } = await pool([{ certificates: [ec] }, { certificates: [ec] }, { certificates: [rsa] }]);
    expect(result.analysis.summary.certificateVariants).toBe(2);
    expect(result.analysis.summary.membersDiverging).toBe(1);
    const divergence = result.finding("certificate-divergence")!;
    expect(divergence.severity).toBe("warning");
    expect(divergence.message).toContain(members[2]!.label);
    expect(divergence.message).toContain("another key type");
    for (const p of JAVA_PROFILES) expect(result.verdict(p.id), p.id).toBe("safe");
    expect(result.finding("java-client-abort")).toBeUndefined();
  });

  it("distinct certificates with a shared ssl_session_ticket_key: divergence, and tickets refused across members (nginx binds them to the certificate)", async () => {
    const ticketKey = ticketKeyFile();
    const certs = [1, 2, 3].map((i) => issue("ec", `CN=db-${i}.${SERVICE}`, [`db-${i}.${SERVICE}`]));
    const { result } = await pool(await Promise.all(certs.map(async (c) => ({ certificates: [await c], ticketKey }))));
    expect(result.analysis.summary.certificateVariants).toBe(3);
    expect(result.finding("certificate-divergence")?.severity).toBe("warning");
    const tickets = result.probe.matrix.filter((c) => c.mechanism === "ticket");
    expect(tickets.length).toBe(9);
    for (const cell of tickets) expect(cell.outcome, `${cell.from} → ${cell.to}`).toBe(cell.from === cell.to ? "accepted" : "refused");
    expect(result.finding("resumption-shared")).toBeUndefined();
    expect(result.verdict("jdk8u60-8u152")).not.toBe("safe");
  });

  it("one certificate, a shared ticket key, one member with EMS off: critical resumption-failure (RFC 7627 5.3)", async () => {
    const ticketKey = ticketKeyFile();
    const cert = await issue("ec");
    const { members, result } = await pool([
      { certificates: [cert], ticketKey },
      { certificates: [cert], ticketKey, noEms: true },
      { certificates: [cert], ticketKey },
    ]);
    const failure = result.finding("resumption-failure")!;
    expect(failure.severity).toBe("critical");
    expect(result.analysis.findings[0]!.kind).toBe("resumption-failure");
    expect(result.probe.members.map((m) => m.tls12.session?.extendedMasterSecret)).toEqual([true, false, true]);
    const offers = failure.evidence.offers as Array<{ to: string; from: string }>;
    expect(offers.every((o) => o.to === members[1]!.label || o.from === members[1]!.label)).toBe(true);
    expect(result.analysis.summary.certificateVariants).toBe(1);
  });

  it("one member on the renewal (same subject and SAN, new key): divergence warning, Java safe, no critical", async () => {
    const [old, renewed] = [await issue("ec"), await issue("ec")];
    const { members, result } = await pool([{ certificates: [old] }, { certificates: [old] }, { certificates: [renewed] }]);
    expect(result.analysis.summary.certificateVariants).toBe(2);
    const divergence = result.finding("certificate-divergence")!;
    expect(divergence.severity).toBe("warning");
    expect(divergence.message).toContain(members[2]!.label);
    expect(divergence.message).toContain("rotation in progress");
    for (const p of JAVA_PROFILES.filter((x) => x.id !== "jdk8u25-8u51")) expect(result.verdict(p.id), p.id).toBe("safe");
    expect(
      result.analysis.findings.filter((f) => f.severity === "critical"),
      findingKinds(result).join(),
    ).toEqual([]);
    const change = result.finding("certificate-change-on-resumption");
    if (change) {
      expect(change.severity).toBe("info");
      expect(change.message).toMatch(/serial [0-9A-F]+ → [0-9A-F]+/);
    }
  });

  it("two members with one certificate (TLS 1.3) and a wildcard member on TLS 1.2 without EMS: JDK 8 can abort (never 'aborts': members sharing a certificate cannot be told apart), JDK 11+ safe", async () => {
    const [shared, wildcard] = [await issue("ec"), await issue("ec", `CN=*.${SERVICE}`, [`*.${SERVICE}`])];
    const { result } = await pool([{ certificates: [shared] }, { certificates: [shared] }, { certificates: [wildcard], protocols: "TLSv1.2", noEms: true }]);
    for (const id of ["jdk8u25-8u51", "jdk8u60-8u152", "jdk8u161+", "jdk11+-tls12"]) expect(result.verdict(id), id).toBe("can-abort");
    expect(result.verdict("jdk11+")).toBe("safe");
    expect(result.analysis.javaClients.every((v) => v.abortedConnections === 0)).toBe(true);
    expect(result.analysis.summary.handshakeFailures).toBe(0);
  });
});
