import net from "node:net";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../lambda/cli.js";
import { distinctIdentities, Harness, SERVICE, sharedTicketKeys, TestPki } from "./helpers/pool.js";

const run = promisify(execFile);
const harness = new Harness();
let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await TestPki.create();
  dir = mkdtempSync(join(tmpdir(), "tpm-cli-"));
  writeFileSync(join(dir, "root.pem"), pki.caPem);
});
afterEach(() => harness.closeAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("usage errors exit 2 and name what is wrong", () => {
  it.each([
    [[], /missing command/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["probe"], /probe: missing <host\[:port\]>/],
    [["probe", "a.example", "b.example"], /one <host\[:port\]> at a time/],
    [["probe", "a.example:https"], /<host\[:port\]>: "a.example:https" has an invalid port/],
    [["probe", "a.example:0"], /<host\[:port\]> port: must be 1-65535/],
    [["probe", "bad_host!", "--no-dns"], /<host\[:port\]>: must be a DNS name or an IP address/],
    [["probe", "a.example", "--attempts=-1"], /--attempts: must be at least 1/],
    [["probe", "a.example", "--attempts", "many"], /--attempts: "many" is not a whole number/],
    [["probe", "a.example", "--member", "db1"], /--member: "db1" is not an IP address/],
    [["probe", "a.example", "--member", "10.0.0.1", "--member", "10.0.0.1:443"], /--member: duplicate member 10.0.0.1:443/],
    [["probe", "a.example", "--ca", "/nonexistent/ca.pem"], /--ca: \/nonexistent\/ca.pem: cannot read \(ENOENT\)/],
    [["probe", "a.example", "--timeout", "5"], /--timeout: must be at least 100/],
    [["probe", "a.example", "--concurrency", "0"], /--concurrency: must be 1-10000/],
    // Our wording, not Node's parseArgs text (which talks of positional arguments after "--").
    [["probe", "a.example", "--frobnicate"], /^tls-pool-monitor: unknown option --frobnicate\nRun tls-pool-monitor --help for usage\.\n$/],
    [["probe", "a.example", "--servername"], /^tls-pool-monitor: --servername: needs a value\n/],
    [["probe", "a.example", "--json=yes"], /^tls-pool-monitor: --json: takes no value \(it is a switch\)\n/],
    [["probe", "a.example", "--endpoint", "api"], /--endpoint: only with --registry/],
    [["probe", "--registry", "/nonexistent/registry.json"], /cannot read/],
    [["probe", "--registry", "r.json", "--servername", "x.example"], /--registry: --servername sets one endpoint; put it in the registry's entries instead/],
    [["probe", "--registry", "r.json", "--attempts", "3", "--member", "10.0.0.1"], /--registry: --member, --attempts set one endpoint/],
    [["probe", "--registry", "r.json", "--target-group", "arn:x"], /--registry: --target-group sets one endpoint/],
    [
      ["probe", "a.example", "--target-group", "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/x/0"],
      /--target-group: must be an ELBv2 target group ARN/,
    ],
  ])("%j", async (argv, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });

  it("--ca naming a file that holds no certificate says exactly that", async () => {
    writeFileSync(join(dir, "not-a-ca.pem"), "just some text\n");
    const { code, stderr } = await cli("probe", "a.example", "--ca", join(dir, "not-a-ca.pem"));
    expect(code).toBe(2);
    expect(stderr).toContain(`--ca ${join(dir, "not-a-ca.pem")}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  });

  it("--endpoint picks registry entries by name; a name the registry lacks is a usage error naming it", async () => {
    const registry = join(dir, "picked.json");
    writeFileSync(
      registry,
      JSON.stringify({
        endpoints: [
          { name: "api", host: "api.example" },
          { name: "db", host: "db.example" },
        ],
      }),
    );
    const planned = await cli("probe", "--registry", registry, "--endpoint", "db", "--plan", "--json");
    expect(planned.code).toBe(0);
    expect((JSON.parse(planned.stdout) as { endpoint: string }).endpoint).toBe("db");
    const missing = await cli("probe", "--registry", registry, "--endpoint", "dbb", "--plan");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--endpoint: "dbb" not among the 2 valid entries of ${registry}`);
  });

  it("progress: redrawn on the progress writer (stderr when it is a terminal) while a run lasts, erased at the end; never on stdout", async () => {
    // A server that accepts and never answers: each connection waits out its timeout.
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      accepted.add(socket);
      socket.on("close", () => accepted.delete(socket));
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    let stdout = "";
    const progress: string[] = [];
    const started = Date.now();
    try {
      await runCli(["probe", `127.0.0.1:${port}`, "--no-dns", "--attempts", "1", "--timeout", "1500", "--deadline", "4"], {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
        progress: (t) => progress.push(t),
      });
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(progress[0]).toMatch(/^\r\x1b\[Kprobing: 0 of 1 endpoint\(s\) done, 1 s$/);
    expect(progress.at(-1)).toBe("\r\x1b[K");
    expect(stdout).not.toContain("probing:");
  });

  it("--help fits 100 columns and documents the exit statuses", async () => {
    const { stdout } = await cli("--help");
    const long = stdout.split("\n").filter((l) => l.length > 100);
    expect(long).toEqual([]);
    expect(stdout).toMatch(/\n {2}2 {2}usage error.*\n {2}3 {2}nothing could be probed/);
  });

  it("--help prints usage and exits 0", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).toBe(0);
    expect(stdout).toContain("tls-pool-monitor probe <host[:port]>");
    expect(stdout).toContain("--member IP[:PORT]");
  });
});

describe("probing", () => {
  it("--json on a divergent pool: the document has the summary, certificates, members, VIP connections, findings; exit 1", async () => {
    const pool = await harness.pool(
      pki,
      (await distinctIdentities(pki, 3)).map((certificate) => ({ certificate })),
    );
    const args = ["probe", pool.vip.label, "--servername", SERVICE, "--no-dns", "--attempts", "4", "--ca", join(dir, "root.pem"), "--json"];
    for (const m of pool.members) args.push("--member", m.label);
    const { code, stdout, stderr } = await cli(...args);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.summary).toMatchObject({
      certificateVariants: 3,
      resumptionAttempts: 9,
      resumptionRefused: 9,
      certificateChangesOnResumption: 9,
      renegotiationFailures: 0,
      handshakeFailures: 0,
      minDaysToExpiry: 89,
    });
    expect(doc.certificates).toHaveLength(4); // three leaves and the root
    expect(doc.members.map((m: { label: string }) => m.label)).toEqual(pool.members.map((m) => m.label));
    expect(doc.vip.connections).toHaveLength(12);
    expect(doc.findings.map((f: { kind: string }) => f.kind)).toEqual(expect.arrayContaining(["certificate-divergence", "certificate-change-on-resumption"]));
    expect(
      doc.findings.every((f: { message: string; severity: string }) => f.message.length > 20 && ["critical", "warning", "info"].includes(f.severity)),
    ).toBe(true);
  });

  it("a consistent pool exits 0 and says so", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const ticketKeys = sharedTicketKeys();
    const cache = new Map<string, Buffer>();
    const pool = await harness.pool(
      pki,
      [0, 1].map(() => ({ certificate: cert, ticketKeys, sessionCache: cache })),
    );
    const { code, stdout } = await cli(
      "probe",
      pool.vip.label,
      "--servername",
      SERVICE,
      "--no-dns",
      "--member",
      pool.members[0]!.label,
      "--member",
      pool.members[1]!.label,
      "--attempts",
      "3",
      "--ca",
      join(dir, "root.pem"),
    );
    expect(code).toBe(0);
    expect(stdout).toContain("Certificate variants: 1");
    // Node members accept client renegotiation: a hygiene warning, shown, that does not fail the run.
    expect(stdout).toContain("Findings (0 critical, 1 warning");
    expect(stdout).toContain("client-renegotiation-accepted");
  });

  it("exit 3 (not 2, which is a usage error) with the reason when nothing could be probed", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const port = member.port;
    await harness.closeAll();
    const { code, stderr, stdout } = await cli("probe", `127.0.0.1:${port}`, "--no-dns", "--attempts", "1", "--json");
    expect(code).toBe(3);
    expect(stderr).toMatch(/nothing could be probed for 127\.0\.0\.1:\d+: Every connection through the VIP .* failed \(3 refused\)/);
    expect(JSON.parse(stdout).summary.reachable).toBe(false);
  });

  it("an untrusted certificate is critical and the fingerprints are still compared", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const { code, stdout } = await cli("probe", member.label, "--servername", SERVICE, "--no-dns", "--attempts", "2", "--json");
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.findings[0]).toMatchObject({ kind: "certificate-untrusted", severity: "critical" });
    expect(doc.summary.certificateVariants).toBe(1);
  });

  it("--registry probes each endpoint; a bad entry is reported and the others still run", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const member = await harness.member({ certificate: cert });
    const file = join(dir, "registry.json");
    writeFileSync(
      file,
      JSON.stringify({
        endpoints: [
          { name: "ok", host: "127.0.0.1", port: member.port, servername: SERVICE, discover: "none", attempts: 2, ca: "root.pem" },
          { name: "broken", host: "127.0.0.1", port: "443" },
        ],
      }),
    );
    const { code, stdout, stderr } = await cli("probe", "--registry", file, "--json");
    expect(stderr).toContain('endpoint endpoints[1] ("broken"): port:');
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.endpoints.map((e: { endpoint: { name: string } }) => e.endpoint.name)).toEqual(["ok"]);
    expect(doc.endpoints[0].summary.handshakeFailures).toBe(0);
    expect(doc.registryErrors).toHaveLength(1);
  });

  it("--registry: a member that floods application data beside a healthy endpoint costs neither its result nor the other's", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const flood = (s: TLSSocket): void => {
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on("drain", pump);
      pump();
    };
    const bad = await harness.member({ certificate: cert, onSecure: flood });
    const good = await harness.member({ certificate: cert });
    const file = join(dir, "registry-flood.json");
    const entry = (name: string, port: number) => ({
      name,
      host: "127.0.0.1",
      port,
      servername: SERVICE,
      members: [`127.0.0.1:${port}`],
      discover: "none",
      attempts: 2,
      ca: "root.pem",
    });
    writeFileSync(file, JSON.stringify({ endpoints: [entry("flooding", bad.port), entry("healthy", good.port)] }));
    const { stdout } = await cli("probe", "--registry", file, "--json");
    const doc = JSON.parse(stdout);
    expect(doc.endpoints.map((e: { endpoint: { name: string } }) => e.endpoint.name)).toEqual(["flooding", "healthy"]);
    for (const e of doc.endpoints) {
      expect(e.summary.handshakeFailures, e.endpoint.name).toBe(0);
      expect(e.summary.renegotiationFailures, e.endpoint.name).toBe(0);
    }
  });
});

