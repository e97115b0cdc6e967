/**
 * Our Java verdict against a real JDK. For each pool: probe it through a round-robin VIP and compute the verdicts;
 * then route a real Java client (one SSLContext, no endpoint identification) through a scripted VIP along an
 * adversarial sequence (for every ordered pair of members x≠y: x, x, y) and check that the JDK aborts exactly on
 * the connections our replay of the same sequence predicts, and that it aborts at all iff our verdict is not "safe".
 * Apache HttpClient 4.5 (Debian's libhttpclient-java: its own hostname verifier, no endpoint identification
 * algorithm) replays the same sequence beside the raw SSLSocket and must abort on the same connections.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../../lambda/analysis/index.js";
import { poolModel } from "../../../lambda/analysis/java/pool-model.js";
import { JAVA_PROFILES, type JavaProfileId } from "../../../lambda/analysis/java/profiles.js";
import { simulate } from "../../../lambda/analysis/java/simulate.js";
import type { MemberSpec, RunningMember } from "../../../lambda/lab/member.js";
import type { IssuedCertificate, LeafSpec } from "../../../lambda/lab/pki.js";
import type { TLSSocket } from "node:tls";
import { probeEndpoint } from "../../../lambda/probe/endpoint.js";
import { adversarialRouting, JavaClient } from "../../helpers/java.js";
import { Harness, SERVICE, sharedTicketKeys, startVip, TestPki } from "../../helpers/pool.js";

const harness = new Harness();
let pki: TestPki;
let java: JavaClient;

beforeAll(async () => {
  pki = await TestPki.create();
  java = await JavaClient.compile();
});
afterAll(async () => {
  await harness.closeAll();
  java.close();
});

interface PoolCase {
  name: string;
  leaves: LeafSpec[];
  /** Member index → index of an earlier member whose certificate it presents (the same key and certificate). */
  sameCertificateAs?: Record<number, number>;
  /** Round-robin routing cannot tell members apart by certificate here: the verdict must not claim `aborts`. */
  ambiguousRouting?: boolean;
  member?: (i: number) => Partial<MemberSpec>;
  /** The verdict we expect per runnable profile (documents the case; the JDK decides whether we are right). */
  expected: Partial<Record<JavaProfileId, "safe" | "can-abort">>;
}

const leaf = (cn: string, dns: string[]): LeafSpec => ({ subject: `CN=${cn}`, dns });

const CASES: PoolCase[] = [
  {
    name: "distinct identities",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"]), leaf("db-3.pool.test", ["db-3.pool.test"])],
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "safe", "jdk11+": "safe" },
  },
  {
    name: "a shared DNS SAN",
    leaves: [leaf("db-1.pool.test", [SERVICE, "db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test", SERVICE])],
    expected: { "jdk8u60-8u152": "safe", "jdk8u161+": "safe" },
  },
  {
    name: "same subject and issuer, disjoint SANs",
    leaves: [leaf(SERVICE, ["a.pool.test"]), leaf(SERVICE, ["b.pool.test"])],
    expected: { "jdk8u60-8u152": "safe" },
  },
  {
    name: "a SAN that differs only in case",
    leaves: [leaf("db-1.pool.test", ["DB.Pool.Test"]), leaf("db-2.pool.test", ["db.pool.test"])],
    expected: { "jdk8u60-8u152": "safe" },
  },
  {
    name: "wildcard versus exact name",
    leaves: [leaf("*.pool.test", ["*.pool.test"]), leaf("db.pool.test", ["db.pool.test"])],
    expected: { "jdk8u60-8u152": "can-abort" },
  },
  {
    name: "a mixed pool where one member has EMS off",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"]), leaf("db-3.pool.test", ["db-3.pool.test"])],
    member: (i) => ({ ems: i !== 1, maxVersion: "TLSv1.2" }),
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "can-abort", "jdk11+": "can-abort" },
  },
  {
    name: "all members sharing ticket keys (no shared session cache)",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"])],
    member: () => ({ ticketKeys: TICKET_KEYS, ems: false, maxVersion: "TLSv1.2" }),
    // JDK 8 offers only session IDs, which the members do not share; JDK 11+ with EMS on offers nothing to non-EMS members.
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "safe", "jdk11+": "safe" },
  },
  {
    name: "shared ticket keys in a mixed-EMS pool (TLS 1.2)",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"]), leaf("db-3.pool.test", ["db-3.pool.test"])],
    member: (i) => ({ ticketKeys: TICKET_KEYS, ems: i !== 1, maxVersion: "TLSv1.2" }),
    // Session-ID-only clients still switch members with a refusal; a ticket-sending client (JDK 13+) need not.
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "can-abort", "jdk11+": "safe" },
  },
  {
    name: "all members sharing a session cache",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"])],
    member: () => ({ sessionCache: SHARED_CACHE, ems: false, maxVersion: "TLSv1.2" }),
    expected: { "jdk8u60-8u152": "safe" },
  },
  {
    // Field case: JDK 17 with defaults never aborted here (0 of 450); pinned to TLS 1.2 it aborts on "A, A, B".
    name: "two members with one certificate and TLS 1.3, a wildcard member on TLS 1.2 without EMS",
    leaves: [leaf(SERVICE, [SERVICE]), leaf(SERVICE, [SERVICE]), leaf(`*.${SERVICE}`, [`*.${SERVICE}`])],
    sameCertificateAs: { 1: 0 },
    ambiguousRouting: true,
    member: (i) => (i === 2 ? { ems: false, maxVersion: "TLSv1.2" } : {}),
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "can-abort", "jdk11+": "safe", "jdk11+-tls12": "can-abort", "jdk11+-no-ems": "safe" },
  },
  {
    name: "TLS 1.3 allowed, distinct identities, EMS off",
    leaves: [leaf("db-1.pool.test", ["db-1.pool.test"]), leaf("db-2.pool.test", ["db-2.pool.test"])],
    member: () => ({ ems: false }),
    expected: { "jdk8u60-8u152": "can-abort", "jdk8u161+": "safe", "jdk11+": "safe", "jdk11+-tls12": "safe", "jdk11+-no-ems": "safe" },
  },
];
const TICKET_KEYS = sharedTicketKeys();
/** Members answer HttpClient's request (the raw SSLSocket client sends nothing). */
const answerHttp = (socket: TLSSocket): void => {
  socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
};
const SHARED_CACHE = new Map<string, Buffer>();

