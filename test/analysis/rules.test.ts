/** The analysis rules on small records: the edge cases the real-server suites found, without a pool. */
import { describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { javaVerdicts } from "../../lambda/analysis/java/verdict.js";
import { DEFAULT_RULE_SETTINGS, RULES, type RuleName, type RuleSettings } from "../../lambda/analysis/rules.js";
import { certificateVariants, variantDifferences } from "../../lambda/analysis/variants.js";
import type { CertificateInfo, EndpointProbe, MemberProbe } from "../../lambda/probe/types.js";
import { renderText } from "../../lambda/report/text.js";
import { certificate, chain, matrix, member, probeOf, type MemberFacts } from "../helpers/records.js";

const M1 = "10.0.0.1:443";
const M2 = "10.0.0.2:443";
const M3 = "10.0.0.3:443";
const verdicts = (a: ReturnType<typeof analyzeEndpoint>) => Object.fromEntries(a.javaClients.map((v) => [v.profile, v.verdict]));

describe("alternates and divergence are judged per client offer", () => {
  const rsa = certificate({ fingerprint: "RSA", subject: "CN=pool.test", dns: ["pool.test"], keyType: "RSA", serial: "01" });
  const ec = certificate({ fingerprint: "EC", subject: "CN=pool.test", dns: ["pool.test"], keyType: "EC prime256v1", serial: "02" });

  it("every member gives RSA to TLS 1.2 and ECDSA to TLS 1.3 offers: 1 variant per offer, alternates listed, nothing above info", () => {
    const members = [M1, M2, M3].map((label) => member({ label, leaf: "RSA", best: "EC" }));
    const a = analyzeEndpoint(probeOf({ members, certificates: [rsa, ec] }));
    expect(a.summary.certificateVariants).toBe(1);
    expect(a.summary.certificatesSeen).toBe(2);
    expect(a.summary.membersDiverging).toBe(0);
    expect(a.summary.crossMemberCertificateChanges).toBe(0);
    expect(a).toHaveFinding("info", "certificate-alternates");
    expect(a.findings.filter((f) => f.severity !== "info")).toEqual([]);
  });

  it("one member RSA-only among ECDSA-only members: a divergence warning naming it, Java safe (same names)", () => {
    const members = [member({ label: M1, leaf: "EC" }), member({ label: M2, leaf: "EC" }), member({ label: M3, leaf: "RSA" })];
    const a = analyzeEndpoint(probeOf({ members, certificates: [rsa, ec] }));
    expect(a.summary.certificateVariants).toBe(2);
    const divergence = a.findings.find((f) => f.kind === "certificate-divergence")!;
    expect(divergence.severity).toBe("warning");
    expect(divergence.message).toContain(`B CN=pool.test on ${M3}`);
    expect(new Set(Object.values(verdicts(a)))).toEqual(new Set(["safe"]));
  });
});

describe("the Java verdict", () => {
  const shared = certificate({ fingerprint: "S", subject: "CN=pool.test", dns: ["pool.test"] });
  const wildcard = certificate({ fingerprint: "W", subject: "CN=*.pool.test", dns: ["*.pool.test"] });

  it("members sharing a certificate cannot be told apart: a chain that never resumed is not replayed as 'resumed, then switched'", () => {
    const members = [member({ label: M1, leaf: "S" }), member({ label: M2, leaf: "S" }), member({ label: M3, leaf: "W", ems: false, tls13: false })];
    // Round-robin: M1, M2, M3, M1 — no connection resumed (separate caches).
    const probe = probeOf({
      members,
      certificates: [shared, wildcard],
      chains: { "session-id": chain([{ leaf: "S" }, { leaf: "S" }, { leaf: "W" }, { leaf: "S" }]) },
    });
    const a = analyzeEndpoint(probe);
    for (const v of a.javaClients) expect(v.verdict, v.profile).not.toBe("aborts");
    expect(verdicts(a)).toMatchObject({ "jdk8u60-8u152": "can-abort", "jdk8u161+": "can-abort", "jdk11+": "safe", "jdk11+-tls12": "can-abort" });
    expect(a.javaClients.find((v) => v.profile === "jdk8u161+")!.reason).toContain("cannot be told apart");
  });

  it("offers that could not be made are unknown, never 'refused': no 'safe' from them", () => {
    const a1 = certificate({ fingerprint: "A1", subject: "CN=db-1", dns: ["db-1"] });
    const a2 = certificate({ fingerprint: "A2", subject: "CN=db-2", dns: ["db-2"] });
    const members = [member({ label: M1, leaf: "A1", ems: false, tls13: false }), member({ label: M2, leaf: "A2", ems: false, tls13: false })];
    const timedOut = { outcome: "failed" as const, error: { class: "timeout" as const, message: "no answer within 3000 ms" } };
    // M1's sessions offered to M2 timed out; M2's refused by M1 were measured: that routing's abort is shown.
    const oneWay = matrix([M1, M2]).map((c) => (c.from === M1 && c.to === M2 ? { ...c, ...timedOut } : c));
    const a = analyzeEndpoint(probeOf({ members, certificates: [a1, a2], matrix: oneWay }));
    expect(a.javaClients.find((x) => x.profile === "jdk8u60-8u152")!).toMatchObject({ verdict: "can-abort", sequence: [M2, M2, M1] });
    // Every cross-member offer timed out: no abort can be shown, and no "safe" either.
    const blind = matrix([M1, M2]).map((c) => (c.from === c.to ? c : { ...c, ...timedOut }));
    const w = analyzeEndpoint(probeOf({ members, certificates: [a1, a2], matrix: blind })).javaClients.find((x) => x.profile === "jdk8u60-8u152")!;
    expect(w.verdict).toBe("unknown");
    expect(w.reason).toMatch(/could not be made or answered/);
  });

  it("a member whose EMS could not be read: the verdict says unknown where it depends on it", () => {
    const members = [member({ label: M1, leaf: "S" }), member({ label: M2, leaf: "W", ems: undefined, tls13: false })];
    const a = analyzeEndpoint(probeOf({ members, certificates: [shared, wildcard] }));
    const v = Object.fromEntries(a.javaClients.map((x) => [x.profile, x]));
    // 8u161+: with EMS on M2 nothing aborts, without it M1's resumed session refused by M2 aborts.
    expect(v["jdk8u161+"]!.verdict).toBe("unknown");
    expect(v["jdk8u161+"]!.reason).toContain(`whether ${M2} negotiate EMS (no TLS 1.2 session could be read) is unknown`);
    // JDK 8u60–8u152 has no EMS: the fact does not matter to it.
    expect(v["jdk8u60-8u152"]!.verdict).toBe("can-abort");
    expect(analyzeEndpoint(probeOf({ members, certificates: [shared, wildcard] }))).toHaveFinding("info", "java-verdict-unknown");
    expect(a.summary.javaProfilesUnknown).toBeGreaterThan(0);
  });

  it("a sampled matrix: 'safe' only for reasons that do not depend on unmeasured pairs; otherwise unknown", () => {
    const a1 = certificate({ fingerprint: "A1", subject: "CN=db-1", dns: ["db-1"] });
    const a2 = certificate({ fingerprint: "A2", subject: "CN=db-2", dns: ["db-2"] });
    // Members share a session cache (every measured offer accepted), so no abort is measured.
    const probe = {
      ...probeOf({
        members: [member({ label: M1, leaf: "A1", ems: false }), member({ label: M2, leaf: "A2", ems: false })],
        certificates: [a1, a2],
        matrix: matrix(
          [M1, M2],
          [
            [M1, M2],
            [M2, M1],
          ],
        ),
      }),
      matrixPlan: { full: false, pairs: 4, possible: 4 },
    };
    const sampled = analyzeEndpoint(probe);
    expect(sampled.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.verdict).toBe("unknown");
    expect(
      analyzeEndpoint({ ...probe, matrixPlan: { full: true, pairs: 4, possible: 4 } }).javaClients.find((v) => v.profile === "jdk8u60-8u152")!.verdict,
    ).toBe("safe");
  });

  it("nothing probed member by member: no profile is safe", () => {
    const a = analyzeEndpoint(probeOf({ members: [], certificates: [shared], chains: { "session-id": chain([{ leaf: "S" }, { leaf: "S", resumed: true }]) } }));
    expect(new Set(Object.values(verdicts(a)))).toEqual(new Set(["unknown"]));
  });

  it("every safe reason is true: no 'resume each other' where the matrix shows none, no 'same certificate' for different ones", () => {
    const a1 = certificate({ fingerprint: "A1", subject: "CN=db-1", dns: ["pool.test", "db-1"] });
    const a2 = certificate({ fingerprint: "A2", subject: "CN=db-2", dns: ["db-2", "pool.test"] });
    const a = analyzeEndpoint(
      probeOf({ members: [member({ label: M1, leaf: "A1", ems: false }), member({ label: M2, leaf: "A2", ems: false })], certificates: [a1, a2] }),
    );
    const reason = a.javaClients.find((v) => v.profile === "jdk8u60-8u152")!.reason;
    expect(reason).toContain("identity-equivalent");
    expect(reason).toContain("a DNS SAN in common (pool.test)");
    expect(reason).not.toContain("the same certificate");
    const distinct = analyzeEndpoint(
      probeOf({ members: [member({ label: M1, leaf: "A1", tls13: false }), member({ label: M2, leaf: "W", tls13: false })], certificates: [a1, wildcard] }),
    );
    const jdk11 = distinct.javaClients.find((v) => v.profile === "jdk8u161+")!;
    expect(jdk11.verdict).toBe("safe");
    expect(jdk11.reason).toContain("negotiates the extended master secret");
    expect(distinct.javaClients.every((v) => !v.reason.includes("resume each other"))).toBe(true);
  });
});

describe("discovery", () => {
  it("DNS finding more members than synth planned for is said (the run re-checks the plan)", () => {
    const cert = certificate({ fingerprint: "S", dns: ["pool.test"] });
    const labels = ["10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443", "10.0.0.4:443", "10.0.0.5:443"];
    const probe = {
      ...probeOf({ members: labels.map((label) => member({ label, leaf: "S" })), certificates: [cert] }),
      discovery: { method: "dns" as const, addresses: labels.map((l) => l.split(":")[0]!) },
    };
    const f = analyzeEndpoint(probe).findings.find((x) => x.kind === "discovery")!;
    expect(f).toMatchObject({ severity: "info", evidence: { discovered: 5, planned: 3 } });
    // More members than planned is not a problem for clients.
    expect(analyzeEndpoint(probe).summary.clientAffectingFindings).toBe(0);
  });

  it("a target group that could not be read and no other member: a warning that counts (exit 1), never OK with 0 members", () => {
    const cert = certificate({ fingerprint: "S", dns: ["pool.test"] });
    const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pool/0123456789abcdef";
    const probe: EndpointProbe = {
      ...probeOf({ members: [], certificates: [cert], chains: { "session-id": chain([{ leaf: "S" }, { leaf: "S", resumed: true }]) } }),
      targetGroup: { arn, targets: [], error: { class: "aws", code: "AccessDenied", message: "AccessDenied: not authorized" } },
    };
    const a = analyzeEndpoint(probe);
    expect(a).toHaveFinding("warning", "discovery");
    expect(a.summary.clientAffectingFindings).toBeGreaterThan(0);
    const headline = renderText(probe, a).split("\n")[0]!;
    expect(headline).not.toMatch(/^OK/);
    expect(headline).toMatch(/^WARNING/);
  });
});

describe("findings follow identity and impact", () => {
  it("a renewal (same subject and SANs) seen on resumption: info, and the example shows what differs", () => {
    const old = certificate({ fingerprint: "OLD", subject: "CN=app.pool.test", dns: ["app.pool.test"], serial: "0A" });
    const renewed = certificate({ fingerprint: "NEW", subject: "CN=app.pool.test", dns: ["app.pool.test"], serial: "0B" });
    const probe = probeOf({
      members: [member({ label: M1, leaf: "OLD" }), member({ label: M2, leaf: "NEW" })],
      certificates: [old, renewed],
      chains: { "session-id": chain([{ leaf: "OLD" }, { leaf: "NEW" }]) },
    });
    const a = analyzeEndpoint(probe);
    const change = a.findings.find((f) => f.kind === "certificate-change-on-resumption")!;
    expect(change.severity).toBe("info");
    expect(change.message).toContain("serial 0A → 0B");
    expect(change.message).not.toContain("CN=app.pool.test → CN=app.pool.test");
    expect(a.findings.find((f) => f.kind === "certificate-divergence")?.severity).toBe("warning");
    expect(a.findings.some((f) => f.severity === "critical")).toBe(false);
  });

  it("a TLS 1.3-only offer answered with handshake_failure by a pool without TLS 1.3: a version refusal, not a failure", () => {
    const cert = certificate({ fingerprint: "S", dns: ["pool.test"] });
    const alert = { class: "tls-alert" as const, code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", message: "sslv3 alert handshake failure" };
    const tls13 = chain([{ leaf: "S" }, { leaf: "S" }], "tls13-psk", "TLSv1.3").map((c) => {
      const { leaf: _leaf, verification: _v, protocol: _p, ...rest } = c;
      return { ...rest, chain: [], error: alert };
    });
    const noMembers = analyzeEndpoint(
      probeOf({ members: [], certificates: [cert], chains: { "session-id": chain([{ leaf: "S" }, { leaf: "S", resumed: true }]), "tls13-psk": tls13 } }),
    );
    expect(noMembers.summary.handshakeFailures).toBe(0);
    expect(noMembers).toHaveFinding("info", "tls13-unsupported");
    // Where every member speaks TLS 1.3, the same alert is a real failure.
    const capable = analyzeEndpoint(probeOf({ members: [member({ label: M1, leaf: "S" })], certificates: [cert], chains: { "tls13-psk": tls13 } }));
    expect(capable.summary.handshakeFailures).toBe(2);
  });

  it("client-initiated renegotiation accepted: a warning naming the member, and hygiene (no exit 1)", () => {
    const cert = certificate({ fingerprint: "S", dns: ["pool.test"] });
    const a = analyzeEndpoint(
      probeOf({ members: [member({ label: M1, leaf: "S", renegotiation: "ok" }), member({ label: M2, leaf: "S" })], certificates: [cert] }),
    );
    const f = a.findings.find((x) => x.kind === "client-renegotiation-accepted")!;
    expect(f).toMatchObject({ severity: "warning", evidence: { members: [M1] } });
    expect(f.message).toContain("CVE-2011-1473");
    expect(a.summary.clientAffectingFindings).toBe(0);
  });

  it("an expired certificate on one member ranks before a risk that needs an old JDK", () => {
    const good = certificate({ fingerprint: "G", subject: "CN=db-1", dns: ["db-1"] });
    const expired = certificate({ fingerprint: "X", subject: "CN=db-2", dns: ["db-2"], daysToExpiry: -3 });
    const members = [member({ label: M1, leaf: "G", tls13: false }), member({ label: M2, leaf: "X", tls13: false })];
    members[1]!.tls12.verification = { chainTrusted: false, chainError: "CERT_HAS_EXPIRED", hostnameMatches: true, failure: "expired" };
    const a = analyzeEndpoint(probeOf({ members, certificates: [good, expired], matrix: matrix([M1, M2]) }));
    const order = a.findings.map((f) => f.kind);
    expect(order.indexOf("certificate-expired")).toBeLessThan(order.indexOf("java-client-abort"));
    expect(a.findings[0]!.kind).toBe("certificate-expired");
  });
});

describe("every rule, on its own, from small records", () => {
  const [A, B, C] = ["A", "B", "C"].map((f) =>
    certificate({ fingerprint: f, subject: `CN=${f.toLowerCase()}.pool.test`, dns: [`${f.toLowerCase()}.pool.test`] }),
  ) as [CertificateInfo, CertificateInfo, CertificateInfo];
  const labels = [M1, M2, M3];
  const same = (over: Partial<MemberFacts> = {}) => labels.map((label) => member({ label, leaf: "A", ...over }));
  const healthy = () => probeOf({ members: same(), certificates: [A] });
  const distinct = (over: Partial<MemberFacts>[] = []) =>
    probeOf({ members: labels.map((label, i) => member({ label, leaf: "ABC"[i]!, ...over[i] })), certificates: [A, B, C] });
  const withMember = (probe: EndpointProbe, i: number, change: (m: MemberProbe) => MemberProbe): EndpointProbe => ({
    ...probe,
    members: probe.members.map((m, j) => (j === i ? change(m) : m)),
  });
  const untrusted = (m: MemberProbe): MemberProbe => ({
    ...m,
    handshake: {
      ...m.handshake,
      verification: { chainTrusted: false, failure: "untrusted", chainError: "unable to get local issuer certificate", hostnameMatches: true },
    },
  });

  /** Per rule (typed by the registry: a rule without cases does not compile), probes and the findings it gives. */
  const CASES: Record<RuleName, Array<[string, () => EndpointProbe, string[], RuleSettings?]>> = {
    "java-client-abort": [
      [
        "distinct identities, TLS 1.2, one member without EMS: current JDKs at risk",
        () => distinct([{ tls13: false }, { tls13: false, ems: false }, { tls13: false }]),
        ["critical:java-client-abort"],
      ],
      ["one certificate everywhere", healthy, []],
    ],
    validation: [
      ["a member whose chain is not trusted", () => withMember(healthy(), 0, untrusted), ["critical:certificate-untrusted"]],
      ["every chain trusted", healthy, []],
    ],
    "handshake-failures": [
      [
        "a member refusing connections",
        () =>
          withMember(healthy(), 2, () => member({ label: M3, leaf: "A", down: { class: "refused", code: "ECONNREFUSED", message: "connect ECONNREFUSED" } })),
        ["warning:handshake-failure"],
      ],
      [
        "every connection through the VIP failing",
        () => ({
          ...healthy(),
          vip: {
            target: "vip:443",
            chains: {
              "session-id": chain([{ leaf: "A" }, { leaf: "A" }]).map(({ leaf: _leaf, ...c }) => ({
                ...c,
                error: { class: "timeout" as const, message: "no answer within 3000 ms" },
              })),
              ticket: [],
              "tls13-psk": [],
            },
          },
        }),
        ["critical:handshake-failure"],
      ],
      [
        "every member closes direct connections before the ServerHello while the VIP works (PROXY protocol members)",
        () => ({
          ...probeOf({
            members: labels.map((label) => member({ label, leaf: "A", down: { class: "reset", message: "socket disconnected before secure TLS connection" } })),
            certificates: [A],
          }),
          vip: { target: "vip:443", chains: { "session-id": chain([{ leaf: "A" }, { leaf: "A" }]), ticket: [], "tls13-psk": [] } },
        }),
        ["warning:direct-access"],
      ],
      [
        // 238 such on a registry run past ulimit -n read as 6 false failures of a healthy endpoint.
        "the probe's own machine out of file descriptors (EMFILE) for one member: no handshake failure, the probe's resources named",
        () =>
          withMember(healthy(), 2, () =>
            member({
              label: M3,
              leaf: "A",
              down: { class: "local-resource", code: "EMFILE", message: "connect EMFILE 127.0.0.1:443 - Local (undefined:undefined)" },
            }),
          ),
        ["warning:probe-resources"],
      ],
      ["every handshake completes", healthy, []],
    ],
    divergence: [
      ["three members, three certificates", () => distinct(), ["warning:certificate-divergence"]],
      ["one certificate", healthy, []],
    ],
    alternates: [
      [
        "RSA to TLS 1.2 offers, ECDSA to TLS 1.3 offers, on every member",
        () => probeOf({ members: same({ best: "B" }), certificates: [A, B] }),
        ["info:certificate-alternates"],
      ],
      ["one certificate for every offer", healthy, []],
    ],
    "resumption-failure": [
      [
        "a cross-member offer answered with a fatal alert",
        () => ({
          ...healthy(),
          matrix: matrix(labels, [[M1, M2, "failed"]]).map((c) =>
            c.outcome === "failed" ? { ...c, error: { class: "tls-alert" as const, code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", message: "alert" } } : c,
          ),
        }),
        ["critical:resumption-failure"],
      ],
      ["offers refused cleanly", healthy, []],
    ],
    "certificate-change": [
      [
        "a refused resumption through the VIP presents another identity",
        () => ({ ...distinct(), vip: { target: "vip:443", chains: { "session-id": chain([{ leaf: "A" }, { leaf: "B" }]), ticket: [], "tls13-psk": [] } } }),
        ["warning:certificate-change-on-resumption"],
      ],
      [
        "every offer resumed",
        () => ({
          ...healthy(),
          vip: { target: "vip:443", chains: { "session-id": chain([{ leaf: "A" }, { leaf: "A", resumed: true }]), ticket: [], "tls13-psk": [] } },
        }),
        [],
      ],
    ],
    ems: [
      ["one member without EMS", () => withMember(healthy(), 1, () => member({ label: M2, leaf: "A", ems: false })), ["warning:ems-missing"]],
      ["EMS everywhere", healthy, []],
    ],
    renegotiation: [
      [
        "a renegotiation that changes the certificate",
        () => withMember(healthy(), 0, (m) => ({ ...m, renegotiation: { outcome: "certificate-changed", leafBefore: "A", leafAfter: "B" } })),
        ["warning:renegotiation", "info:renegotiation"],
      ],
      ["client renegotiation refused everywhere: said, as info", healthy, ["info:renegotiation"]],
    ],
    expiry: [
      ["a leaf with 10 days left", () => probeOf({ members: same(), certificates: [{ ...A, daysToExpiry: 10 }] }), ["warning:expiry-soon"]],
      [
        "10 days left under a 5-day threshold (the deployment's expiryAlarmDays)",
        () => probeOf({ members: same(), certificates: [{ ...A, daysToExpiry: 10 }] }),
        [],
        { expiryWarningDays: 5 },
      ],
      ["60 days left", healthy, []],
    ],
    unparseable: [
      [
        "a leaf whose notAfter does not parse",
        () => probeOf({ members: same(), certificates: [{ ...A, problems: ["notAfter: month 13"] }] }),
        ["warning:certificate-unparseable"],
      ],
      ["every field parses", healthy, []],
    ],
    tls13: [
      ["one member without TLS 1.3", () => withMember(healthy(), 2, () => member({ label: M3, leaf: "A", tls13: false })), ["warning:tls13-unsupported"]],
      ["TLS 1.3 everywhere", healthy, []],
    ],
    "refused-resumption": [
      [
        "offers refused, the same certificate presented",
        () => ({ ...healthy(), vip: { target: "vip:443", chains: { "session-id": chain([{ leaf: "A" }, { leaf: "A" }]), ticket: [], "tls13-psk": [] } } }),
        ["info:resumption-refused"],
      ],
      [
        "offers resumed",
        () => ({
          ...healthy(),
          vip: { target: "vip:443", chains: { "session-id": chain([{ leaf: "A" }, { leaf: "A", resumed: true }]), ticket: [], "tls13-psk": [] } },
        }),
        [],
      ],
    ],
    "shared-resumption": [
      [
        "members resume each other's sessions",
        () => ({
          ...healthy(),
          matrix: matrix(labels, [
            [M1, M2],
            [M2, M1],
          ]),
        }),
        ["info:resumption-shared"],
      ],
      ["each member resumes only its own", healthy, []],
    ],
    discovery: [
      ["nothing probed member by member", () => probeOf({ members: [], certificates: [A] }), ["info:discovery"]],
      ["members listed", healthy, []],
    ],
    "session-size": [
      [
        "a member whose ticket sessions are over Node's 10 KiB (its chain is big): not measured, said so",
        () => withMember(healthy(), 1, (m) => ({ ...m, tls12Ticket: { ...m.tls12Ticket, sessionIssued: false, sessionTooLarge: 23_512 } })),
        ["warning:session-too-large"],
      ],
      ["sessions of every size Node keeps", healthy, []],
    ],
    flood: [
      [
        "a member flooding KeyUpdates after the handshake, cut: said, with the member",
        () => withMember(healthy(), 1, (m) => ({ ...m, handshake: { ...m.handshake, protocol: "TLSv1.3", excessKeyChanges: 1_215 } })),
        ["warning:server-flood"],
      ],
      [
        "a flood of tickets through the VIP",
        () => {
          const p = healthy();
          const [first, ...rest] = p.vip.chains["tls13-psk"];
          return { ...p, vip: { ...p.vip, chains: { ...p.vip.chains, "tls13-psk": [{ ...first!, excessSessions: 17 }, ...rest] } } };
        },
        ["warning:server-flood"],
      ],
      ["servers that stop after the handshake", healthy, []],
    ],
    "client-auth": [
      [
        "every member requires a client certificate and none is configured",
        () => probeOf({ members: labels.map((label) => member({ label, leaf: "A", requiresClientCertificate: true })), certificates: [A] }),
        ["warning:client-certificate"],
      ],
      [
        "the configured certificate refused by one member, accepted by the others",
        () => {
          const probe = withMember(healthy(), 1, () => {
            const m = member({ label: M2, leaf: "A", requiresClientCertificate: true });
            return { ...m, tls12: { ...m.tls12, clientCertificate: true }, handshake: { ...m.handshake, clientCertificate: true } };
          });
          return { ...probe, clientCertificate: { source: "files" as const, subject: "CN=monitor" } };
        },
        ["critical:client-certificate"],
      ],
      [
        "the certificate's secret could not be read",
        () => ({
          ...healthy(),
          clientCertificate: {
            source: "secret" as const,
            secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:monitor",
            error: { class: "aws" as const, code: "AccessDeniedException", message: "denied" },
          },
        }),
        ["warning:client-certificate"],
      ],
      ["no member asks for one", healthy, []],
    ],
    sni: [
      [
        "without SNI two members answer with a fallback certificate, one with the service's",
        () => {
          const probe = probeOf({ members: same(), certificates: [A, B] });
          return { ...probe, members: probe.members.map((m, i) => ({ ...m, noSni: { ...m.tls12, leaf: i < 2 ? "B" : "A", chain: [i < 2 ? "B" : "A"] } })) };
        },
        ["warning:sni-certificate"],
      ],
      [
        "without SNI every member answers with the same other certificate",
        () => {
          const probe = probeOf({ members: same(), certificates: [A, B] });
          return { ...probe, members: probe.members.map((m) => ({ ...m, noSni: { ...m.tls12, leaf: "B", chain: ["B"] } })) };
        },
        ["info:sni-certificate"],
      ],
      ["the same certificate with and without SNI", () => ({ ...healthy(), members: healthy().members.map((m) => ({ ...m, noSni: { ...m.tls12 } })) }), []],
    ],
    chain: [
      [
        "one member sends the leaf without its intermediate",
        () => {
          const inter = certificate({ fingerprint: "I", subject: "CN=Intermediate", issuer: "CN=Root" });
          const root = certificate({ fingerprint: "R", subject: "CN=Root", issuer: "CN=Root" });
          const probe = probeOf({ members: same(), certificates: [A, inter, root] });
          return {
            ...probe,
            members: probe.members.map((m, i) => ({
              ...m,
              tls12: { ...m.tls12, chain: ["A", "I", "R"] },
              sentChain: i === 2 ? ["A"] : ["A", "I"],
            })),
          };
        },
        ["warning:certificate-chain"],
      ],
      ["every member sends the same chain", () => ({ ...healthy(), members: healthy().members.map((m) => ({ ...m, sentChain: ["A"] })) }), []],
    ],
    protocols: [
      [
        "one member speaks only TLS 1.0",
        () =>
          withMember(healthy(), 2, (m) => ({
            ...m,
            protocols: { SSLv3: false, TLSv1: true, "TLSv1.1": false, "TLSv1.2": false, "TLSv1.3": false },
          })),
        ["critical:protocol-support"],
      ],
      [
        "one member also accepts TLS 1.0 and 1.1 beside 1.2 and 1.3",
        () => withMember(healthy(), 0, (m) => ({ ...m, protocols: { SSLv3: false, TLSv1: true, "TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true } })),
        ["warning:legacy-protocols"],
      ],
      [
        "one member's TLS 1.2 suites are only ChaCha20",
        () =>
          withMember(healthy(), 1, (m) => ({
            ...m,
            protocols: { SSLv3: false, TLSv1: false, "TLSv1.1": false, "TLSv1.2": true, "TLSv1.3": true },
            tls12Suites: { "ecdhe-aesgcm": false, chacha20: true, "ecdhe-cbc": false, "rsa-kx": false },
          })),
        ["critical:protocol-support"],
      ],
      ["TLS 1.2 and 1.3 everywhere", healthy, []],
    ],
  };

  const factsOf = (probe: EndpointProbe) => {
    const variants = certificateVariants(probe);
    return { variants, differences: variantDifferences(probe, variants), javaClients: javaVerdicts(probe), javaClientsWithoutSni: [] };
  };

  it("every registered rule has cases here", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(RULES).sort());
  });

  for (const [rule, cases] of Object.entries(CASES) as Array<[RuleName, (typeof CASES)[RuleName]]>) {
    it.each(cases)(`${rule}: %s`, (_name, build, expected, settings) => {
      const probe = build();
      const found = RULES[rule](probe, factsOf(probe), settings ?? DEFAULT_RULE_SETTINGS);
      expect(found.map((f) => `${f.severity}:${f.kind}`)).toEqual(expected);
    });
  }
});

describe("the probe's own resources are never the server's failure", () => {
  it("EMFILE, ENFILE, ENOBUFS, ENOMEM classify as local-resource; an endpoint with such records counts no handshake failure", async () => {
    const { classifyError } = await import("../../lambda/probe/errors.js");
    for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"])
      expect(classifyError(Object.assign(new Error(`connect ${code}`), { code })).class, code).toBe("local-resource");
    const A = certificate({ fingerprint: "A" });
    const probe = probeOf({
      members: [
        member({ label: "10.0.0.1:443", leaf: "A" }),
        member({ label: "10.0.0.2:443", leaf: "A", down: { class: "local-resource", code: "EMFILE", message: "connect EMFILE" } }),
      ],
      certificates: [A],
    });
    const analysis = analyzeEndpoint(probe);
    expect(analysis.summary.handshakeFailures).toBe(0);
    expect(analysis.findings.map((f) => f.kind)).not.toContain("handshake-failure");
    expect(analysis.findings.find((f) => f.kind === "probe-resources")!.message).toMatch(/could not be opened on the probe's own machine \(EMFILE\)/);
  });
});

describe("sessions too large to keep make resumption unknown, never fine", () => {
  it("the member is unmeasurable: every Java verdict unknown, naming the size", () => {
    const A = certificate({ fingerprint: "A" });
    const labels = ["10.0.0.1:443", "10.0.0.2:443"];
    const members = labels.map((label) => member({ label, leaf: "A" }));
    members[1] = { ...members[1]!, tls12Ticket: { ...members[1]!.tls12Ticket, sessionIssued: false, sessionTooLarge: 23_512 } };
    const analysis = analyzeEndpoint(probeOf({ members, certificates: [A] }));
    const finding = analysis.findings.find((f) => f.kind === "session-too-large")!;
    expect(finding.message).toMatch(/^10\.0\.0\.2:443 issued sessions of up to 23512 bytes, more than the 10240 Node keeps/);
    for (const j of analysis.javaClients) {
      expect(j.verdict, j.profile).toBe("unknown");
      expect(j.reason).toContain("issues sessions of 23512 bytes");
    }
  });
});