describe("the installed command", () => {
  it("npx tls-pool-monitor --help runs the package bin", async () => {
    const { stdout } = await run("npx", ["--no-install", "tls-pool-monitor", "--help"], { cwd: process.cwd() });
    expect(stdout).toContain("Usage:");
  });

  it("demo: starts a divergent pool, reports it, stops it, exits 0", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "lambda/bin.ts", "demo"], { cwd: process.cwd(), timeout: 60_000 });
    expect(stdout).toContain("Certificate variants: 3");
    expect(stdout).toMatch(/session-id: #0F[ABC] {2}#1F[ABC]!/);
    expect(stdout).toContain("certificate-change-on-resumption");
    expect(stdout).toContain("ems-missing");
  });
});

describe("--jsonl", () => {
  it("--registry --jsonl: one JSON document per line, one per endpoint", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const member = await harness.member({ certificate: cert });
    const file = join(dir, "registry-jsonl.json");
    const entry = (name: string) => ({ name, host: "127.0.0.1", port: member.port, servername: SERVICE, discover: "none", attempts: 2, ca: "root.pem" });
    writeFileSync(file, JSON.stringify({ endpoints: [entry("one"), entry("two"), entry("three")] }));
    const { code, stdout } = await cli("probe", "--registry", file, "--jsonl");
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => JSON.parse(l).endpoint.name).sort()).toEqual(["one", "three", "two"]);
    expect(lines.every((l) => JSON.parse(l).summary.certificateVariants === 1)).toBe(true);
    expect(code).toBe(0);
  });
});

