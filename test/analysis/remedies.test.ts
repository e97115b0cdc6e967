/**
 * Remedies computed for the pool (what-if on the pool model), on small records: each pool shows which change
 * makes which profile safe, and what is already in place is said, never advised.
 */
import { describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import type { Remedy } from "../../lambda/analysis/remedies.js";
import { certificate, matrix, member, probeOf } from "../helpers/records.js";

const [M1, M2, M3] = ["10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443"];
// Three identities with no SAN in common: every JDK rule sees them as different servers.
const leaves = ["A", "B", "C"].map((f) => certificate({ fingerprint: f, subject: `CN=${f.toLowerCase()}.pool.test`, dns: [`${f.toLowerCase()}.pool.test`] }));
const byAction = (remedies: Remedy[]) => Object.fromEntries(remedies.map((r) => [r.action, r]));
const actions = (remedies: Remedy[]) => remedies.map((r) => `${r.action}${r.inPlace ? " (in place)" : ""}`);

describe("remedies: a what-if per change", () => {
  it("TLS 1.3 everywhere, one member without EMS: EMS saves the EMS clients only, TLS 1.3 is in place, the unsafe switch is last", () => {
    const members = [member({ label: M1, leaf: "A" }), member({ label: M2, leaf: "B", ems: false }), member({ label: M3, leaf: "C" })];
    const a = analyzeEndpoint(probeOf({ members, certificates: leaves }));
    const r = byAction(a.remedies);
    expect(r["same-certificate"]).toMatchObject({ members: [M2, M3], inPlace: false });
    expect(r["same-certificate"]!.makesSafe.sort()).toEqual(
      a.javaClients
        .filter((v) => v.verdict !== "safe")
        .map((v) => v.profile)
        .sort(),
    );
    // EMS does not help clients with EMS off (JDK 8, 11+ with EMS off).
    expect(r["enable-ems"]).toMatchObject({ members: [M2], inPlace: false, makesSafe: ["jdk8u161+", "jdk11+-tls12"] });
    // Shared ticket keys do not protect clients without TLS 1.2 tickets (JDK 8).
    expect(r["share-session-state"]!.makesSafe).not.toContain("jdk8u25-8u51");
    expect(r["share-session-state"]!.makesSafe).not.toContain("jdk8u161+");
    expect(r["enable-tls13"]).toMatchObject({ inPlace: true, members: [], makesSafe: [] });
    expect(a.remedies.at(-1)!.action).toBe("allow-unsafe-cert-change");
    expect(actions(a.remedies).indexOf("enable-tls13 (in place)")).toBeGreaterThan(actions(a.remedies).indexOf("sticky-routing"));
  });

  it("TLS 1.2 only, EMS everywhere: TLS 1.3 saves only clients that use it (not JDK 8, not those pinned to TLS 1.2); EMS is in place", () => {
    const members = [M1, M2, M3].map((label, i) => member({ label, leaf: "ABC"[i]!, tls13: false }));
    const a = analyzeEndpoint(probeOf({ members, certificates: leaves }));
    const r = byAction(a.remedies);
    expect(
      a.javaClients
        .filter((v) => v.verdict !== "safe")
        .map((v) => v.profile)
        .sort(),
    ).toEqual(["jdk11+-no-ems", "jdk8u25-8u51", "jdk8u60-8u152"]);
    expect(r["enable-tls13"]).toMatchObject({ members: [M1, M2, M3], makesSafe: ["jdk11+-no-ems"] });
    expect(r["enable-ems"]).toMatchObject({ inPlace: true, makesSafe: [] });
    expect(r["shared-san"]!.makesSafe.sort()).toEqual(["jdk11+-no-ems", "jdk8u25-8u51", "jdk8u60-8u152"]);
  });

  it("a healthy pool: every change in place, no mitigation or unsafe switch offered", () => {
    const members = [M1, M2, M3].map((label) => member({ label, leaf: "A" }));
    const a = analyzeEndpoint(
      probeOf({
        members,
        certificates: leaves,
        matrix: matrix(
          [M1, M2, M3],
          [
            [M1, M2],
            [M1, M3],
            [M2, M1],
            [M2, M3],
            [M3, M1],
            [M3, M2],
          ],
        ),
      }),
    );
    expect(actions(a.remedies)).toEqual([
      "same-certificate (in place)",
      "shared-san (in place)",
      "share-session-state (in place)",
      "enable-ems (in place)",
      "enable-tls13 (in place)",
    ]);
    expect(a.remedies.every((r) => r.makesSafe.length === 0)).toBe(true);
  });

  it("sticky routing and the unsafe switch are offered only when a profile is at risk, with their caveats", () => {
    const members = [member({ label: M1, leaf: "A", tls13: false, ems: false }), member({ label: M2, leaf: "B", tls13: false, ems: false })];
    const a = analyzeEndpoint(probeOf({ members, certificates: leaves }));
    const r = byAction(a.remedies);
    expect(r["sticky-routing"]!.detail).toMatch(/mitigation.*breaks on failover and scale-in/);
    expect(r["sticky-routing"]!.makesSafe.length).toBe(a.javaClients.filter((v) => v.verdict !== "safe").length);
    expect(r["allow-unsafe-cert-change"]!.detail).toMatch(/triple handshake/);
    expect(r["enable-ems"]!.snippets.nginx).toBe("ssl_conf_command Options ExtendedMasterSecret;  # nginx ≥ 1.19.4 on OpenSSL ≥ 1.1.1");
  });

  it("no member probed: no remedy is guessed", () => {
    expect(analyzeEndpoint(probeOf({ members: [], certificates: leaves })).remedies).toEqual([]);
  });
});
