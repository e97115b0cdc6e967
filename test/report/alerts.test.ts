/** The SNS messages, built directly from records: which member differs, how, the computed remedies; SNS's limits. */
import { describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { alertFor, javaRiskAlert, MAX_MESSAGE_BYTES, MAX_SUBJECT, truncateMessage, withOrigin } from "../../lambda/report/alerts.js";
import { certificate, member, probeOf } from "../helpers/records.js";

const [M1, M2] = ["10.0.0.1:443", "10.0.0.2:443"];
const leaves = [
  certificate({ fingerprint: "A", subject: "CN=a.pool.test", dns: ["a.pool.test"] }),
  certificate({ fingerprint: "B", subject: "CN=b.pool.test", dns: ["b.pool.test"] }),
];

describe("alerts", () => {
  it("a divergent pool: one alert naming each member's certificate and the computed remedies; nothing while unchanged", () => {
    const probe = probeOf({ members: [member({ label: M1, leaf: "A" }), member({ label: M2, leaf: "B", ems: false, tls13: false })], certificates: leaves });
    const analysis = analyzeEndpoint(probe);
    expect(analysis).toHaveFinding("warning", "certificate-divergence");
    const alert = alertFor(probe, analysis, "consistent")!;
    expect(alert).toMatchObject({ endpoint: "unit", kind: "divergence", attributes: { endpoint: "unit", kind: "divergence" } });
    expect(alert.subject.length).toBeLessThanOrEqual(MAX_SUBJECT);
    expect(alert.message).toContain("(was consistent)");
    // What to do first: the best remedy computed for this pool, then what was seen; the command that reproduces
    // it on the third line, with the members the function probed.
    expect(alert.message.split("\n")[0]).toBe(
      `Action: ${analysis.remedies.find((r) => !r.inPlace)!.action} on ${analysis.remedies.find((r) => !r.inPlace)!.members.join(", ")} (remedy 1 below; each change's effect was computed on this pool).`,
    );
    expect(alert.message.split("\n")[2]).toBe(
      "Reproduce: tls-pool-monitor probe vip:443 --servername pool.test --attempts 4 --no-dns --member 10.0.0.1:443 --member 10.0.0.2:443 (add --ca FILE when the registry names one)",
    );
    expect(alert.message).toMatch(/\[A\] CN=a\.pool\.test .*\n {6}members: 10\.0\.0\.1:443;/);
    expect(alert.message).toMatch(/\[B\] CN=b\.pool\.test .*\n {6}members: 10\.0\.0\.2:443;/);
    expect(alert.message).toMatch(/ {2}1\. same-certificate on 10\.0\.0\.2:443 \(makes safe: /);
    expect(alert.message).toContain("enable-ems on 10.0.0.2:443");
    expect(alertFor(probe, analysis, "divergent")).toBeUndefined();
  });

  it("a recovery after divergence, and never an alert for a pool that was never divergent", () => {
    const probe = probeOf({ members: [member({ label: M1, leaf: "A" }), member({ label: M2, leaf: "A" })], certificates: leaves });
    const analysis = analyzeEndpoint(probe);
    expect(alertFor(probe, analysis, "divergent")).toMatchObject({ kind: "recovery" });
    expect(alertFor(probe, analysis, "consistent")).toBeUndefined();
  });

  it("a message over SNS's size is cut on a character boundary, and says so", () => {
    const cut = truncateMessage("é".repeat(MAX_MESSAGE_BYTES));
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(cut).not.toContain("\uFFFD");
    // Honest: the log line has counts only; the message's Reproduce command prints the whole report.
    expect(cut).toMatch(/\[truncated to SNS's size limit: the Reproduce command at the top prints the full report\]$/);
  });
});

describe("withOrigin", () => {
  it("puts the deployment and the detection time after the action line, and says the command line when there is none", () => {
    const alert = { message: "Action: do it.\nEndpoint x: seen." };
    expect(withOrigin(alert, { account: "123456789012", region: "eu-west-1", functionName: "probe" }, "2026-12-04T10:00:00.000Z").message).toBe(
      "Action: do it.\nWhere: account 123456789012, region eu-west-1, function probe; detected 2026-12-04T10:00:00.000Z.\nEndpoint x: seen.",
    );
    expect(withOrigin({ message: "Action: none." }, {}, "T").message).toBe("Action: none.\nWhere: the command line; detected T.");
  });
});

describe("javaRiskAlert", () => {
  it("the run's divergence message under its own kind and headline", () => {
    const probe = probeOf({ members: [member({ label: M1, leaf: "A" }), member({ label: M2, leaf: "B", ems: false, tls13: false })], certificates: leaves });
    const analysis = analyzeEndpoint(probe);
    const divergence = alertFor(probe, analysis, undefined)!;
    const risk = javaRiskAlert(divergence);
    expect(risk).toMatchObject({ kind: "java-risk", attributes: { kind: "java-risk", endpoint: "unit" } });
    expect(risk.message).toContain("different certificates (divergent before; Java clients are now at risk).");
    expect(risk.message).not.toContain("not reported before");
  });
});
