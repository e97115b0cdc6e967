/**
 * The remedies' snippets on real servers: a divergent pool of Debian's nginx or Apache behind HAProxy, probed; the
 * snippet of one remedy pasted verbatim into the members' configuration; probed again; the profiles the what-if
 * promised (makesSafe) are now safe, and the remedy is in place.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Remedy, RemedyAction } from "../../lambda/analysis/remedies.js";
import { SNIPPETS } from "../../lambda/analysis/snippets.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { startApache, startNginx, type ApacheMember, type NginxMember } from "../helpers/field-servers.js";
import { endpointFor, findingKinds, probeField, type FieldResult } from "../helpers/field.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { JavaClient } from "../helpers/java.js";
import { startHaproxy, type RunningProcess } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let identities: IssuedCertificate[];
beforeAll(async () => {
  pki = await TestPki.create();
  // Three identities with no name in common: every JDK rule sees different servers.
  identities = [];
  for (const n of [1, 2, 3]) identities.push(await pki.issue({ subject: `CN=member-${n}.${SERVICE}`, dns: [`member-${n}.${SERVICE}`] }));
});
afterEach(() => harness.closeAll());

async function probePool(members: RunningProcess[]): Promise<FieldResult> {
  const vip = harness.track(await startHaproxy(members));
  return probeField(endpointFor(vip, members, SERVICE, pki.caPem));
}

const remedyOf = (r: FieldResult, action: RemedyAction): Remedy => r.analysis.remedies.find((x) => x.action === action)!;

/** The snippet's configuration lines, without the comment our snippets carry for the reader. */
const lines = (snippet: string | undefined): string[] =>
  (snippet ?? "")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, ""))
    .filter(Boolean);

/** Before and after: the promised profiles are safe once the snippet is in, and the remedy reads as in place. */
function expectMadeSafe(before: FieldResult, after: FieldResult, action: RemedyAction, promised: string[]): void {
  const remedy = remedyOf(before, action);
  expect(remedy.inPlace).toBe(false);
  expect([...remedy.makesSafe].sort(), findingKinds(before).join()).toEqual([...promised].sort());
  for (const profile of remedy.makesSafe) {
    expect(before.verdict(profile), `${profile} before`).not.toBe("safe");
    expect(after.verdict(profile), `${profile} after ${action}`).toBe("safe");
  }
  expect(remedyOf(after, action).inPlace).toBe(true);
}

