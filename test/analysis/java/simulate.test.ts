/** The session-cache replay for behaviours the installed JDK cannot show (pre-8u65 stickiness, first-SAN rule). */
import { describe, expect, it } from "vitest";
import { modelOf, type ModelMember } from "../../../lambda/analysis/java/pool-model.js";
import { JAVA_PROFILES } from "../../../lambda/analysis/java/profiles.js";
import { simulate } from "../../../lambda/analysis/java/simulate.js";
import type { CertificateInfo } from "../../../lambda/probe/types.js";

const leaf = (fp: string, sanDns: string[]): CertificateInfo => ({
  fingerprint256: fp,
  subject: `CN=${fp}`,
  issuer: "CN=CA",
  sanDns,
  sanIp: [],
  serialNumber: "01",
  validFrom: "",
  validTo: "",
  daysToExpiry: 90,
  keyType: "EC",
  pem: "",
});
const member = (label: string, sanDns: string[], ems = true, tls13 = false, resumesWithoutEms = true): ModelMember => ({
  label,
  leaf: leaf(label, sanDns),
  ems,
  resumesWithoutEms,
  tls13,
});
const profile = (id: string) => JAVA_PROFILES.find((p) => p.id === id)!;
const outcomes = (r: Array<{ outcome: string }>) => r.map((x) => x.outcome);

// A and B share the service name, but in another order: equivalent for 8u60+, not for 8u25–8u51.
const A = member("A", ["svc", "a"]);
const B = member("B", ["b", "svc"]);
const own = modelOf(
  [A, B],
  [
    ["session-id", "A", "A"],
    ["session-id", "B", "B"],
  ],
);

describe("Java session-cache replay", () => {
  it("a session is only checked after it has been resumed once", () => {
    expect(outcomes(simulate(profile("jdk8u25-8u51"), own, ["A", "B", "A", "A", "B"]))).toEqual(["full", "full", "full", "resumed", "aborted"]);
  });

  it("8u25–8u51 keep a refused session: every later switch aborts, until routed back", () => {
    expect(outcomes(simulate(profile("jdk8u25-8u51"), own, ["A", "A", "B", "B", "A", "B"]))).toEqual([
      "full",
      "resumed",
      "aborted",
      "aborted",
      "resumed",
      "aborted",
    ]);
  });

  it("8u60+ find A and B equivalent through the shared SAN", () => {
    expect(outcomes(simulate(profile("jdk8u60-8u152"), own, ["A", "A", "B", "B"]))).toEqual(["full", "resumed", "full", "resumed"]);
  });

  it("8u65+ drop the refused session: one abort per resume-then-switch", () => {
    const distinct = modelOf(
      [member("A", ["a"]), member("B", ["b"])],
      [
        ["session-id", "A", "A"],
        ["session-id", "B", "B"],
      ],
    );
    expect(outcomes(simulate(profile("jdk8u60-8u152"), distinct, ["A", "A", "B", "B", "B"]))).toEqual(["full", "resumed", "aborted", "full", "resumed"]);
  });

  it("8u161+: EMS on the refusing member switches the check off; a non-EMS session is never offered", () => {
    const m = modelOf(
      [member("A", ["a"]), member("B", ["b"], false)],
      [
        ["session-id", "A", "A"],
        ["session-id", "B", "B"],
      ],
    );
    expect(outcomes(simulate(profile("jdk8u161+"), m, ["A", "A", "B"]))).toEqual(["full", "resumed", "aborted"]);
    expect(outcomes(simulate(profile("jdk8u161+"), m, ["B", "B", "A"]))).toEqual(["full", "full", "full"]);
  });

  it("JDK 11+ on TLS 1.3 members never aborts", () => {
    const m = modelOf(
      [member("A", ["a"], false, true), member("B", ["b"], false, true)],
      [
        ["ticket", "A", "A"],
        ["ticket", "B", "B"],
      ],
    );
    expect(outcomes(simulate(profile("jdk11+"), m, ["A", "A", "B", "B"]))).toEqual(["full", "resumed", "full", "resumed"]);
  });

  it("a fatal alert on an offered session fails the connection and keeps the session", () => {
    const m = modelOf(
      [member("A", ["a"]), member("B", ["b"], false)],
      [
        ["ticket", "A", "A"],
        ["ticket", "A", "B", "failed"],
      ],
    );
    expect(outcomes(simulate(profile("jdk11+"), m, ["A", "A", "B", "A"]))).toEqual(["full", "resumed", "failed", "resumed"]);
  });

  it("names a member it does not know", () => {
    expect(() => simulate(profile("jdk11+"), own, ["C"])).toThrow(/C, which is not a probed member/);
  });
});