describe("--deadline", () => {
  const h = new Harness();
  afterAll(() => h.closeAll());

  it("an endpoint the deadline cuts is reported NOT FINISHED, never analysed, exit 1", async () => {
    const port = await h.rawServer(() => undefined); // accepts TCP, never answers: every connection waits its timeout
    const { code, stdout } = await cli("probe", `127.0.0.1:${port}`, "--no-dns", "--timeout", "5000", "--deadline", "1", "--json");
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.notFinished.reason).toBe("deadline");
    expect(doc.summary).toBeUndefined();
  });
});

describe("--history FILE: the function's memory for a cron user", () => {
  it("a divergent pool: announced on the first run, not again; timeline shows each member's certificate and since when", async () => {
    const pool = await harness.pool(
      pki,
      (await distinctIdentities(pki, 2)).map((certificate) => ({ certificate })),
    );
    const history = join(dir, "history.json");
    const args = [
      "probe",
      `${pool.vip.host}:${pool.vip.port}`,
      "--no-dns",
      "--ca",
      join(dir, "root.pem"),
      "--attempts",
      "2",
      "--servername",
      SERVICE,
      "--history",
      history,
    ];
    for (const m of pool.members) args.push("--member", m.label);
    const first = await cli(...args);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /history: [^:]+:\d+: would announce divergence: \[tls-pool-monitor\] [^\n]*2 certificate variants[^\n]*\(tpm-[0-9a-f]{10}-1-divergence\)/,
    );
    const second = await cli(...args);
    expect(second.stderr).not.toContain("would announce");
    const name = `${pool.vip.host}:${pool.vip.port}`;
    const timeline = await cli("timeline", name, "--history", history);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toMatch(new RegExp(`^${name.replace(/\./g, "\\.")}: told divergent \\(since \\d{4}-`));
    for (const m of pool.members) expect(timeline.stdout).toContain(`${m.label}:\n  `);
    expect(timeline.stdout.match(/ \.\. /g)).toHaveLength(2);
    // Bad uses, named.
    expect((await cli("timeline", name)).stderr).toMatch(/timeline: give --history FILE or --table NAME/);
    writeFileSync(join(dir, "not-history.json"), "[]");
    expect((await cli("timeline", name, "--history", join(dir, "not-history.json"))).stderr).toMatch(/not-history\.json: not a history file/);
    expect((await cli(...args, "--jsonl")).stderr).toMatch(/--history: not with --jsonl/);
  });
});

