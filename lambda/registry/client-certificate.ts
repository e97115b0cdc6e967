/**
 * Client certificates for mutual TLS (PuppetDB's Jetty defaults to `client-auth need`): read, split and checked
 * before any connection. A PEM file may hold the certificate chain and the key (as `openssl s_client -cert` takes
 * it), or the key may come from a file of its own. Every message names the file or field and the reason, never any
 * of the content: a private key must not reach a log line, a report or an SNS message.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { ClientCredentials } from "../probe/tls-context.js";

/** The environment variable holding the passphrase of an encrypted key (never a flag: flags show in `ps`). */
export const KEY_PASSPHRASE_ENV = "TLS_POOL_MONITOR_KEY_PASSPHRASE";

/** A PEM file of a certificate chain and a key is a few KB; anything near this is not one. */
export const MAX_CLIENT_CERTIFICATE_BYTES = 1024 * 1024;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const KEY_LABELS = new Set(["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]);

function blocks(pem: string): Array<{ label: string; text: string }> {
  return [...pem.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
}

export class ClientCertificateError extends Error {
  override name = "ClientCertificateError";
}

/**
 * Checks a client certificate and its key: at least one CERTIFICATE (leaf first), exactly one private key (from the
 * certificate's own file when `keyPem` is absent), the key readable (with the passphrase when encrypted) and the
 * leaf's. `where` names the source in messages ("--cert client.pem", "secret arn:…").
 */
export function checkClientCertificate(
  certPem: string,
  keyPem: string | undefined,
  passphrase: string | undefined,
  where: { cert: string; key: string },
): ClientCredentials {
  const certBlocks = blocks(certPem);
  const certificates = certBlocks.filter((b) => b.label === "CERTIFICATE");
  if (certificates.length === 0) throw new ClientCertificateError(`${where.cert}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificates[0]!.text);
    certificates.slice(1).forEach((c) => new X509Certificate(c.text));
  } catch (err) {
    throw new ClientCertificateError(`${where.cert}: a certificate does not parse (${(err as Error).message})`);
  }
  const keySource = keyPem === undefined ? { pem: certPem, name: where.cert } : { pem: keyPem, name: where.key };
  const keys = blocks(keySource.pem).filter((b) => KEY_LABELS.has(b.label));
  if (keys.length === 0)
    throw new ClientCertificateError(
      keyPem === undefined
        ? `${where.cert}: holds no private key; give the key's file too`
        : `${where.key}: holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
    );
  if (keys.length > 1) throw new ClientCertificateError(`${keySource.name}: holds ${keys.length} private keys; give one`);
  const key = keys[0]!;
  const encrypted = key.label === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(key.text);
  if (encrypted && passphrase === undefined)
    throw new ClientCertificateError(`${keySource.name}: the private key is encrypted; set ${KEY_PASSPHRASE_ENV} to its passphrase`);
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: key.text, format: "pem", ...(encrypted ? { passphrase: passphrase! } : {}) });
  } catch {
    // OpenSSL's message says nothing useful and must not be trusted to leave the key out: ours names the file.
    throw new ClientCertificateError(`${keySource.name}: the private key cannot be read${encrypted ? ` (wrong passphrase in ${KEY_PASSPHRASE_ENV}?)` : ""}`);
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new ClientCertificateError(`${keySource.name}: the private key is not the key of ${where.cert}'s first certificate`);
  return {
    certPem: certificates.map((c) => c.text).join("\n") + "\n",
    keyPem: key.text + "\n",
    ...(encrypted ? { passphrase: passphrase! } : {}),
  };
}

/**
 * A Secrets Manager secret's SecretString: a JSON object `{ "cert": PEM, "key": PEM }` (`passphrase` when the key
 * is encrypted). Checked like the files; the messages name the secret, never its value.
 */
export function credentialsFromSecret(secretString: string, secretArn: string): ClientCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(secretString);
  } catch {
    throw new ClientCertificateError(`secret ${secretArn}: SecretString is not JSON (expected { "cert": PEM, "key": PEM })`);
  }
  const value = (k: string) => (doc && typeof doc === "object" ? (doc as Record<string, unknown>)[k] : undefined);
  const cert = value("cert");
  const key = value("key");
  const passphrase = value("passphrase");
  if (typeof cert !== "string" || typeof key !== "string")
    throw new ClientCertificateError(`secret ${secretArn}: SecretString must be a JSON object with "cert" and "key" (PEM strings)`);
  if (passphrase !== undefined && typeof passphrase !== "string") throw new ClientCertificateError(`secret ${secretArn}: "passphrase" must be a string`);
  return checkClientCertificate(cert, key, passphrase, { cert: `secret ${secretArn} ("cert")`, key: `secret ${secretArn} ("key")` });
}
