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

export function findBinary(name: string, candidates: string[] = ["/usr/sbin", "/usr/bin"]): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(candidates)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} is not installed (.ci/run installs it: apt-get install ${name})`);
}

/** Stops a server child (SIGTERM) and removes its folder. */
export function stop(child: ChildProcess, dir: string): Promise<void> {
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
  const port = await announcedPort(child, /ACCEPT 127\.0\.0\.1:(\d+)/, "openssl s_server", 10_000);
  return { host: "127.0.0.1", port, label: `127.0.0.1:${port}`, close: () => stop(child, dir) };
}

/**
 * The port a server child prints once it listens (`pattern`'s first group), its output read meanwhile; a child that
 * exits or stays silent past `ms` is killed and the error carries what it printed.
 */
export function announcedPort(child: ChildProcess, pattern: RegExp, name: string, ms: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`${name} did not start: ${output}`)), ms);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    // Servers announce on stdout or stderr (moto's werkzeug): both are read.
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const m = pattern.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.once("exit", (code) => fail(new Error(`${name} exited with ${code}: ${output}`)));
  });
}

/**
 * The independent oracle for a matrix cell: `openssl s_client` saves a TLS 1.2 session (ticket included) from
 * `from` and offers it to `to`. True when `to` resumed it ("Reused").
 */
export async function opensslResumes(
  from: { host: string; port: number },
  to: { host: string; port: number },
  servername: string,
  caPem: string,
): Promise<boolean> {
  const openssl = findBinary("openssl", ["/usr/bin"]);
  const dir = mkdtempSync(join(tmpdir(), "tpm-sclient-"));
  try {
    writeFileSync(join(dir, "ca.pem"), caPem);
    const run = (target: { host: string; port: number }, sessionFlag: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          openssl,
          ["s_client", "-connect", `${target.host}:${target.port}`, "-servername", servername, "-tls1_2", "-CAfile", join(dir, "ca.pem"), ...sessionFlag],
          {
            stdio: ["pipe", "pipe", "pipe"],
          },
        );
        let out = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.resume();
        child.once("error", reject);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(out);
        });
        child.stdin.end();
      });
    await run(from, ["-sess_out", join(dir, "session.pem")]);
    return /^Reused,/m.test(await run(to, ["-sess_in", join(dir, "session.pem")]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForListener(port: number, child: ChildProcess, deadlineMs: number, name = "haproxy", host = "127.0.0.1"): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on ${port} within ${deadlineMs} ms`);
}

/**
 * Starts a server binary that listens on `host`:`port` (its config in `dir`, removed when it stops) and waits
 * until the port accepts connections. Whatever it wrote to stderr is in the error when it does not come up.
 */
export async function startDaemon(name: string, binary: string, args: string[], dir: string, port: number, host = "127.0.0.1"): Promise<RunningProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    await waitForListener(port, child, 10_000, name, host);
  } catch (err) {
    await stop(child, dir);
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return { host, port, label: `${host}:${port}`, close: () => stop(child, dir) };
}

/**
 * HAProxy round-robin over the backends, as the VIP: `mode tcp` (TLS passes through to the members), or, given a
 * certificate, terminating TLS itself in `mode http` in front of plain backends.
 */
export interface HaproxyOptions {
  /** More options on the `bind` line (a remedy's snippet: `tls-ticket-keys FILE`, `ssl-max-ver TLSv1.2`). */
  bind?: string;
  /** Files written beside the configuration first, by name (the ticket keys file, say). */
  files?: Record<string, string>;
  /** The backend's balancing lines instead of `balance roundrobin` (a remedy's snippet: `balance source`, say). */
  balance?: string[];
  /** Options on every `server` line (`send-proxy-v2`: the members get a PROXY protocol header). */
  server?: string;
}

export async function startHaproxy(
  backends: Array<{ host: string; port: number }>,
  terminate?: IssuedCertificate,
  options: HaproxyOptions = {},
): Promise<RunningProcess> {
  const haproxy = findBinary("haproxy", ["/usr/sbin", "/usr/local/sbin"]);
  const dir = mkdtempSync(join(tmpdir(), "tpm-haproxy-"));
  const port = await freePort();
  // HAProxy takes the chain and the key in one PEM file.
  if (terminate) writeFileSync(join(dir, "site.pem"), `${terminate.chainPem}\n${terminate.keyPem}`, { mode: 0o600 });
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content, { mode: 0o600 });
  const config = [
    "global",
    "  maxconn 512",
    "defaults",
    `  mode ${terminate ? "http" : "tcp"}`,
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend vip",
    `  bind 127.0.0.1:${port}${terminate ? ` ssl crt ${join(dir, "site.pem")}` : ""}${options.bind ? ` ${options.bind.replace(/\{dir\}/g, dir)}` : ""}`,
    "  default_backend pool",
    "backend pool",
    ...(options.balance ?? ["balance roundrobin"]).map((l) => `  ${l}`),
    ...backends.map((b, i) => `  server m${i + 1} ${b.host}:${b.port}${options.server ? ` ${options.server}` : ""}`),
    "",
  ].join("\n");
  writeFileSync(join(dir, "haproxy.cfg"), config);
  return startDaemon("haproxy", haproxy, ["-f", join(dir, "haproxy.cfg"), "-db"], dir, port);
}
