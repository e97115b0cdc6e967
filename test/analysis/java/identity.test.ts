/**
 * The identity rule, pinned to OpenJDK's source (ClientHandshaker.isIdentityEquivalent, JDK-8072385). The 8u60+ variant is
 * also checked against a real JDK (jdk-agreement.test.ts); 8u25–8u51 cannot be run here, so these cases are its proof.
 */
import { describe, expect, it } from "vitest";
import { identityEquivalentAnySan, identityEquivalentFirstSan, type IdentityFacts } from "../../../lambda/analysis/java/identity.js";

let n = 0;
const cert = (over: Partial<IdentityFacts>): IdentityFacts => ({
  fingerprint256: `FP${n++}`,
  subject: "CN=a.example",
  issuer: "CN=CA",
  sanDns: [],
  sanIp: [],
  ...over,
});

describe("JDK 8u60+ / 11+ (any SAN, case-insensitive, fall-through)", () => {
  it.each([
    [
      "the same certificate",
      (() => {
        const c = cert({ subject: "" });
        return [c, c];
      })(),
      true,
    ],
    [
      "a DNS SAN in common, anywhere in the list",
      [cert({ subject: "CN=x", sanDns: ["x", "shared"] }), cert({ subject: "CN=y", sanDns: ["shared", "y"] })],
      true,
    ],
    ["DNS SANs that differ only in case", [cert({ subject: "CN=x", sanDns: ["DB.Example"] }), cert({ subject: "CN=y", sanDns: ["db.example"] })], true],
    [
      "a wildcard against an exact name (literal compare)",
      [cert({ subject: "CN=x", sanDns: ["*.example"] }), cert({ subject: "CN=y", sanDns: ["db.example"] })],
      false,
    ],
    ["an IP SAN in common", [cert({ subject: "CN=x", sanIp: ["10.0.0.1", "10.0.0.9"] }), cert({ subject: "CN=y", sanIp: ["10.0.0.9"] })], true],
    ["disjoint SANs but the same subject and issuer (fall-through)", [cert({ sanDns: ["a"] }), cert({ sanDns: ["b"] })], true],
    ["the same subject, another issuer", [cert({ sanDns: ["a"] }), cert({ sanDns: ["b"], issuer: "CN=Other CA" })], false],
    ["empty subjects never match by name", [cert({ subject: "", sanDns: ["a"] }), cert({ subject: "", sanDns: ["b"] })], false],
    [
      "subjects equal but for case and spacing (X500Principal canonical form)",
      [cert({ subject: "CN=DB.example,  O=Ops" }), cert({ subject: "cn=db.example, o=ops" })],
      true,
    ],
    ["one has DNS SANs, the other none: subject decides", [cert({ subject: "CN=x", sanDns: ["a"] }), cert({ subject: "CN=y" })], false],
  ])("%s", (_name, [a, b], expected) => {
    expect(identityEquivalentAnySan(a as IdentityFacts, b as IdentityFacts)).toBe(expected);
    expect(identityEquivalentAnySan(b as IdentityFacts, a as IdentityFacts)).toBe(expected);
  });
});

describe("JDK 8u25–8u51 (first SAN only, case-sensitive, early return)", () => {
  it.each([
    ["the same first DNS SAN", [cert({ subject: "CN=x", sanDns: ["shared", "x"] }), cert({ subject: "CN=y", sanDns: ["shared", "y"] })], true],
    ["the same SANs in another order (the field report that broke clients)", [cert({ sanDns: ["a", "b"] }), cert({ sanDns: ["b", "a"] })], false],
    ["first DNS SANs that differ only in case", [cert({ sanDns: ["DB.example"] }), cert({ sanDns: ["db.example"] })], false],
    ["a false SAN comparison returns at once, the equal subjects are never looked at", [cert({ sanDns: ["a"] }), cert({ sanDns: ["b"] })], false],
    ["IP SANs are compared first and decide alone", [cert({ sanIp: ["10.0.0.1"], sanDns: ["same"] }), cert({ sanIp: ["10.0.0.2"], sanDns: ["same"] })], false],
    ["equal first IP SANs", [cert({ subject: "CN=x", sanIp: ["10.0.0.1", "10.0.0.2"] }), cert({ subject: "CN=y", sanIp: ["10.0.0.1"] })], true],
    ["no SAN type in common: subject and issuer decide", [cert({ sanIp: ["10.0.0.1"] }), cert({ sanDns: ["b"] })], true],
  ])("%s", (_name, [a, b], expected) => {
    expect(identityEquivalentFirstSan(a as IdentityFacts, b as IdentityFacts)).toBe(expected);
  });

  it("differs from 8u60+ exactly where the source says", () => {
    const a = cert({ sanDns: ["a", "b"] });
    const b = cert({ sanDns: ["b", "a"] });
    expect(identityEquivalentAnySan(a, b)).toBe(true);
    expect(identityEquivalentFirstSan(a, b)).toBe(false);
  });
});
