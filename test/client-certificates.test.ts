/**
 * Mutual TLS end to end: the CLI's --cert/--key (a combined PEM, an encrypted key and its passphrase variable), a
 * CLI registry naming its files by absolute path outside its folder, and the function reading the certificate from
 * Secrets Manager (a fake endpoint over HTTP, the real SDK client) where a denied secret is that endpoint's finding
 * only. The pool: `openssl s_server -Verify 1` members (a client certificate required) behind a TCP VIP. The key
 * never appears in any output.
 */
import { execFile } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../lambda/cli.js";
import type { IssuedCertificate } from "../lambda/lab/pki.js";
import { KEY_PASSPHRASE_ENV } from "../lambda/registry/client-certificate.js";
import { Moto } from "./helpers/moto.js";
import { FakeAwsHttp } from "./helpers/fake-aws-http.js";
import { Harness, SERVICE, startVip, TestPki } from "./helpers/pool.js";
import { startOpensslServer } from "./helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
let client: IssuedCertificate;
let dir: string;
let outside: string;
let vip: { host: string; port: number };
let members: string[];
const PASSPHRASE = "correct horse battery staple";

beforeAll(async () => {
  pki = await TestPki.create();
  client = await pki.issue({ subject: "CN=puppet.pool.test", dns: ["puppet.pool.test"], clientAuth: true });
  dir = mkdtempSync(join(tmpdir(), "tpm-mtls-"));
  outside = mkdtempSync(join(tmpdir(), "tpm-mtls-elsewhere-"));
  writeFileSync(join(dir, "ca.pem"), pki.caPem);
  writeFileSync(join(outside, "ca.pem"), pki.caPem);
  writeFileSync(join(outside, "combined.pem"), `${client.chainPem}\n${client.keyPem}`, { mode: 0o600 });
  writeFileSync(join(outside, "cert.pem"), client.chainPem);
  const encrypted = createPrivateKey(client.keyPem).export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: PASSPHRASE });
  writeFileSync(join(outside, "encrypted.key"), encrypted, { mode: 0o600 });
  const certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
  const servers = [];
  for (let i = 0; i < 3; i++) servers.push(harness.track(await startOpensslServer(certificate, ["-Verify", "1", "-CAfile", join(dir, "ca.pem")])));
  members = servers.map((s) => s.label);
  vip = harness.track(await startVip(servers));
});
afterAll(async () => {
  await harness.closeAll();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** The key's base64 body, a line of it: what must never be printed. */
const keyLine = () => client.keyPem.split("\n")[1]!;

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

const target = () => [`${vip.host}:${vip.port}`, "--servername", SERVICE, "--no-dns", "--attempts", "3", ...members.flatMap((m) => ["--member", m])];

describe("the CLI", () => {
  it("--cert with the key in the same file: the pool answers as it does for Puppet Server; nothing of the key printed", async () => {
    const html = join(dir, "report.html");
    const { code, stdout } = await cli(["probe", ...target(), "--ca", join(dir, "ca.pem"), "--cert", join(outside, "combined.pem"), "--json", "--html", html]);
    const doc = JSON.parse(stdout) as {
      clientCertificate: { source: string; subject: string };
      members: Array<{ clientAuth: string }>;
      findings: Array<{ kind: string }>;
      summary: { handshakeFailures: number; clientCertificateProblems: number };
    };
    expect(code).toBe(0);
    expect(doc.clientCertificate).toMatchObject({ source: "files", subject: "CN=puppet.pool.test" });
    expect(doc.members.map((m) => m.clientAuth)).toEqual(["required", "required", "required"]);
    expect(doc.summary).toMatchObject({ handshakeFailures: 0, clientCertificateProblems: 0 });
    expect(doc.findings.map((f) => f.kind)).not.toContain("client-certificate");
    for (const text of [stdout, readFileSync(html, "utf8")]) {
      expect(text).not.toContain(keyLine());
      expect(text).not.toMatch(/PRIVATE KEY/);
    }
  });

  it("without a certificate: one finding that says so and how to configure one; exit 1 (verdicts unknown), not 2 (the servers answered)", async () => {
    const { code, stdout: wrapped } = await cli(["probe", ...target(), "--ca", join(dir, "ca.pem")]);
    const stdout = wrapped.replace(/\s+/g, " ");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^WARNING .*: Every member requires a client certificate \(mutual TLS\) and none is configured/);
    expect(stdout).toContain("--cert FILE");
    expect(stdout).not.toMatch(/Take the member out/);
  });

  it("an encrypted key: its passphrase from the environment; without it, or wrong, an error naming the file and the variable, never the key", async () => {
    const args = ["probe", ...target(), "--ca", join(dir, "ca.pem"), "--cert", join(outside, "cert.pem"), "--key", join(outside, "encrypted.key")];
    const missing = await cli(args);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--cert: ${join(outside, "encrypted.key")}: the private key is encrypted; set ${KEY_PASSPHRASE_ENV}`);
    const wrong = await cli(args, { [KEY_PASSPHRASE_ENV]: "wrong" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/the private key cannot be read \(wrong passphrase/);
    for (const out of [missing, wrong]) expect(out.stderr + out.stdout).not.toMatch(/PRIVATE KEY|wrong passphrase in .*wrong\b/);
    const right = await cli([...args, "--json"], { [KEY_PASSPHRASE_ENV]: PASSPHRASE });
    expect(right.code).toBe(0);
    expect(right.stdout).not.toContain(PASSPHRASE);
  });

  it("--key without --cert, or a key that is not the certificate's: usage errors naming the flag and the file", async () => {
    expect((await cli(["probe", ...target(), "--key", join(outside, "encrypted.key")])).stderr).toMatch(/--key: give --cert too/);
    const other = await pki.issue({ subject: "CN=other" });
    writeFileSync(join(outside, "other.key"), other.keyPem, { mode: 0o600 });
    const mismatch = await cli(["probe", ...target(), "--cert", join(outside, "cert.pem"), "--key", join(outside, "other.key")]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`${join(outside, "other.key")}: the private key is not the key of ${join(outside, "cert.pem")}'s first certificate`);
  });

  it("a registry naming its CA and client certificate by absolute path, in a folder outside the registry's (issue 24)", async () => {
    const registry = join(dir, "registry.json");
    writeFileSync(
      registry,
      JSON.stringify({
        endpoints: [
          {
            name: "puppetdb",
            host: vip.host,
            port: vip.port,
            servername: SERVICE,
            members,
            discover: "none",
            attempts: 3,
            ca: join(outside, "ca.pem"),
            clientCertificate: { cert: join(outside, "combined.pem") },
          },
        ],
      }),
    );
    const { code, stdout, stderr } = await cli(["probe", "--registry", registry, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { registryErrors: string[]; endpoints: Array<{ summary: { clientCertificateProblems: number } }> };
    expect(doc.registryErrors).toEqual([]);
    expect(doc.endpoints[0]!.summary.clientCertificateProblems).toBe(0);
  });
});

describe("the function, with the certificate in Secrets Manager", () => {
  const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:puppetdb-monitor";
  const DENIED = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:someone-elses";

  it(
    "npm run invoke: the pool probed with the secret's certificate; a denied secret is that endpoint's finding and datum, the others run; no key anywhere",
    { timeout: 120_000 },
    async () => {
      const fake = await FakeAwsHttp.start();
      // The memory (DynamoDB) is moto's, through the fake: the announcements go through it too.
      const moto = await Moto.start();
      fake.dynamoUpstream = moto.url;
      try {
        fake.secrets.set(SECRET, JSON.stringify({ cert: client.chainPem, key: client.keyPem }));
        fake.deniedSecrets.add(DENIED);
        const registry = join(dir, "lambda-registry.json");
        const entry = { host: vip.host, port: vip.port, servername: SERVICE, members, discover: "none", ca: "ca.pem", attempts: 3, timeoutMs: 3000 };
        writeFileSync(
          registry,
          JSON.stringify({
            endpoints: [
              { name: "puppetdb", ...entry, clientCertificate: { secretArn: SECRET } },
              { name: "denied", ...entry, clientCertificate: { secretArn: DENIED } },
            ],
          }),
        );
        const { stdout, stderr } = await promisify(execFile)("npx", ["tsx", "scripts/invoke.ts", registry, "--timeout-seconds", "60"], {
          env: {
            ...process.env,
            AWS_ENDPOINT_URL: fake.url,
            AWS_REGION: "eu-west-1",
            AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
            AWS_SECRET_ACCESS_KEY: "secret",
            AWS_EC2_METADATA_DISABLED: "true",
            ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:alerts",
            STATE_TABLE: await moto.createTable("client-certificates", "eu-west-1"),
            METRICS: "full",
            CONFIRM_RUNS: "1",
          },
          maxBuffer: 64 * 1024 * 1024,
        });
        const lines = stdout
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const line = (name: string) => lines.find((l) => l.msg === "endpoint" && l.endpoint === name)!;
        expect(line("puppetdb")).toMatchObject({
          finished: true,
          handshakeFailures: 0,
          clientCertificate: { source: "secret", secretArn: SECRET, subject: "CN=puppet.pool.test" },
        });
        expect(line("denied")).toMatchObject({ finished: true, handshakeFailures: 0, clientCertificate: { source: "secret", error: "AccessDeniedException" } });
        expect(fake.values("ClientCertificateProblems", "puppetdb")).toEqual([0]);
        expect(fake.values("ClientCertificateProblems", "denied")).toEqual([1]);
        expect(fake.values("ProbeCompleted", "denied")).toEqual([1]);
        expect(fake.requests.GetSecretValue).toBe(2);
        const everything = stdout + stderr + JSON.stringify(fake.published) + JSON.stringify(fake.datums);
        expect(everything).not.toContain(keyLine());
        expect(everything).not.toMatch(/PRIVATE KEY/);
      } finally {
        await fake.close();
        await moto.stop();
      }
    },
  );
});
