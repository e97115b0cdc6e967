/**
 * tls-pool-monitor command line: `probe` one endpoint (or a registry), `demo` against a loopback pool.
 * A thin composition of the probe core, the analysis and the report.
 */
import { KEY_PASSPHRASE_ENV, MAX_CLIENT_CERTIFICATE_BYTES } from "./registry/client-certificate.js";
import { MAX_CA_BYTES, readTextFile } from "./registry/files.js";
import { statSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { outcomeOf, type EndpointOutcome } from "./outcome.js";
import { probeEach, type ProbeOptions } from "./probe/endpoint.js";
import type { EndpointProbe } from "./probe/types.js";
import { describePlan, planEndpoint } from "./probe/plan.js";
import { loadRegistryFile } from "./registry/load.js";
import { clientSecretArn, RegistryError, validateEndpoint, type Endpoint, type EndpointInput } from "./registry/schema.js";
import { endpointReport, endpointVerdict, notFinishedReport, registryReport, runVerdict, type ReportVerdict } from "./report/json.js";
import { fit, renderText, TEXT_WIDTH } from "./report/text.js";
import { MAX_CLI_CONCURRENCY } from "./settings.js";
import { EXPIRY_WARNING_DAYS } from "./analysis/expiry.js";
import { USAGE, versionLine } from "./usage.js";

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
/** Nothing could be probed: no endpoint answered a handshake or presented a certificate (testssl tells it apart too). */
export const EXIT_UNREACHABLE = 3;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  color?: boolean;
  /** Where the key passphrase is read from (KEY_PASSPHRASE_ENV); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Columns of the report (the terminal's); TEXT_WIDTH when absent. */
  width?: number;
  /** Progress while probing, rewritten in place (given when stderr is a terminal). */
  progress?: (text: string) => void;
}

/** How often progress is redrawn, and after how long a run starts showing it. */
const PROGRESS_EVERY_MS = 1_000;

class UsageError extends Error {}

/** Flags that describe one endpoint: meaningless beside --registry. */
const ENDPOINT_FLAGS = ["servername", "member", "no-dns", "target-group", "attempts", "ca", "cert", "key", "proxy-protocol", "timeout"] as const;

/** The flag that sets each registry field (typed by the schema: a new field needs its flag, or a reason here). */
const FLAG_OF_FIELD: Record<Exclude<keyof EndpointInput, "name" | "discover">, string> & Record<string, string | undefined> = {
  host: "<host[:port]>",
  port: "<host[:port]> port",
  servername: "--servername",
  attempts: "--attempts",
  ca: "--ca",
  timeoutMs: "--timeout",
  members: "--member",
  targetGroupArn: "--target-group",
  clientCertificate: "--cert",
  proxyProtocol: "--proxy-protocol",
};

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseTarget(text: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  if (isIP(text) === 6) return { host: text };
  const m = /^([^:]+):([^:]*)$/.exec(text);
  if (!m) return { host: text };
  if (!/^\d+$/.test(m[2]!)) throw new UsageError(`<host[:port]>: "${text}" has an invalid port "${m[2]}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${name}: "${value}" is not a whole number`);
  return Number(value);
}

