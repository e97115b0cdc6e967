/** HAProxy (mode tcp, round-robin) in front of real `openssl s_server` members. */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { affectsClients } from "../../lambda/analysis/finding.js";
import { vipConnections } from "../../lambda/analysis/observations.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import type { Endpoint } from "../../lambda/registry/schema.js";
import { distinctIdentities, Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy, startOpensslServer, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

function endpointFor(vip: RunningProcess, members: RunningProcess[], attempts = 6): Endpoint {
  return {
    name: "haproxy-pool",
    host: vip.host,
    port: vip.port,
    servername: SERVICE,
    members: members.map((m) => ({ address: m.host, port: m.port, label: m.label })),
    discover: "none",
    attempts,
    ca: pki.caPem,
    timeoutMs: 5000,
  };
}

describe("HAProxy in front of openssl s_server", () => {
  it("distinct identities: every resumption through HAProxy refused with a certificate change; renegotiation refused by OpenSSL's default", async () => {
    const certs = await distinctIdentities(pki, 3);
    const members: RunningProcess[] = [];
    for (const c of certs) members.push(harness.track(await startOpensslServer(c)));
    const vip = harness.track(await startHaproxy(members));
    const probe = await probeEndpoint(endpointFor(vip, members));
    const a = analyzeEndpoint(probe);

    expect(a.summary.handshakeFailures).toBe(0);
    expect(a.summary.certificateVariants).toBe(3);
    expect(a.summary.resumptionAttempts).toBe(15);
    expect(a.summary.certificateChangesOnResumption).toBe(15);
    // HAProxy's round-robin walks the members in order: consecutive connections never share a member.
    for (const chain of Object.values(probe.vip.chains)) {
      const leaves = chain.map((c) => c.leaf);
      for (let i = 1; i < leaves.length; i++) expect(leaves[i]).not.toBe(leaves[i - 1]);
    }
    for (const m of probe.members) {
      expect(m.renegotiation.outcome).toBe("refused");
      expect(m.tls12.session?.extendedMasterSecret).toBe(true);
      expect(m.tls12.secureRenegotiation).toBe(true);
      expect(m.tls13Supported).toBe(true);
    }
    expect(a.summary.renegotiationFailures).toBe(0);
    const reneg = a.findings.find((f) => f.kind === "renegotiation")!;
    expect(reneg.severity).toBe("info");
    // OpenSSL's internal cache resumes a member's own session, and only its own.
    for (const cell of probe.matrix) expect(cell.outcome).toBe(cell.from === cell.to ? "accepted" : "refused");
  });

  it("one certificate everywhere, client renegotiation allowed, no tickets on one member", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const members = [
      harness.track(await startOpensslServer(cert, ["-client_renegotiation"])),
      harness.track(await startOpensslServer(cert, ["-client_renegotiation", "-no_ticket"])),
    ];
    const vip = harness.track(await startHaproxy(members));
    const probe = await probeEndpoint(endpointFor(vip, members, 4));
    const a = analyzeEndpoint(probe);
    expect(a.summary.certificateVariants).toBe(1);
    expect(a.summary.certificateChangesOnResumption).toBe(0);
    expect(probe.members.map((m) => m.renegotiation.outcome)).toEqual(["ok", "ok"]);
    expect(probe.members.map((m) => m.tls12Ticket.session?.ticketIssued)).toEqual([true, false]);
    // The member without tickets has no ticket to offer: its row of the ticket matrix is "no-session".
    const ticketRow = probe.matrix.filter((c) => c.mechanism === "ticket" && c.from === members[1]!.label);
    expect(ticketRow.map((c) => c.outcome)).toEqual(["no-session", "no-session"]);
    expect(vipConnections(probe).every((c) => !c.error)).toBe(true);
    expect(a.findings.filter(affectsClients)).toEqual([]);
    // -client_renegotiation: accepted, a DoS lever (CVE-2011-1473), named per member.
    expect(a.findings.find((f) => f.kind === "client-renegotiation-accepted")).toMatchObject({
      severity: "warning",
      evidence: { members: members.map((m) => m.label) },
    });
  });
});