describe.each(CASES)("$name", (c) => {
  it("our verdict and a real JDK agree, connection by connection", async () => {
    const members: RunningMember[] = [];
    const certificates: IssuedCertificate[] = [];
    for (const [i, spec] of c.leaves.entries()) {
      const same = c.sameCertificateAs?.[i];
      certificates.push(same === undefined ? await pki.issue(spec) : certificates[same]!);
      members.push(await harness.member({ certificate: certificates[i]!, onSecure: answerHttp, ...c.member?.(i) }));
    }
    const roundRobin = harness.track(await startVip(members));
    const endpoint = {
      name: c.name,
      host: roundRobin.host,
      port: roundRobin.port,
      servername: SERVICE,
      members: members.map((m) => ({ address: m.host, port: m.port, label: m.label })),
      discover: "none" as const,
      attempts: 4,
      ca: pki.caPem,
      timeoutMs: 3000,
    };
    const probe = await probeEndpoint(endpoint);
    const analysis = analyzeEndpoint(probe);
    const model = poolModel(probe);
    expect(model.members).toHaveLength(members.length);
    const routing = adversarialRouting(members.length);

    for (const [profileId, expected] of Object.entries(c.expected) as Array<[JavaProfileId, string]>) {
      const verdict = analysis.javaClients.find((v) => v.profile === profileId)!;
      const profile = JAVA_PROFILES.find((p) => p.id === profileId)!;
      const predicted = simulate(
        profile,
        model,
        routing.map((i) => members[i]!.label),
      );
      const real = await java.replayRouted(profileId, members, routing, SERVICE, pki.caPem);
      const http = await java.replayRouted(profileId, members, routing, SERVICE, pki.caPem, "httpclient");

      const context = `${c.name} / ${profileId}: ${verdict.reason}\nreal: ${real.map((r) => `${r.index}:${r.outcome}`).join(" ")}`;
      // Fatal alerts on an offered session (mixed EMS behind shared ticket keys) are predicted too.
      expect(
        real.filter((r) => r.outcome === "error").map((r) => r.index),
        context,
      ).toEqual(predicted.filter((p) => p.outcome === "failed").map((p) => p.index));
      expect(
        real.filter((r) => r.outcome === "error").every((r) => r.detail.includes("fatal alert")),
        context,
      ).toBe(true);
      expect(
        real.filter((r) => r.outcome === "aborted").map((r) => r.index),
        context,
      ).toEqual(predicted.filter((p) => p.outcome === "aborted").map((p) => p.index));
      expect(
        http.filter((r) => r.outcome === "aborted").map((r) => r.index),
        `${context}\nhttpclient: ${http.map((r) => `${r.index}:${r.outcome}`).join(" ")}`,
      ).toEqual(predicted.filter((p) => p.outcome === "aborted").map((p) => p.index));
      expect(verdict.verdict === "safe" ? "safe" : "can-abort", context).toBe(expected);
      if (c.ambiguousRouting) expect(verdict.verdict, context).not.toBe("aborts");
      expect(
        real.some((r) => r.outcome === "aborted"),
        context,
      ).toBe(verdict.verdict !== "safe");
      if (!profile.tls13 && !profile.tickets) {
        // TLS 1.2 with session IDs: the JDK resumes exactly where we say it does.
        expect(
          real.map((r) => (r.outcome === "error" ? "failed" : r.outcome)),
          context,
        ).toEqual(predicted.map((p) => p.outcome));
      }
    }
  });
});
