import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRegistryFile } from "../../lambda/registry/load.js";
import { parseMemberAddress, parseRegistry } from "../../lambda/registry/schema.js";
import { TestPki } from "../helpers/pool.js";

describe("member addresses", () => {
  it.each([
    ["10.0.0.1", { address: "10.0.0.1", port: 443, label: "10.0.0.1:443" }],
    ["10.0.0.1:8443", { address: "10.0.0.1", port: 8443, label: "10.0.0.1:8443" }],
    ["[::1]:8443", { address: "::1", port: 8443, label: "[::1]:8443" }],
    ["[fd00::5]", { address: "fd00::5", port: 443, label: "[fd00::5]:443" }],
    ["fd00::5", { address: "fd00::5", port: 443, label: "[fd00::5]:443" }],
  ])("%s", (text, expected) => {
    expect(parseMemberAddress(text, 443)).toEqual(expected);
  });

  it.each([
    ["db.example", /not an IP address/],
    ["10.0.0.1:0", /invalid port/],
    ["10.0.0.1:70000", /invalid port/],
    ["10.0.0.1:https", /invalid port/],
    ["[10.0.0.1]:443", /not an IPv6 address/],
    ["300.1.1.1", /not an IP address/],
  ])("rejects %s", (text, message) => {
    expect(() => parseMemberAddress(text, 443)).toThrow(message);
  });
});

describe("registry", () => {
  it("applies the defaults", () => {
    const { endpoints, errors } = parseRegistry(JSON.stringify({ endpoints: [{ name: "api", host: "api.example" }] }), "r.json");
    expect(errors).toEqual([]);
    expect(endpoints).toEqual([
      { name: "api", host: "api.example", port: 443, servername: "api.example", members: [], discover: "dns", attempts: 8, timeoutMs: 5000 },
    ]);
  });

  it("keeps the valid entries and names the endpoint and field of each bad one", () => {
    const text = JSON.stringify({
      endpoints: [
        { name: "good", host: "good.example", members: ["10.0.0.1", "[::1]:8443"] },
        { name: "no-host" },
        { name: "bad-port", host: "a.example", port: 70000 },
        { name: "bad-member", host: "a.example", members: ["10.0.0.1", "nope"] },
        { name: "negative", host: "a.example", attempts: -1 },
        { name: "extra", host: "a.example", color: "red" },
        { name: "good", host: "dup.example" },
        { name: "bad-ca", host: "a.example", ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" },
      ],
    });
    const { endpoints, errors } = parseRegistry(text, "r.json");
    expect(endpoints.map((e) => e.name)).toEqual(["good"]);
    expect(endpoints[0]!.members.map((m) => m.label)).toEqual(["10.0.0.1:443", "[::1]:8443"]);
    expect(errors.map((e) => e.message)).toEqual([
      'r.json: endpoint endpoints[1] ("no-host"): host: is required',
      'r.json: endpoint endpoints[2] ("bad-port"): port: must be 1-65535',
      'r.json: endpoint endpoints[3] ("bad-member"): members[1]: "nope" is not an IP address (expected ip[:port], IPv6 as [addr]:port)',
      'r.json: endpoint endpoints[4] ("negative"): attempts: must be at least 1',
      'r.json: endpoint endpoints[5] ("extra"): unknown field(s) "color"',
      'r.json: endpoint endpoints[6] ("good"): name: duplicate of endpoints[0]',
      expect.stringMatching(/^r\.json: endpoint endpoints\[7\] \("bad-ca"\): ca: certificate 1 of the bundle does not parse/),
    ]);
  });

  it.each([
    ["", "r.json: file is empty"],
    ["{", /r\.json: not valid JSON/],
    ["[]", 'r.json: must be an object { "endpoints": [ ... ] }'],
    ["{}", "r.json: endpoints: is required and must be an array"],
    ['{"endpoints": []}', "r.json: endpoints: is empty"],
  ])("rejects the whole file %j", (text, message) => {
    const { endpoints, errors } = parseRegistry(text, "r.json");
    expect(endpoints).toEqual([]);
    expect(errors[0]!.message).toMatch(message);
  });
});

describe("registry files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tpm-registry-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads `ca` relative to the registry file and reports a missing one by endpoint", async () => {
    const pki = await TestPki.create();
    writeFileSync(join(dir, "root.pem"), pki.caPem);
    writeFileSync(
      join(dir, "registry.json"),
      JSON.stringify({
        endpoints: [
          { name: "private", host: "db.internal", ca: "root.pem" },
          { name: "missing", host: "db.internal", ca: "nope.pem" },
        ],
      }),
    );
    const { endpoints, errors } = loadRegistryFile(join(dir, "registry.json"));
    expect(endpoints.map((e) => e.name)).toEqual(["private"]);
    expect(endpoints[0]!.ca).toBe(pki.caPem);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('endpoints[1] ("missing"): ca: cannot read CA file');
    expect(errors[0]!.message).toContain("ENOENT");
  });
});

describe("member addresses: one spelling per address", () => {
  it.each([
    ["[::1]:3203", "[::1]:3203"],
    ["[0::1]:3203", "[::1]:3203"],
    ["[0:0:0:0:0:0:0:1]:3203", "[::1]:3203"],
    ["[2001:DB8:0:0:0:0:0:10]", "[2001:db8::10]:443"],
    ["[::ffff:127.0.0.1]:3203", "127.0.0.1:3203"],
    ["[::ffff:7f00:1]", "127.0.0.1:443"],
  ])("%s is %s", (written, label) => {
    expect(parseMemberAddress(written, 443).label).toBe(label);
  });

  it("the same member written twice in two spellings is a duplicate, named (it was four members and a false resumption-shared)", () => {
    const load = parseRegistry(
      JSON.stringify({
        endpoints: [{ name: "v6", host: "::1", port: 3203, members: ["[::1]:3203", "[0::1]:3203", "[0:0:0:0:0:0:0:1]:3203", "[::ffff:127.0.0.1]:3203"] }],
      }),
      "r.json",
    );
    expect(load.endpoints).toEqual([]);
    expect(load.errors.map((e) => e.message)).toEqual(['r.json: endpoint endpoints[0] ("v6"): members[1]: duplicate member [::1]:3203']);
  });

  it("::1:3203 is ambiguous (an address, or ::1 on port 3203): refused with both spellings", () => {
    expect(() => parseMemberAddress("::1:3203", 443)).toThrow('"::1:3203" is ambiguous: write [::1]:3203 for a port, or [::1:3203] for the address');
    expect(parseMemberAddress("[::1:3203]", 443).label).toBe("[::1:3203]:443");
    // Not ambiguous: what precedes the last group is no address.
    expect(parseMemberAddress("2001:db8::10", 443).label).toBe("[2001:db8::10]:443");
  });
});

describe("CA bundles are bounded in certificates", () => {
  it("a bundle of more than 500 certificates is that endpoint's error, naming the count; 500 are accepted; the other entries load", async () => {
    const pki = await TestPki.create();
    const at = (n: number) => Array.from({ length: n }, () => pki.caPem.trim()).join("\n");
    const load = parseRegistry(
      JSON.stringify({
        endpoints: [
          { name: "huge", host: "a.example.com", ca: at(501) },
          { name: "fine", host: "b.example.com", ca: at(500) },
        ],
      }),
      "r.json",
    );
    expect(load.endpoints.map((e) => e.name)).toEqual(["fine"]);
    expect(load.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^r\.json: endpoint endpoints\[0\] \("huge"\): ca: holds 501 certificates, more than the 500 a trust-anchor bundle may hold/),
    ]);
  });
});
