/**
 * Real third-party servers for the integration suite: `openssl s_server` members and HAProxy (`mode tcp`) as the
 * VIP. Both are installed by .ci/run when missing; a missing binary fails the suite rather than skipping it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";

export interface RunningProcess {
  readonly host: string;
  readonly port: number;
  readonly label: string;
  close(): Promise<void>;
}

function findBinary(name: string, candidates: string[]): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(candidates)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} is not installed (.ci/run installs it: apt-get install ${name})`);
}

function stop(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", done);
    child.kill("SIGTERM");
  });
}

/** `openssl s_server -www` with the given certificate; extra flags such as `-client_renegotiation` or `-no_ticket`. */
export async function startOpensslServer(certificate: IssuedCertificate, flags: string[] = []): Promise<RunningProcess> {
  const openssl = findBinary("openssl", ["/usr/bin"]);
  const dir = mkdtempSync(join(tmpdir(), "tpm-openssl-"));
  writeFileSync(join(dir, "chain.pem"), certificate.chainPem);
  writeFileSync(join(dir, "key.pem"), certificate.keyPem);
  const child = spawn(openssl, ["s_server", "-accept", "127.0.0.1:0", "-cert", join(dir, "chain.pem"), "-key", join(dir, "key.pem"), "-www", ...flags], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`openssl s_server did not start: ${output}`)), 10_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => fail(new Error(`openssl s_server exited with ${code}: ${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { host: "127.0.0.1", port, label: `127.0.0.1:${port}`, close: () => stop(child, dir) };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForListener(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy did not listen on ${port} within ${deadlineMs} ms`);
}

/** HAProxy in `mode tcp`, round-robin over the backends, as the VIP. */
export async function startHaproxy(backends: Array<{ host: string; port: number }>): Promise<RunningProcess> {
  const haproxy = findBinary("haproxy", ["/usr/sbin", "/usr/local/sbin"]);
  const dir = mkdtempSync(join(tmpdir(), "tpm-haproxy-"));
  const port = await freePort();
  const config = [
    "global",
    "  maxconn 512",
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend vip",
    `  bind 127.0.0.1:${port}`,
    "  default_backend pool",
    "backend pool",
    "  balance roundrobin",
    ...backends.map((b, i) => `  server m${i + 1} ${b.host}:${b.port}`),
    "",
  ].join("\n");
  writeFileSync(join(dir, "haproxy.cfg"), config);
  const child = spawn(haproxy, ["-f", join(dir, "haproxy.cfg"), "-db"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    await waitForListener(port, child, 10_000);
  } catch (err) {
    await stop(child, dir);
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return { host: "127.0.0.1", port, label: `127.0.0.1:${port}`, close: () => stop(child, dir) };
}