describe("outputs and deadlines", () => {
  it("--html or --history to a FIFO: refused before probing, within a second (it hung after the probe)", async () => {
    const fifo = join(dir, "out.fifo");
    await run("mkfifo", [fifo]);
    const started = Date.now();
    const html = await cli("probe", "192.0.2.1", "--no-dns", "--html", fifo);
    expect(html.code).toBe(2);
    expect(html.stderr).toContain(`--html ${fifo}: not a regular file (a FIFO); give a file path`);
    const history = await cli("probe", "192.0.2.1", "--no-dns", "--history", dir);
    expect(history.stderr).toContain(`--history ${dir}: not a regular file (a directory)`);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("--json --deadline cuts what --jsonl cuts: endpoints are started a bounded number at a time in both", async () => {
    const pool = await harness.pool(pki, [{ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) }]);
    const registry = join(dir, "deadline-registry.json");
    const endpoints = Array.from({ length: 40 }, (_, i) => ({
      name: `e${i}`,
      host: pool.vip.host,
      port: pool.vip.port,
      servername: SERVICE,
      members: pool.members.map((m) => m.label),
      discover: "none",
      ca: "root.pem",
      attempts: 2,
    }));
    writeFileSync(registry, JSON.stringify({ endpoints }));
    // Concurrency 4: a few endpoints at a time; the deadline lands while most are queued, never all half done.
    const json = JSON.parse((await cli("probe", "--registry", registry, "--json", "--deadline", "1", "--concurrency", "4")).stdout) as {
      endpoints: Array<{ notFinished?: unknown }>;
    };
    const finished = json.endpoints.filter((e) => e.notFinished === undefined).length;
    expect(json.endpoints).toHaveLength(40);
    expect(finished).toBeGreaterThan(0);
  });
});

describe("--version", () => {
  it("prints the package's name and version, from the sources and from the build", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect((await cli("--version")).stdout).toBe(`tls-pool-monitor ${version}\n`);
    const fromSources = await run("npx", ["tsx", "lambda/bin.ts", "--version"]);
    expect(fromSources.stdout).toBe(`tls-pool-monitor ${version}\n`);
  });
});
