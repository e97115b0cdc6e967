/** One connection against servers that answer in every way the probe must tell apart. */
import net from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CertificateCatalog } from "../../lambda/probe/certificate.js";
import { handshake, type HandshakeOptions } from "../../lambda/probe/handshake.js";
import { Harness, SERVICE, selfSigned, TestPki } from "../helpers/pool.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

function connect(port: number, extra: Partial<HandshakeOptions> = {}) {
  return handshake({
    address: "127.0.0.1",
    port,
    servername: SERVICE,
    profile: "best",
    ca: pki.caPem,
    timeoutMs: 2000,
    catalog: new CertificateCatalog(new Date()),
    ...extra,
  });
}

const rawServer = (onConnection: (s: net.Socket) => void) => harness.rawServer(onConnection);

describe("error classes", () => {
  it("refused: nothing listening", async () => {
    const port = await rawServer(() => undefined);
    await harness.closeAll();
    const { record } = await connect(port);
    expect(record.error?.class).toBe("refused");
    expect(record.leaf).toBeUndefined();
  });

  it("timeout: accepts TCP and never answers", async () => {
    const port = await rawServer(() => undefined);
    const started = Date.now();
    const { record } = await connect(port, { timeoutMs: 400 });
    expect(record.error?.class).toBe("timeout");
    expect(record.error?.message).toContain("TLS handshake");
    expect(record.connectMs).toBeDefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reset: closes in the middle of the handshake", async () => {
    const port = await rawServer((s) => s.once("data", () => s.resetAndDestroy()));
    const { record } = await connect(port);
    expect(record.error?.class).toBe("reset");
  });

  it("not-tls: an HTTP server answers", async () => {
    const { port } = await harness.plainHttp();
    const { record } = await connect(port);
    expect(record.error?.class).toBe("not-tls");
  });

  it("tls-alert: the server sends a fatal handshake_failure alert", async () => {
    const port = await rawServer((s) => s.once("data", () => s.end(Buffer.from([21, 3, 3, 0, 2, 2, 40]))));
    const { record } = await connect(port);
    expect(record.error?.class).toBe("tls-alert");
    expect(record.error?.code).toMatch(/ALERT_HANDSHAKE_FAILURE/);
  });

  it("dns: a name that does not resolve", async () => {
    const { record } = await handshake({
      address: "no-such-host.invalid",
      port: 443,
      servername: "no-such-host.invalid",
      profile: "best",
      timeoutMs: 2000,
      catalog: new CertificateCatalog(new Date()),
    });
    expect(record.error?.class).toBe("dns");
  });
});

describe("validation is reported, and the certificate is still recorded", () => {
  it("trusted and matching", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { record } = await connect(member.port);
    expect(record.error).toBeUndefined();
    expect(record.verification).toEqual({ chainTrusted: true, hostnameMatches: true });
  });

  it("expired", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE], notBeforeDays: -30, notAfterDays: -2 }) });
    const catalog = new CertificateCatalog(new Date());
    const { record } = await connect(member.port, { catalog });
    expect(record.verification?.failure).toBe("expired");
    expect(record.verification?.chainError).toBe("CERT_HAS_EXPIRED");
    expect(catalog.byFingerprint[record.leaf!]!.daysToExpiry).toBeLessThan(0);
  });

  it("self-signed: untrusted", async () => {
    const member = await harness.member({ certificate: await selfSigned({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { record } = await connect(member.port);
    expect(record.verification?.failure).toBe("untrusted");
    expect(record.verification?.chainError).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(record.leaf).toMatch(/^[0-9A-F:]{95}$/);
  });

  it("without the private root: untrusted", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { record } = await connect(member.port, { ca: undefined });
    expect(record.verification?.chainTrusted).toBe(false);
    expect(record.verification?.failure).toBe("untrusted");
  });

  it("wrong hostname", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: "CN=other.test", dns: ["other.test"] }) });
    const { record } = await connect(member.port);
    expect(record.verification?.chainTrusted).toBe(true);
    expect(record.verification?.hostnameMatches).toBe(false);
    expect(record.verification?.failure).toBe("hostname-mismatch");
    expect(record.verification?.hostnameError).toContain(SERVICE);
  });

  it("an IP address as servername is checked against IP SANs", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: "CN=ip", ips: ["127.0.0.1"] }) });
    const { record } = await connect(member.port, { servername: "127.0.0.1" });
    expect(record.verification).toEqual({ chainTrusted: true, hostnameMatches: true });
  });
});

describe("sessions and renegotiation", () => {
  it("a TLS 1.2 session-ID session resumes on the same member and carries its session facts", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const first = await connect(member.port, { profile: "tls12-session-id" });
    expect(first.record.protocol).toBe("TLSv1.2");
    expect(first.record.secureRenegotiation).toBe(true);
    expect(first.record.session).toEqual({ extendedMasterSecret: true, ticketIssued: false, sessionIdLength: 32 });
    expect(first.session).toBeInstanceOf(Buffer);
    const second = await connect(member.port, { profile: "tls12-session-id", session: first.session! });
    expect(second.record.resumed).toBe(true);
    expect(second.record.sessionOffered).toBe(true);
    expect(second.record.leaf).toBeUndefined();
    expect(member.handshakes).toEqual({ full: 1, resumed: 1 });
  });

  it("a TLS 1.3 ticket arrives after the handshake and resumes", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const first = await connect(member.port, { profile: "tls13" });
    expect(first.record.protocol).toBe("TLSv1.3");
    expect(first.record.sessionIssued).toBe(true);
    const second = await connect(member.port, { profile: "tls13", session: first.session! });
    expect(second.record.resumed).toBe(true);
  });

  it("renegotiation allowed by a Node server: ok, same certificate", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { record, renegotiation } = await connect(member.port, { profile: "tls12-session-id", renegotiate: true });
    expect(renegotiation).toEqual({ outcome: "ok", leafBefore: record.leaf, leafAfter: record.leaf });
  });

  it("renegotiation on TLS 1.3 is not attempted", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { renegotiation } = await connect(member.port, { profile: "tls13", renegotiate: true });
    expect(renegotiation?.outcome).toBe("not-attempted");
  });
});

describe("sessions too large for Node to keep", () => {
  it("a server whose sessions are over 10 KiB (a big chain): recorded with the size, over TLS 1.2 and 1.3, never read as no session", async () => {
    // 400 names make a ~12 KB leaf; the session the client keeps carries the server's chain.
    const names = Array.from({ length: 400 }, (_, i) => `n${i}-with-a-longer-label.${SERVICE}`);
    const big = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE, ...names] });
    const small = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const [bigMember, smallMember] = [await harness.member({ certificate: big }), await harness.member({ certificate: small })];
    for (const profile of ["tls12-ticket", "tls13"] as const) {
      const { record } = await connect(bigMember.port, { profile });
      expect(record.error, profile).toBeUndefined();
      expect(record.sessionIssued, profile).toBe(false);
      expect(record.sessionTooLarge, profile).toBeGreaterThan(10 * 1024);
      const ok = await connect(smallMember.port, { profile });
      expect(ok.record.sessionIssued, profile).toBe(true);
      expect(ok.record.sessionTooLarge, profile).toBeUndefined();
    }
  });
});
