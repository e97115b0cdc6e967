import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { describeCertificate, sanDnsNames, sanIpAddresses } from "../../lambda/probe/certificate.js";
import { TestPki } from "../helpers/pool.js";

describe("certificate fields", () => {
  it("extracts every field from a generated certificate", async () => {
    const pki = await TestPki.create();
    const issued = await pki.issue({ subject: "CN=db.example, O=Example", dns: ["db.example", "*.pool.example"], ips: ["10.1.2.3", "::1"], notAfterDays: 45 });
    const cert = new X509Certificate(issued.certPem);
    const now = new Date();
    const info = describeCertificate(cert, now);
    expect(info.subject).toBe("CN=db.example, O=Example");
    expect(info.issuer).toBe("CN=tls-pool-monitor Test Root CA, O=tls-pool-monitor");
    expect(info.sanDns).toEqual(["db.example", "*.pool.example"]);
    expect(info.sanIp).toEqual(["10.1.2.3", "::1"]);
    expect(info.keyType).toBe("EC prime256v1");
    expect(info.keySize).toBe(256);
    expect(info.daysToExpiry).toBe(44);
    expect(info.fingerprint256).toBe(cert.fingerprint256);
    expect(info.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(new Date(info.validTo).getTime()).toBeGreaterThan(now.getTime());
  });

  it("returns empty SAN lists when there is no SAN", async () => {
    const pki = await TestPki.create();
    const cert = new X509Certificate((await pki.issue({ subject: "CN=plain" })).certPem);
    expect(sanDnsNames(cert)).toEqual([]);
    expect(sanIpAddresses(cert)).toEqual([]);
  });

  it("control characters a server puts in names reach no report raw (terminal escapes shown as \\xNN)", async () => {
    const pki = await TestPki.create();
    const cert = new X509Certificate((await pki.issue({ subject: "CN=evil\u001b[2J.example", dns: ["a\u001b]0;pwned\u0007.example"] })).certPem);
    const info = describeCertificate(cert, new Date());
    // OpenSSL already escapes the subject (\1B); SAN values come back raw from Node and are escaped here.
    expect(info.subject).toMatch(/^CN=evil\\(1B|x1b)\[2J\.example$/);
    expect(info.sanDns).toEqual(["a\\x1b]0;pwned\\x07.example"]);
    const fields = [info.subject, info.issuer, ...info.sanDns, ...info.sanIp].join("");
    expect(/[\u0000-\u001f\u007f-\u009f]/.test(fields)).toBe(false);
  });
});