function endpointFromArgs(target: string, values: Record<string, unknown>, passphrase: string | undefined): Endpoint {
  const { host, port } = parseTarget(target);
  const raw: Record<string, unknown> = { name: target, host };
  if (port !== undefined) raw.port = port;
  if (values.servername !== undefined) raw.servername = values.servername;
  if (values.member !== undefined) raw.members = values.member;
  if (values["no-dns"]) raw.discover = "none";
  if (values["target-group"] !== undefined) raw.targetGroupArn = values["target-group"];
  if (values["proxy-protocol"] !== undefined) raw.proxyProtocol = values["proxy-protocol"];
  const attempts = integerOption("attempts", values.attempts as string | undefined);
  if (attempts !== undefined) raw.attempts = attempts;
  const timeout = integerOption("timeout", values.timeout as string | undefined);
  if (timeout !== undefined) raw.timeoutMs = timeout;
  if (values.ca !== undefined) {
    const file = values.ca as string;
    try {
      raw.ca = readTextFile(file, MAX_CA_BYTES);
    } catch (err) {
      throw new UsageError(`--ca: ${(err as Error).message}`);
    }
  }
  if (values.key !== undefined && values.cert === undefined) throw new UsageError("--key: give --cert too (the certificate the key belongs to)");
  if (values.cert !== undefined) raw.clientCertificate = { cert: values.cert, ...(values.key === undefined ? {} : { key: values.key }) };
  try {
    return validateEndpoint(raw, {
      source: "command line",
      label: target,
      // The flags name files on this machine, read as given (absolute or relative to the working directory).
      readClientFile: (file) => readTextFile(file, MAX_CLIENT_CERTIFICATE_BYTES),
      ...(passphrase === undefined ? {} : { passphrase }),
    });
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    const root = err.field?.split(/[.[]/)[0] ?? "";
    const flag = root === "ca" && values.ca !== undefined ? `--ca ${values.ca as string}` : (FLAG_OF_FIELD[root] ?? err.field ?? target);
    throw new UsageError(`${flag}: ${err.reason}`);
  }
}

type Finished = Extract<EndpointOutcome, { kind: "finished" }>;
const finishedOf = (outcomes: EndpointOutcome[]): Finished[] => outcomes.filter((o): o is Finished => o.kind === "finished");

/**
 * The exit status says the document's verdict (report/json.ts runVerdict): an endpoint not finished is a result
 * nobody can trust (1, like a finding); hygiene warnings (a member's EMS, TLS 1.3, client renegotiation) are
 * reported but do not fail the run.
 */
const EXIT_FOR_VERDICT: Record<ReportVerdict, number> = { ok: EXIT_OK, findings: EXIT_FINDINGS, "not-finished": EXIT_FINDINGS, unreachable: EXIT_UNREACHABLE };

const verdictOf = (o: EndpointOutcome): ReportVerdict => (o.kind === "finished" ? endpointVerdict(o.analysis.summary) : "not-finished");

function exitCodeFor(outcomes: EndpointOutcome[], rejectedEntries = 0): number {
  return EXIT_FOR_VERDICT[runVerdict(outcomes.map(verdictOf), rejectedEntries)];
}

/** --endpoint NAME…: the registry's entries of those names, in the registry's order; a name it lacks is a usage error. */
function selectEndpoints(endpoints: Endpoint[], names: string[] | undefined, registry: string): Endpoint[] {
  if (names === undefined) return endpoints;
  const known = new Set(endpoints.map((e) => e.name));
  const missing = names.filter((n) => !known.has(n));
  if (missing.length)
    throw new UsageError(`--endpoint: ${missing.map((n) => JSON.stringify(n)).join(", ")} not among the ${endpoints.length} valid entries of ${registry}`);
  const wanted = new Set(names);
  return endpoints.filter((e) => wanted.has(e.name));
}

function printPlans(endpoints: Endpoint[], json: boolean, io: CliIo): number {
  const plans = endpoints.map((e) => planEndpoint(e));
  if (json) io.stdout(JSON.stringify(plans.length === 1 ? plans[0] : { plans }, null, 2) + "\n");
  else
    io.stdout(plans.map(describePlan).join("\n") + `\n${plans.length} endpoint(s), ${plans.reduce((n, p) => n + p.connections.total, 0)} connections in all\n`);
  return EXIT_OK;
}

const notFinishedText = (o: Extract<EndpointOutcome, { kind: "not-finished" }>) =>
  `tls-pool-monitor — ${o.endpoint.name}: NOT FINISHED (${o.reason}): ${o.message}. Nothing is concluded from a cut probe.`;

const documentOf = (o: EndpointOutcome) =>
  o.kind === "finished" ? endpointReport(o.probe, o.analysis) : notFinishedReport(o.probe.endpoint, o.reason, o.message);

/** Prints the report, or the JSON document (one endpoint's, or the registry's with its errors). */
function print(outcomes: EndpointOutcome[], json: boolean, io: CliIo, registryErrors?: string[]): void {
  if (json) {
    const docs = outcomes.map(documentOf);
    const doc = docs.length === 1 && registryErrors === undefined ? docs[0] : registryReport(registryErrors ?? [], docs);
    io.stdout(JSON.stringify(doc, null, 2) + "\n");
    return;
  }
  const width = io.width ?? TEXT_WIDTH;
  const texts = outcomes.map((o) =>
    o.kind === "finished" ? renderText(o.probe, o.analysis, { color: io.color ?? false, width }) : fit([notFinishedText(o)], width).join("\n"),
  );
  io.stdout(texts.join("\n\n" + "=".repeat(width) + "\n\n") + "\n");
}

/**
 * Probe options under the CLI's own deadline (--deadline), when given: what it cuts is reported not finished. The
 * AWS SDK loads only when an endpoint has a target group (default credential chain; the ARN's region).
 */
async function underDeadline<T>(
  endpoints: Endpoint[],
  concurrency: number | undefined,
  deadlineSeconds: number | undefined,
  run: (options: ProbeOptions & { concurrency?: number }) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = deadlineSeconds === undefined ? undefined : setTimeout(() => controller.abort(), deadlineSeconds * 1000);
  const targetGroups = endpoints.some((e) => e.targetGroupArn) ? new (await import("./aws/publisher.js")).AwsTargetGroups().lookup : undefined;
  // A registry entry's { "secretArn": … } is read with the default credentials, as the function reads it.
  const clientCertificates = endpoints.some((e) => clientSecretArn(e) !== undefined)
    ? new (await import("./aws/publisher.js")).AwsClientCertificates().lookup
    : undefined;
  try {
    return await run({
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(timer ? { signal: controller.signal } : {}),
      ...(targetGroups ? { targetGroups } : {}),
      ...(clientCertificates ? { clientCertificates } : {}),
    });
  } finally {
    clearTimeout(timer);
  }
}

async function probeAll(endpoints: Endpoint[], concurrency: number | undefined, deadlineSeconds: number | undefined, io: CliIo): Promise<EndpointOutcome[]> {
  const probes = new Array<EndpointProbe>(endpoints.length);
  let done = 0;
  const stop = showProgress(io, () => `${done} of ${endpoints.length} endpoint(s) done`);
  try {
    await underDeadline(endpoints, concurrency, deadlineSeconds, (options) =>
      probeEach(
        endpoints,
        (probe, i) => {
          probes[i] = probe;
          done++;
        },
        options,
      ),
    );
  } finally {
    stop();
  }
  return probes.map((probe, i) => outcomeOf(endpoints[i]!, probe));
}

/**
 * "probing: 3 of 10 endpoint(s) done, 12 s" on stderr, redrawn every second while the run lasts, erased at the
 * end; only when the caller gave a progress writer (stderr is a terminal: never in a pipe, a log or a test).
 */
function showProgress(io: CliIo, status: () => string): () => void {
  const write = io.progress;
  if (!write) return () => undefined;
  const started = Date.now();
  const timer = setInterval(() => write(`\r\x1b[Kprobing: ${status()}, ${Math.round((Date.now() - started) / 1000)} s`), PROGRESS_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (Date.now() - started >= PROGRESS_EVERY_MS) write("\r\x1b[K");
  };
}

/** --jsonl: each endpoint's document on its own line as soon as it is done; only what the exit code needs is kept. */
async function streamJsonLines(
  endpoints: Endpoint[],
  concurrency: number | undefined,
  deadlineSeconds: number | undefined,
  rejectedEntries: number,
  io: CliIo,
): Promise<number> {
  const kept: ReportVerdict[] = [];
  const stop = showProgress(io, () => `${kept.length} of ${endpoints.length} endpoint(s) done`);
  await underDeadline(endpoints, concurrency, deadlineSeconds, (options) =>
    probeEach(
      endpoints,
      (probe, i) => {
        const o = outcomeOf(endpoints[i]!, probe);
        io.stdout(JSON.stringify(documentOf(o)) + "\n");
        kept.push(verdictOf(o));
      },
      options,
    ),
  ).finally(stop);
  return EXIT_FOR_VERDICT[runVerdict(kept, rejectedEntries)];
}

/** --html FILE: the self-contained page beside the usual output; a file that cannot be written is a usage error. */
async function writeHtml(file: string | undefined, outcomes: EndpointOutcome[], io: CliIo): Promise<void> {
  if (file === undefined) return;
  const { renderHtml } = await import("./report/html.js");
  try {
    writeFileSync(file, renderHtml(outcomes));
  } catch (err) {
    throw new UsageError(`--html ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  io.stderr(`tls-pool-monitor: wrote ${file}\n`);
}

function unreachableMessage(outcomes: EndpointOutcome[]): string {
  return finishedOf(outcomes)
    .filter((r) => !r.analysis.summary.reachable)
    .map((r) => {
      const first = r.analysis.findings.find((f) => f.kind === "handshake-failure");
      return `nothing could be probed for ${r.probe.endpoint.name}${first ? `: ${first.message}` : ""}`;
    })
    .join("\n");
}

/**
 * --history FILE: the function's memory for a cron user. Each finished endpoint's observation is decided against the
 * file (the same decisions, the same compare-and-set), and what the function would announce, and the rotation
 * findings, go to stderr; the file keeps the timeline. What is announced here is settled at once: printing is sending.
 */
async function remember(file: string | undefined, outcomes: EndpointOutcome[], io: CliIo): Promise<void> {
  if (file === undefined) return;
  const { HistoryFile } = await import("./memory/history-file.js");
  const { decide, observe, PENDING_MAX_AGE_MS, ROLLOUT_STALL_MS_DEFAULT } = await import("./memory/model.js");
  const { alertFor } = await import("./report/alerts.js");
  const store = new HistoryFile(file);
  const now = new Date();
  let memories;
  try {
    memories = await store.read(outcomes.map((o) => o.endpoint.name));
  } catch (err) {
    throw new UsageError(`--history ${(err as Error).message}`);
  }
  for (const o of outcomes) {
    const seen = o.kind === "finished" ? observe(o.probe, o.analysis, now) : undefined;
    const announcement =
      seen && seen.state !== "unknown" ? alertFor(o.probe, (o as Finished).analysis, seen.state === "divergent" ? undefined : "divergent") : undefined;
    const decision = decide(memories.get(o.endpoint.name)!, seen && { ...seen, ...(announcement ? { announcement } : {}) }, now, {
      // A cron user runs by hand or by schedule: a change is told the first time it is seen.
      confirmRuns: 1,
      rolloutStallMs: ROLLOUT_STALL_MS_DEFAULT,
      expiryWarningDays: EXPIRY_WARNING_DAYS,
      claimUntil: now,
      pendingMaxAgeMs: PENDING_MAX_AGE_MS,
    });
    try {
      if (!(await store.write(o.endpoint.name, { next: decision.next, claim: decision.publish, drop: decision.dropped.map((d) => d.pending.id) })))
        io.stderr(`history: ${o.endpoint.name}: another run wrote ${file} first; nothing recorded for it this time\n`);
      else for (const p of decision.publish) await store.settle(o.endpoint.name, p.id);
    } catch (err) {
      throw new UsageError(`--history ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    for (const f of decision.findings) io.stderr(`history: ${o.endpoint.name}: [${f.severity}] ${f.message}\n`);
    for (const p of decision.publish) io.stderr(`history: ${o.endpoint.name}: would announce ${p.kind}: ${p.subject} (${p.id})\n`);
  }
}

/** `timeline <endpoint> --history FILE | --table NAME`: what the memory holds of one endpoint. */
async function printTimeline(rest: string[], history: string | undefined, table: string | undefined, io: CliIo): Promise<number> {
  if (rest.length !== 1) throw new UsageError("timeline: give one endpoint name");
  if ((history === undefined) === (table === undefined)) throw new UsageError("timeline: give --history FILE or --table NAME (the function's DynamoDB table)");
  const store =
    history !== undefined
      ? new (await import("./memory/history-file.js")).HistoryFile(history)
      : (await import("./aws/state-table.js")).DynamoMemoryStore.create(table!);
  const { renderTimeline } = await import("./report/timeline.js");
  let memory;
  try {
    memory = (await store.read(rest))?.get(rest[0]!);
  } catch (err) {
    throw new UsageError(`timeline: ${history ?? table}: ${(err as Error).message}`);
  }
  if (!memory) throw new UsageError(`timeline: ${table ?? history}: ${rest[0]} could not be read`);
  io.stdout(renderTimeline(rest[0]!, memory) + "\n");
  return EXIT_OK;
}

/**
 * An output file must be a regular file (or not exist yet): writing to a FIFO nobody reads, or a device, would hang
 * or misbehave after the whole probe. Checked before probing, so that the error comes within a second.
 */
function checkOutputFile(flag: string, file: string | undefined): void {
  if (file === undefined) return;
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return; // created when written
  }
  if (!stats.isFile())
    throw new UsageError(
      `${flag} ${file}: not a regular file (a ${stats.isFIFO() ? "FIFO" : stats.isDirectory() ? "directory" : "device or socket"}); give a file path`,
    );
}

const OPTIONS = {
  servername: { type: "string" },
  member: { type: "string", multiple: true },
  "no-dns": { type: "boolean" },
  "target-group": { type: "string" },
  attempts: { type: "string" },
  ca: { type: "string" },
  cert: { type: "string" },
  "proxy-protocol": { type: "string" },
  key: { type: "string" },
  timeout: { type: "string" },
  concurrency: { type: "string" },
  registry: { type: "string" },
  endpoint: { type: "string", multiple: true },
  json: { type: "boolean" },
  plan: { type: "boolean" },
  jsonl: { type: "boolean" },
  html: { type: "string" },
  deadline: { type: "string" },
  history: { type: "string" },
  table: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/**
 * parseArgs with our own wording: Node's text ("To specify a positional argument starting with a '-', place it at
 * the end of the command after '--'…") answers a question nobody asked; ours names the option and the fix.
 */
function parseArguments(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = (err as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${option}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
      throw new UsageError(
        /argument missing/.test(message) ? `${option.split(" ")[0]}: needs a value` : `${option.split(" ")[0]}: takes no value (it is a switch)`,
      );
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? "")}`);
    throw err;
  }
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArguments(argv);
    const [command, ...rest] = positionals;
    const passphrase = (io.env ?? process.env)[KEY_PASSPHRASE_ENV];
    if (values.help || command === "help") {
      io.stdout(USAGE + "\n");
      return EXIT_OK;
    }
    if (values.version) {
      io.stdout(versionLine() + "\n");
      return EXIT_OK;
    }
    const concurrency = integerOption("concurrency", values.concurrency);
    const deadline = integerOption("deadline", values.deadline);
    if (deadline !== undefined && (deadline < 1 || deadline > 86_400)) throw new UsageError("--deadline: must be 1-86400 seconds");
    if (concurrency !== undefined && (concurrency < 1 || concurrency > MAX_CLI_CONCURRENCY))
      throw new UsageError(`--concurrency: must be 1-${MAX_CLI_CONCURRENCY}`);
    checkOutputFile("--html", values.html);
    checkOutputFile("--history", values.history);
    if (command === "demo") {
      if (rest.length) throw new UsageError(`demo: unexpected argument "${rest[0]}"`);
      // The lab (PKI, Node members, TCP VIP) loads only for the demo: every other command starts without it.
      const { startDemoPool } = await import("./lab/demo-pool.js");
      const pool = await startDemoPool();
      try {
        const results = await probeAll([pool.endpoint], concurrency, deadline, io);
        print(results, values.json ?? false, io);
        await writeHtml(values.html, results, io);
      } finally {
        await pool.close();
      }
      return EXIT_OK;
    }
    if (command === "timeline") return await printTimeline(rest, values.history, values.table, io);
    if (command !== "probe") {
      throw new UsageError(
        command === undefined ? "missing command (probe, demo or timeline)" : `unknown command "${command}" (expected probe, demo or timeline)`,
      );
    }
    if (values.table !== undefined) throw new UsageError("--table: only with timeline (probe keeps its own history with --history FILE)");
    if (values.history !== undefined && values.jsonl) throw new UsageError("--history: not with --jsonl (it keeps no observations); use --json or the report");
    if (values.registry !== undefined) {
      if (rest.length) throw new UsageError(`--registry: give either a registry file or one <host[:port]>, not both`);
      // The registry's entries carry their own settings: a per-endpoint flag beside it would be silently ignored.
      const ignored = ENDPOINT_FLAGS.filter((flag) => values[flag] !== undefined);
      if (ignored.length)
        throw new UsageError(
          `--registry: ${ignored.map((f) => `--${f}`).join(", ")} set${ignored.length === 1 ? "s" : ""} one endpoint; put it in the registry's entries instead`,
        );
      const load = loadRegistryFile(values.registry, { reader: "cli", ...(passphrase === undefined ? {} : { passphrase }) });
      const endpoints = selectEndpoints(load.endpoints, values.endpoint, values.registry);
      for (const e of load.errors) io.stderr(`error: ${e.message}\n`);
      if (endpoints.length === 0) return EXIT_USAGE;
      if (values.plan) return printPlans(endpoints, values.json ?? false, io);
      if (values.jsonl) {
        if (values.html !== undefined) throw new UsageError("--html: not with --jsonl (it keeps no records to draw); use --json or the report");
        return await streamJsonLines(endpoints, concurrency, deadline, load.errors.length, io);
      }
      const results = await probeAll(endpoints, concurrency, deadline, io);
      print(
        results,
        values.json ?? false,
        io,
        load.errors.map((e) => e.message),
      );
      await remember(values.history, results, io);
      await writeHtml(values.html, results, io);
      if (finishedOf(results).some((r) => !r.analysis.summary.reachable)) io.stderr(unreachableMessage(results) + "\n");
      return exitCodeFor(results, load.errors.length);
    }
    if (values.endpoint !== undefined) throw new UsageError("--endpoint: only with --registry (it picks entries of the registry)");
    if (rest.length === 0) throw new UsageError("probe: missing <host[:port]>");
    if (rest.length > 1) throw new UsageError(`probe: one <host[:port]> at a time (got ${rest.join(", ")}); use --registry for several`);
    const endpoint = endpointFromArgs(rest[0]!, values, passphrase);
    if (values.plan) return printPlans([endpoint], values.json ?? false, io);
    const results = await probeAll([endpoint], concurrency, deadline, io);
    print(results, values.json ?? false, io);
    await remember(values.history, results, io);
    await writeHtml(values.html, results, io);
    const code = exitCodeFor(results);
    if (code === EXIT_UNREACHABLE) io.stderr(unreachableMessage(results) + "\n");
    return code;
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`tls-pool-monitor: ${(err as Error).message}\nRun tls-pool-monitor --help for usage.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
