/**
 * A throw-away PKI for the demo and the tests: certificates are made at run time, never checked in.
 */
import "reflect-metadata";
import { webcrypto, randomBytes } from "node:crypto";
import * as x509 from "@peculiar/x509";

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Leaf first, then intermediates (not the root): what a server sends. */
  chainPem: string;
}

export interface LeafSpec {
  /** Subject DN, e.g. "CN=db-a.pool.test, O=Example". */
  subject: string;
  dns?: string[];
  ips?: string[];
  /** Days from now; negative for the past. Defaults: -1 and 90. */
  notBeforeDays?: number;
  notAfterDays?: number;
  /** Also usable as a client certificate (extended key usage clientAuth, as Puppet's host certificates are). */
  clientAuth?: boolean;
  /** The leaf's key: ECDSA P-256 (default) or RSA 2048 (for members that serve both, as nginx can). */
  key?: "ec" | "rsa";
}

const RSA_KEY = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };

interface Authority {
  name: string;
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
  chain: x509.X509Certificate[];
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

const newKeys = () => webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
const days = (n: number) => new Date(Date.now() + n * DAY_MS);

function leafExtensions(spec: LeafSpec): x509.Extension[] {
  const names: x509.JsonGeneralName[] = [
    ...(spec.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    // Puppet's CA issues host certificates for both ends (serverAuth and clientAuth): a client certificate needs the latter (JSSE checks it).
    new x509.ExtendedKeyUsageExtension(
      spec.clientAuth ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth],
    ),
    ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
  ];
}

export class TestPki {
  private constructor(private readonly root: Authority) {}

  static async create(name = "CN=tls-pool-monitor Test Root CA, O=tls-pool-monitor"): Promise<TestPki> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name,
      notBefore: days(-2),
      notAfter: days(3650),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestPki({ name, keys, cert, chain: [] });
  }

  /** The root certificate, PEM: what a client adds as `ca`. */
  get caPem(): string {
    return this.root.cert.toString("pem");
  }

  /** Issues a server certificate, directly under the root or under `intermediates` generated CAs. */
  async issue(spec: LeafSpec, intermediates = 0): Promise<IssuedCertificate> {
    let issuer = this.root;
    for (let i = 0; i < intermediates; i++) issuer = await this.subordinate(issuer, `CN=Test Intermediate ${i + 1} ${serial().slice(0, 8)}`);
    const keys = spec.key === "rsa" ? await webcrypto.subtle.generateKey(RSA_KEY, true, ["sign", "verify"]) : await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: spec.subject,
      issuer: issuer.cert.subject,
      notBefore: days(spec.notBeforeDays ?? -1),
      notAfter: days(spec.notAfterDays ?? 90),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      extensions: leafExtensions(spec),
    });
    const chain = [cert, ...issuer.chain];
    return { certPem: cert.toString("pem"), keyPem: await keyPem(keys), chainPem: chain.map((c) => c.toString("pem")).join("\n") };
  }

  private async subordinate(parent: Authority, name: string): Promise<Authority> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: name,
      issuer: parent.cert.subject,
      notBefore: days(-2),
      notAfter: days(3650),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: parent.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return { name, keys, cert, chain: [cert, ...parent.chain] };
  }
}

/** A certificate signed by its own key, trusted by nobody. */
export async function selfSigned(spec: LeafSpec): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: spec.subject,
    notBefore: days(spec.notBeforeDays ?? -1),
    notAfter: days(spec.notAfterDays ?? 90),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: leafExtensions(spec),
  });
  const pem = cert.toString("pem");
  return { certPem: pem, keyPem: await keyPem(keys), chainPem: pem };
}
