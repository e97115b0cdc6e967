import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { affectsClients } from "../../lambda/analysis/finding.js";
import { vipConnections } from "../../lambda/analysis/observations.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { SessionStore } from "../../lambda/lab/member.js";
import { distinctIdentities, Harness, SERVICE, sharedTicketKeys, TestPki } from "../helpers/pool.js";

const harness = new Harness();
let pki: TestPki;

beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

const kinds = (a: ReturnType<typeof analyzeEndpoint>) => a.findings.map((f) => `${f.severity}:${f.kind}`);

describe("a pool behind a round-robin VIP", () => {
  it("one shared certificate: 1 variant, no certificate change, refusals only informational", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const pool = await harness.pool(pki, [{ certificate: cert }, { certificate: cert }, { certificate: cert }]);
    const probe = await probeEndpoint(pool.endpoint());
    const a = analyzeEndpoint(probe);
    expect(a.summary.certificateVariants).toBe(1);
    expect(a.summary.certificateChangesOnResumption).toBe(0);
    expect(a.summary.membersDiverging).toBe(0);
    expect(a.summary.handshakeFailures).toBe(0);
    // No shared session state: every offer through the VIP goes to another member and is refused, harmlessly.
    expect(a.summary.resumptionRefused).toBe(a.summary.resumptionAttempts);
    expect(a.summary.resumptionAttempts).toBe(3 * 5);
    expect(kinds(a)).toContain("info:resumption-refused");
    expect(a.findings.filter(affectsClients)).toEqual([]);
    expect(a.variants[0]!.members.sort()).toEqual(pool.members.map((m) => m.label).sort());
  });

  it("distinct identities: N variants, every resumption refused with a certificate change", async () => {
    const certs = await distinctIdentities(pki, 3);
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate })),
    );
    const probe = await probeEndpoint(pool.endpoint());
    const a = analyzeEndpoint(probe);
    expect(a.summary.certificateVariants).toBe(3);
    expect(a.summary.membersDiverging).toBe(2);
    expect(a.summary.resumptionAttempts).toBe(15);
    expect(a.summary.resumptionResumed).toBe(0);
    expect(a.summary.certificateChangesOnResumption).toBe(15);
    for (const c of vipConnections(probe).filter((c) => c.index > 0)) {
      expect(c.sessionOffered).toBe(true);
      expect(c.offeredFrom).toBe(c.index - 1);
      expect(c.certificateChanged).toBe(true);
    }
    // Each member is named with the certificate it presents, and the diff says how they differ.
    for (const [i, m] of pool.members.entries()) {
      const variant = a.variants.find((v) => v.members.includes(m.label))!;
      expect(probe.certificates[variant.fingerprint]!.subject).toBe(`CN=member-${i + 1}.${SERVICE}`);
    }
    expect(a.differences.map((d) => d.field)).toEqual(expect.arrayContaining(["subject", "sanDns", "serialNumber"]));
    expect(kinds(a)).toEqual(expect.arrayContaining(["warning:certificate-divergence", "info:certificate-change-on-resumption"]));
    // Every certificate names the service first: one identity for every JDK rule, so the change does not page.
    expect(a.findings.find((f) => f.kind === "certificate-change-on-resumption")!.message).toContain("one identity");
    // The matrix: each member resumes only its own sessions.
    for (const cell of probe.matrix) expect(cell.outcome).toBe(cell.from === cell.to ? "accepted" : "refused");
    expect(a.summary.crossMemberCertificateChanges).toBe(2 * 3 * 2);
  });

  it("shared ticket keys and a shared session cache: resumption accepted across members, in the chain and the matrix", async () => {
    const certs = await distinctIdentities(pki, 3);
    const ticketKeys = sharedTicketKeys();
    const cache: SessionStore = new Map();
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate, ticketKeys, sessionCache: cache })),
    );
    const probe = await probeEndpoint(pool.endpoint());
    const a = analyzeEndpoint(probe);
    expect(probe.matrix.length).toBe(2 * 3 * 3);
    for (const cell of probe.matrix) expect(cell.outcome).toBe("accepted");
    // Every offer through the VIP is resumed, wherever it lands: the leaf stays the session's.
    expect(a.summary.resumptionResumed).toBe(a.summary.resumptionAttempts);
    expect(a.summary.certificateChangesOnResumption).toBe(0);
    for (const c of vipConnections(probe).filter((c) => c.resumed)) expect(c.leaf).toBe(probe.vip.chains[c.mechanism][c.offeredFrom!]!.leaf);
    expect(kinds(a)).toContain("info:resumption-shared");
    // The members still diverge: a client without a cached session sees them all.
    expect(a.summary.certificateVariants).toBe(3);
  });

  it("shared ticket keys across members that differ in EMS: cross-member resumption fails with a fatal alert", async () => {
    const certs = await distinctIdentities(pki, 2);
    const ticketKeys = sharedTicketKeys();
    const pool = await harness.pool(
      pki,
      certs.map((certificate, i) => ({ certificate, ticketKeys, ems: i === 0, maxVersion: "TLSv1.2" as const })),
    );
    const probe = await probeEndpoint(pool.endpoint({ attempts: 2 }));
    const a = analyzeEndpoint(probe);
    const [withEms, withoutEms] = pool.members.map((m) => m.label);
    const cell = probe.matrix.find((c) => c.mechanism === "ticket" && c.from === withEms && c.to === withoutEms)!;
    expect(cell.outcome).toBe("failed");
    expect(cell.error?.class).toBe("tls-alert");
    expect(a.summary.crossMemberResumptionFailures).toBeGreaterThanOrEqual(1);
    expect(a.findings[0]).toMatchObject({ kind: "resumption-failure", severity: "critical" });
  });

  it("detects the member that has EMS switched off", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const pool = await harness.pool(pki, [{ certificate: cert }, { certificate: cert, ems: false }, { certificate: cert }]);
    const probe = await probeEndpoint(pool.endpoint({ attempts: 3 }));
    const a = analyzeEndpoint(probe);
    const ems = probe.members.map((m) => m.tls12.session?.extendedMasterSecret);
    expect(ems).toEqual([true, false, true]);
    expect(probe.members.every((m) => m.tls12.secureRenegotiation)).toBe(true);
    const finding = a.findings.find((f) => f.kind === "ems-missing")!;
    expect(finding.severity).toBe("warning");
    expect(finding.evidence.withoutEms).toEqual([pool.members[1]!.label]);
    expect(finding.message).toContain("mixed pool");
  });

  it("a member that is down: reported as refused, the rest of the pool still probed", async () => {
    const certs = await distinctIdentities(pki, 2);
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate })),
    );
    const down = pool.members[1]!;
    await down.close();
    const probe = await probeEndpoint(pool.endpoint({ attempts: 4 }));
    const a = analyzeEndpoint(probe);
    const member = probe.members.find((m) => m.label === down.label)!;
    expect(member.handshake.error?.class).toBe("refused");
    expect(member.renegotiation.outcome).toBe("not-attempted");
    expect(probe.members.find((m) => m.label !== down.label)!.handshake.error).toBeUndefined();
    // Round-robin sends every other VIP connection to the dead member.
    const vip = vipConnections(probe);
    expect(vip.filter((c) => c.error).length).toBe(vip.length / 2);
    expect(vip.filter((c) => c.error).every((c) => c.error!.class === "reset")).toBe(true);
    expect(kinds(a)).toEqual(expect.arrayContaining(["warning:handshake-failure"]));
    expect(a.findings.find((f) => f.kind === "handshake-failure" && f.message.includes(down.label))).toBeDefined();
    expect(a.summary.reachable).toBe(true);
  });

  it("IPv6 loopback: members and VIP on ::1", async () => {
    const certs = await distinctIdentities(pki, 2);
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate, host: "::1" })),
      "::1",
    );
    const probe = await probeEndpoint(pool.endpoint({ attempts: 3 }));
    const a = analyzeEndpoint(probe);
    expect(probe.vip.target).toBe(`[::1]:${pool.vip.port}`);
    expect(probe.members.map((m) => m.label)).toEqual(pool.members.map((m) => `[::1]:${m.port}`));
    expect(a.summary.handshakeFailures).toBe(0);
    expect(a.summary.certificateVariants).toBe(2);
    expect(a.summary.certificateChangesOnResumption).toBe(6);
  });

  it("members with no TLS 1.3: the PSK chain reports the version, not handshake failures", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const pool = await harness.pool(pki, [
      { certificate: cert, maxVersion: "TLSv1.2" },
      { certificate: cert, maxVersion: "TLSv1.2" },
    ]);
    const probe = await probeEndpoint(pool.endpoint({ attempts: 2 }));
    const a = analyzeEndpoint(probe);
    expect(probe.vip.chains["tls13-psk"].every((c) => c.error?.class === "protocol-version")).toBe(true);
    expect(probe.members.map((m) => m.tls13Supported)).toEqual([false, false]);
    expect(a.summary.handshakeFailures).toBe(0);
    expect(kinds(a)).toContain("info:tls13-unsupported");
  });
});