describe("remedy snippets applied to real servers", () => {
  it(
    "HAProxy `mode tcp`, distinct identities, EMS off: the sticky-routing snippet (balance source) takes a real JDK from aborting to 0 aborts",
    { timeout: 120_000 },
    async () => {
      // Stickiness is a property of the VIP, not of the members, so no re-probe can show it: a real JDK client does.
      const members = await Promise.all(identities.map(async (certificate) => harness.member({ certificate, ems: false, maxVersion: "TLSv1.2" })));
      const before = await probeField(endpointFor(harness.track(await startHaproxy(members)), members, SERVICE, pki.caPem));
      const sticky = remedyOf(before, "sticky-routing");
      expect(sticky.makesSafe).toContain("jdk8u60-8u152");
      const java = await JavaClient.compile();
      try {
        // Random routing, as a load balancer's is to one client: a session resumed on one member is then refused by another.
        const random = harness.track(await startHaproxy(members, undefined, { balance: ["balance random"] }));
        const aborted = (await java.replay("jdk8u60-8u152", random, SERVICE, pki.caPem, 60)).filter((c) => c.outcome === "aborted");
        expect(aborted.length).toBeGreaterThan(0);
        // The snippet's backend lines, verbatim (the backend and mode lines are already in the test's configuration).
        const balance = lines(SNIPPETS["sticky-routing"].haproxy)
          .filter((l) => !/^(backend|\s*mode)\b/.test(l))
          .map((l) => l.trim());
        expect(balance).toEqual(["balance source", "hash-type consistent"]);
        const pinned = harness.track(await startHaproxy(members, undefined, { balance }));
        const after = await java.replay("jdk8u60-8u152", pinned, SERVICE, pki.caPem, 60);
        expect(after.filter((c) => c.outcome === "aborted")).toEqual([]);
        expect(after.filter((c) => c.outcome === "resumed").length).toBeGreaterThan(50);
      } finally {
        java.close();
      }
    },
  );

  it("HAProxy terminating TLS on each member, TLS 1.2: the share-session-state snippet (tls-ticket-keys) makes the ticket clients safe", async () => {
    const plain = await harness.plainHttp();
    const keys = [0, 1, 2].map(() => randomBytes(48).toString("base64")).join("\n") + "\n";
    const member = (certificate: IssuedCertificate, snippet?: string) =>
      startHaproxy([plain], certificate, {
        // Our snippet names /etc/haproxy/ticket.keys; here the file sits in the instance's own folder.
        bind: `ssl-max-ver TLSv1.2${
          snippet
            ? ` ${lines(snippet)[0]!
                .replace(/^bind \S+ ssl crt \S+ /, "")
                .replace("/etc/haproxy/ticket.keys", "{dir}/ticket.keys")}`
            : ""
        }`,
        files: snippet ? { "ticket.keys": keys } : {},
      });
    const before = await probePool(await Promise.all(identities.map(async (c) => harness.track(await member(c)))));
    const after = await probePool(await Promise.all(identities.map(async (c) => harness.track(await member(c, SNIPPETS["share-session-state"].haproxy)))));
    expectMadeSafe(before, after, "share-session-state", ["jdk11+-no-ems"]);
  });

  it("nginx, TLS 1.2 only, one member without EMS: the enable-ems snippet makes the EMS clients safe", async () => {
    const specs: NginxMember[] = identities.map((certificate, i) => ({ certificates: [certificate], protocols: "TLSv1.2", noEms: i === 2 }));
    const before = await probePool(await Promise.all(specs.map(async (s) => harness.track(await startNginx(s)))));
    const withSnippet = specs.map((s, i) => (i === 2 ? { ...s, extra: lines(SNIPPETS["enable-ems"].nginx) } : s));
    const after = await probePool(await Promise.all(withSnippet.map(async (s) => harness.track(await startNginx(s)))));
    expectMadeSafe(before, after, "enable-ems", ["jdk8u161+", "jdk11+", "jdk11+-tls12"]);
  });

  it("nginx, TLS 1.2 only, one member without EMS: the enable-tls13 snippet makes the TLS 1.3 clients safe, not those pinned to TLS 1.2", async () => {
    const specs: NginxMember[] = identities.map((certificate, i) => ({ certificates: [certificate], protocols: "TLSv1.2", noEms: i === 0 }));
    const before = await probePool(await Promise.all(specs.map(async (s) => harness.track(await startNginx(s)))));
    const withSnippet = specs.map((s) => ({ ...s, extra: lines(SNIPPETS["enable-tls13"].nginx) }));
    const after = await probePool(await Promise.all(withSnippet.map(async (s) => harness.track(await startNginx(s)))));
    expectMadeSafe(before, after, "enable-tls13", ["jdk11+", "jdk11+-no-ems"]);
    expect(after.verdict("jdk11+-tls12")).not.toBe("safe");
  });

  it("Apache, one member without EMS: the enable-ems snippet (SSLOpenSSLConfCmd) makes the EMS clients safe", async () => {
    const specs: ApacheMember[] = identities.map((certificate, i) => ({ certificate, noEms: i === 0, extra: ["SSLProtocol -all +TLSv1.2"] }));
    const before = await probePool(await Promise.all(specs.map(async (s) => harness.track(await startApache(s)))));
    const withSnippet = specs.map((s, i) => (i === 0 ? { ...s, extra: [...s.extra!, ...lines(SNIPPETS["enable-ems"].apache)] } : s));
    const after = await probePool(await Promise.all(withSnippet.map(async (s) => harness.track(await startApache(s)))));
    expectMadeSafe(before, after, "enable-ems", ["jdk8u161+", "jdk11+", "jdk11+-tls12"]);
  });
});
