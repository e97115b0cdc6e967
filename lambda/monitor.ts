/**
 * One monitoring run, shared by the Lambda handler and `npm run invoke`: probe the endpoints under a deadline,
 * analyse, read what subscribers were told and what earlier runs saw, alert on confirmed transitions, publish
 * metrics (EMF log lines for whatever CloudWatch does not take in time). AWS I/O goes through the publisher only,
 * and all of it ends by the run's AWS deadline.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { boundedError, type AwsPublisher } from "./aws/publisher.js";
import { outcomeOf, type EndpointOutcome, type NotFinishedReason } from "./outcome.js";
import { probeEach } from "./probe/endpoint.js";
import type { RuleSettings } from "./analysis/rules.js";
import type { ClientCertificateLookup, TargetGroupLookup } from "./probe/types.js";
import type { Endpoint, RegistryError } from "./registry/schema.js";
import { alertFor, withOrigin, type AlertOrigin } from "./report/alerts.js";
import { decide, observe, PENDING_MAX_AGE_MS, ROLLOUT_STALL_MS_DEFAULT, type Decision, type EndpointMemory, type Observation } from "./memory/model.js";
import type { MemoryStore } from "./memory/store.js";
import { batchDatums } from "./report/batches.js";
import { emfLines } from "./report/emf.js";
import { discoveryFailed } from "./analysis/discovery.js";
import { alertFailuresDatum, endpointDatums, missedEndpointDatums, runDatums, type DatumTarget, type MetricsLevel } from "./report/metrics.js";
import { shardOf } from "./registry/shard.js";
import { CONFIRM_RUNS_DEFAULT } from "./settings.js";
import { EXPIRY_WARNING_DAYS } from "./analysis/expiry.js";

export type Logger = (line: Record<string, unknown>) => void;

/**
 * The function's log lines. Under Lambda's JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON, set by the construct) each
 * line is passed as one object to the console method of its level: Lambda makes it the `message` of its own JSON
 * record, with that level, which the function's application log level filters. Elsewhere (text format, tests) one
 * JSON string per line.
 */
export const jsonLogger: Logger = (line) => {
  if (process.env.AWS_LAMBDA_LOG_FORMAT !== "JSON") {
    console.log(JSON.stringify(line));
    return;
  }
  const level = line.level;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else if (level === "debug") console.debug(line);
  else console.info(line);
};

/**
 * EMF documents straight to stdout: under Lambda's JSON log format a console line becomes the `message` of
 * Lambda's record, which CloudWatch does not read as EMF; a raw stdout line is read in either format.
 */
const stdoutEmf = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export interface MonitorOptions {
  publisher: AwsPublisher;
  namespace: string;
  /** Alerts go nowhere (and are logged) without a topic. */
  topicArn?: string;
  /** Milliseconds the probes may take; endpoints not done by then are reported as not finished. */
  budgetMs: number;
  /** An outside stop: acts as the probe deadline reached at that moment; what finished is still published. */
  stop?: AbortSignal;
  /**
   * Milliseconds from the run's start by which every AWS call (state read, metrics, alerts) must have ended; what
   * is not published by then is written as EMF lines. Default: budgetMs + DEFAULT_AWS_RESERVE_MS.
   */
  awsDeadlineMs?: number;
  concurrency?: number;
  /**
   * Fleet alarms (alarmMode "fleet"): the deployment's shard count; the metrics those alarms query then carry the
   * endpoint's shard as a dimension. Absent: per-endpoint alarms, `Endpoint` alone.
   */
  fleetShards?: number;
  /** What the analysis rules read from the deployment (the expiry threshold); default DEFAULT_RULE_SETTINGS. */
  ruleSettings?: RuleSettings;
  /** The deployment that runs this (account, region, function): the "Where:" line of every message. */
  origin?: AlertOrigin;
  /** Reads target groups (lambda/aws), for endpoints that have one. */
  targetGroups?: TargetGroupLookup;
  /** Reads client certificates from their secrets (lambda/aws), for endpoints whose certificate is a secret. */
  clientCertificates?: ClientCertificateLookup;
  /** Endpoints probed at once (default: the connection bound, at least MIN_ENDPOINTS_IN_FLIGHT). */
  endpointsInFlight?: number;
  /**
   * The monitor's memory (what subscribers were told, recent states, the certificate timeline). Without one, or
   * when it cannot be read, nothing is announced (never a repeat), and the metrics still go out.
   */
  memory?: MemoryStore;
  /** Consecutive runs that must agree before a state change is alerted (hysteresis). Default CONFIRM_RUNS_DEFAULT. */
  confirmRuns?: number;
  /** A certificate rollout not completed after this long is announced as stalled. Default ROLLOUT_STALL_MS_DEFAULT. */
  rolloutStallMs?: number;
  /** Which metrics go out per endpoint (report/metrics.ts METRIC_LEVELS). Default "essential". */
  metrics?: MetricsLevel;
  /** The shard this run probes (its run-level datums carry it). */
  shard?: number;
  log: Logger;
  now?: () => Date;
  /** Writes EMF lines (stdout in Lambda, where CloudWatch Logs picks them up). */
  emf?: (line: string) => void;
}

/** Time for the post-probe AWS phase when the caller gives no explicit deadline. */
export const DEFAULT_AWS_RESERVE_MS = 20_000;
/** Shares of the AWS time left that the memory read and the announcements may use; the metrics get all that remains. */
const STATE_READ_SHARE = 0.35;
const ALERTS_SHARE = 0.5;
/** Endpoints whose memory is written and announced at once. */
const MEMORY_WRITES_IN_FLIGHT = 16;

export interface RunSummary {
  endpoints: number;
  probed: number;
  notFinished: string[];
  invalid: string[];
  divergent: string[];
  /** Datums this run produced; every one is either published or written as EMF. */
  metricsProduced: number;
  metricsPublished: number;
  metricsViaEmf: number;
  alertsPublished: number;
  alertFailures: number;
  /** Endpoints whose change of state waits for more runs to agree. */
  alertsPending: string[];
  /** The memory could not be read (or there is none): nothing was announced this run. */
  stateUnknown: boolean;
  /** Endpoints another run wrote first (overlapping runs): this run announced nothing for them. */
  memoryConflicts: string[];
  durationMs: number;
}

/**
 * What the run keeps of one endpoint once its records are folded: the datums, the log line, and the message that
 * would announce its current state (sent only if the state is confirmed and differs from what subscribers were told).
 */
export type KeptOutcome =
  { kind: "finished"; name: string; observation: Observation; discoveryFailed: boolean } | { kind: "not-finished"; name: string; reason: NotFinishedReason };

/** Folds one endpoint's outcome into what the run keeps, its datums and its log line; the records are not kept. */
export function fold(
  outcome: EndpointOutcome,
  timestamp: Date,
  log: Logger,
  fleetShards?: number,
  level: MetricsLevel = "essential",
): { kept: KeptOutcome; datums: MetricDatum[] } {
  const name = outcome.endpoint.name;
  const target = datumTarget(name, fleetShards);
  if (outcome.kind === "not-finished") {
    if (outcome.reason === "analysis-error") log({ level: "error", msg: "analysis failed", endpoint: name, error: outcome.message });
    log(endpointLine(outcome));
    return { kept: { kind: "not-finished", name, reason: outcome.reason }, datums: missedEndpointDatums(target, timestamp, level) };
  }
  const seen = observe(outcome.probe, outcome.analysis, timestamp);
  log(endpointLine(outcome, seen));
  // The message for a transition INTO the current state, built now while the records exist.
  const announcement = seen.state === "unknown" ? undefined : alertFor(outcome.probe, outcome.analysis, seen.state === "divergent" ? undefined : "divergent");
  return {
    kept: {
      kind: "finished",
      name,
      observation: { ...seen, ...(announcement ? { announcement } : {}) },
      discoveryFailed: discoveryFailed(outcome.analysis.findings),
    },
    datums: endpointDatums(target, timestamp, outcome.analysis.summary, level),
  };
}

/** Under fleet alarms an endpoint's datums carry its shard, as synth assigned it (the same hash, the same count). */
const datumTarget = (endpoint: string, fleetShards: number | undefined): DatumTarget =>
  fleetShards === undefined ? { endpoint } : { endpoint, shard: shardOf(endpoint, fleetShards) };

export async function runMonitor(endpoints: Endpoint[], registryErrors: RegistryError[], options: MonitorOptions): Promise<RunSummary> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const log = options.log;
  const confirmRuns = Math.max(1, options.confirmRuns ?? CONFIRM_RUNS_DEFAULT);
  const writeEmf = options.emf ?? stdoutEmf;
  for (const e of registryErrors) log({ level: "error", msg: "invalid registry entry", error: e.message, endpoint: e.endpoint, field: e.field });

  // Every AWS call ends by the run's AWS deadline; what is not published by then goes out as EMF. The state read
  // runs beside the probes and may use the probe phase and then a share of the AWS time, so that a stalled read
  // never costs the alerts or the metrics their turn.
  const probeDeadline = started + Math.max(0, options.budgetMs);
  const awsDeadline = started + (options.awsDeadlineMs ?? options.budgetMs + DEFAULT_AWS_RESERVE_MS);
  const timers: NodeJS.Timeout[] = [];
  const abortAt = (at: number): AbortSignal => {
    const controller = new AbortController();
    timers.push(setTimeout(() => controller.abort(), Math.max(0, at - Date.now())));
    return controller.signal;
  };
  const within = (share: number): AbortSignal => abortAt(Date.now() + (awsDeadline - Date.now()) * share);
  try {
    const timestamp = now();
    const names = endpoints.map((e) => e.name);
    const readSignal = abortAt(Math.max(probeDeadline, Date.now()) + (awsDeadline - probeDeadline) * STATE_READ_SHARE);
    const statePromise = options.memory
      ? options.memory.read(names, readSignal).catch((err: unknown) => {
          log({ level: "error", msg: "could not read the monitor's memory; nothing is announced this run (the next run retries)", error: boundedError(err) });
          return undefined;
        })
      : Promise.resolve(undefined);

    // Streaming: each endpoint is folded as soon as it is done; full batches of datums go out while others probe.
    const outcomes: KeptOutcome[] = [];
    const pending: MetricDatum[] = [];
    const puts: Array<ReturnType<AwsPublisher["putMetrics"]>> = [];
    const metricsSignal = abortAt(awsDeadline);
    let produced = 0;
    const emit = (datums: MetricDatum[], flushAll = false) => {
      produced += datums.length;
      pending.push(...datums);
      const batches = batchDatums(pending.splice(0));
      const keep = flushAll ? [] : (batches.pop() ?? []);
      pending.push(...keep);
      if (batches.length) puts.push(options.publisher.putMetrics(options.namespace, batches, metricsSignal));
    };
    await probeEach(
      endpoints,
      (probe, i) => {
        const { kept, datums } = fold(outcomeOf(endpoints[i]!, probe, options.ruleSettings), timestamp, log, options.fleetShards, options.metrics);
        outcomes.push(kept);
        emit(datums);
      },
      {
        signal: options.stop ? AbortSignal.any([options.stop, abortAt(probeDeadline)]) : abortAt(probeDeadline),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.endpointsInFlight === undefined ? {} : { endpointsInFlight: options.endpointsInFlight }),
        ...(options.now ? { now: options.now } : {}),
        ...(options.targetGroups ? { targetGroups: options.targetGroups } : {}),
        ...(options.clientCertificates ? { clientCertificates: options.clientCertificates } : {}),
      },
    );
    // An invalid entry still gets its heartbeat at 0 when its name is known (and not also a valid entry's, as for a
    // duplicate), so that its alarm sees it.
    const valid = new Set(endpoints.map((e) => e.name));
    for (const name of new Set(registryErrors.map((e) => e.endpointName).filter((n): n is string => n !== undefined && !valid.has(n))))
      emit(missedEndpointDatums(datumTarget(name, options.fleetShards), timestamp));

    // Announcements: each endpoint's memory decided, written only if nobody wrote since it was read (the claim), then
    // published; a claim SNS took is settled. One that failed, or whose answer never came, is retried by a later run
    // with the same transition id.
    const memories = await statePromise;
    const alertSignal = within(ALERTS_SHARE);
    // This run's claims are its own until its AWS deadline (on the run's clock, which tests may move).
    const claimUntil = new Date(timestamp.getTime() + (awsDeadline - started));
    const announced = await announce(outcomes, memories, options, timestamp, claimUntil, confirmRuns, alertSignal);
    emit(
      [
        ...runDatums({
          shard: options.shard,
          timestamp,
          probed: outcomes.filter((o) => o.kind === "finished").length,
          // Invalid entries count too: their endpoints have no result.
          notFinished: outcomes.filter((o) => o.kind === "not-finished").length + registryErrors.length,
          discoveryProblems: outcomes.filter((o) => o.kind === "finished" && o.discoveryFailed).length,
        }),
        ...(announced.failures > 0 ? [alertFailuresDatum(timestamp, announced.failures)] : []),
      ],
      true,
    );

    let published = 0;
    let viaEmf = 0;
    for (const put of await Promise.all(puts)) {
      published += put.published;
      for (const f of put.failed) {
        log({
          level: "error",
          msg: f.ambiguous
            ? "PutMetricData answered an error after which CloudWatch may have stored the batch; writing it as EMF (at most two copies, never lost)"
            : "PutMetricData failed; writing the batch as EMF",
          error: f.error,
          datums: f.datums.length,
        });
        for (const line of emfLines(options.namespace, f.datums)) writeEmf(line);
        viaEmf += f.datums.length;
      }
    }

    const finished = outcomes.filter((o) => o.kind === "finished");
    const summary: RunSummary = {
      endpoints: endpoints.length + registryErrors.length,
      probed: finished.length,
      notFinished: outcomes.filter((o) => o.kind === "not-finished").map((o) => o.name),
      invalid: registryErrors.map((e) => e.message),
      divergent: finished.filter((o) => o.observation.state === "divergent").map((o) => o.name),
      metricsProduced: produced,
      metricsPublished: published,
      metricsViaEmf: viaEmf,
      alertsPublished: announced.published,
      alertFailures: announced.failures,
      alertsPending: announced.awaiting,
      stateUnknown: memories === undefined,
      memoryConflicts: announced.conflicts,
      durationMs: Date.now() - started,
    };
    log({ level: "info", msg: "run", ...summary });
    return summary;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

interface Announced {
  published: number;
  failures: number;
  awaiting: string[];
  conflicts: string[];
}

async function announce(
  outcomes: KeptOutcome[],
  memories: Map<string, EndpointMemory> | undefined,
  options: MonitorOptions,
  timestamp: Date,
  claimUntil: Date,
  confirmRuns: number,
  signal: AbortSignal,
): Promise<Announced> {
  const result: Announced = { published: 0, failures: 0, awaiting: [], conflicts: [] };
  const store = options.memory;
  if (!store || !memories) return result;
  const log = options.log;
  const settings = {
    confirmRuns,
    rolloutStallMs: options.rolloutStallMs ?? ROLLOUT_STALL_MS_DEFAULT,
    expiryWarningDays: options.ruleSettings?.expiryWarningDays ?? EXPIRY_WARNING_DAYS,
    claimUntil,
    pendingMaxAgeMs: PENDING_MAX_AGE_MS,
  };
  const one = async (o: KeptOutcome) => {
    const memory = memories.get(o.name);
    if (!memory) return; // not read: unknown this run
    const decision: Decision = decide(memory, o.kind === "finished" ? o.observation : undefined, timestamp, settings);
    if (decision.awaiting) result.awaiting.push(o.name);
    for (const d of decision.dropped)
      log({ level: "warn", msg: `announcement ${d.why}: not sent`, endpoint: o.name, transitionId: d.pending.id, kind: d.pending.kind });
    if (decision.findings.length)
      log({
        level: decision.findings.some((f) => f.severity !== "info") ? "warn" : "info",
        msg: "certificate rotation",
        endpoint: o.name,
        findings: decision.findings.map((f) => f.message),
      });
    // A not-finished endpoint with nothing to retry leaves its memory as it is.
    if (o.kind !== "finished" && decision.publish.length === 0 && decision.dropped.length === 0) return;
    let claimed: boolean;
    try {
      claimed = await store.write(o.name, { next: decision.next, claim: decision.publish, drop: decision.dropped.map((d) => d.pending.id) }, signal);
    } catch (err) {
      log({
        level: "error",
        msg: "could not write the monitor's memory; nothing is announced for this endpoint this run",
        endpoint: o.name,
        error: boundedError(err),
      });
      return;
    }
    if (!claimed) {
      result.conflicts.push(o.name);
      log({ level: "info", msg: "another run wrote this endpoint's memory first; it announces what there is", endpoint: o.name });
      return;
    }
    for (const p of decision.publish) {
      if (!options.topicArn) {
        log({ level: "warn", msg: "alert not sent: no topic configured (ALERT_TOPIC_ARN)", endpoint: o.name, subject: p.subject, transitionId: p.id });
        await store.settle(o.name, p.id, signal).catch(() => undefined);
        continue;
      }
      const error = await options.publisher.publishAlert(options.topicArn, withOrigin(p, options.origin ?? {}, p.firstClaimedAt), signal);
      if (error) {
        result.failures++;
        log({
          level: "error",
          msg: "SNS publish failed; a later run sends it again with the same transition id",
          endpoint: o.name,
          kind: p.kind,
          transitionId: p.id,
          error,
        });
        continue;
      }
      result.published++;
      try {
        await store.settle(o.name, p.id, signal);
      } catch (err) {
        // Sent but not settled: a later run may send it once more, with the same id.
        log({
          level: "warn",
          msg: "sent, but could not record it; a later run may repeat it with the same transition id",
          endpoint: o.name,
          transitionId: p.id,
          error: boundedError(err),
        });
      }
    }
  };
  const queue = [...outcomes];
  await Promise.all(
    Array.from({ length: Math.min(MEMORY_WRITES_IN_FLIGHT, queue.length) }, async () => {
      for (let o = queue.shift(); o; o = queue.shift()) await one(o);
    }),
  );
  return result;
}

/** Members named per variant in the log line (a 10,000-member pool's line stays bounded). */
const MAX_LOGGED_MEMBERS = 50;

/**
 * The endpoint line's level: error when clients break now (critical findings, nothing reachable, not finished),
 * warn when the pool diverges or a warning affects clients, info otherwise; so that a log filter finds them.
 */
function levelOf(outcome: EndpointOutcome): "error" | "warn" | "info" {
  if (outcome.kind === "not-finished") return "warn";
  const s = outcome.analysis.summary;
  if (!s.reachable || s.findings.critical > 0) return "error";
  if (s.certificateVariants > 1 || s.clientAffectingFindings > 0) return "warn";
  return "info";
}

function endpointLine(outcome: EndpointOutcome, seen?: Observation): Record<string, unknown> {
  const { endpoint, probe } = outcome;
  const s = outcome.kind === "finished" ? outcome.analysis.summary : undefined;
  // Which member presents which leaf, when they differ: the log alone then says which member is wrong.
  const variants =
    outcome.kind === "finished" && outcome.analysis.summary.certificateVariants > 1
      ? outcome.analysis.variants.map((v) => ({
          variant: v.id,
          fingerprint: v.fingerprint,
          subject: probe.certificates[v.fingerprint]?.subject,
          members: v.members.slice(0, MAX_LOGGED_MEMBERS),
          ...(v.members.length > MAX_LOGGED_MEMBERS ? { moreMembers: v.members.length - MAX_LOGGED_MEMBERS } : {}),
        }))
      : undefined;
  return {
    level: levelOf(outcome),
    msg: "endpoint",
    endpoint: endpoint.name,
    target: `${endpoint.host}:${endpoint.port}`,
    finished: outcome.kind === "finished",
    ...(outcome.kind === "not-finished" ? { notFinished: outcome.reason } : {}),
    ...(probe.error ? { error: probe.error.message } : {}),
    durationMs: probe.durationMs,
    ...(s && outcome.kind === "finished"
      ? {
          state: seen?.state,
          certificateVariants: s.certificateVariants,
          membersProbed: s.membersProbed,
          membersDiverging: s.membersDiverging,
          resumptionAttempts: s.resumptionAttempts,
          resumptionRefused: s.resumptionRefused,
          certificateChangesOnResumption: s.certificateChangesOnResumption,
          javaProfilesAtRisk: s.javaProfilesAtRisk,
          handshakeFailures: s.handshakeFailures,
          minDaysToExpiry: s.minDaysToExpiry,
          ...(probe.clientCertificate
            ? {
                // Where the certificate came from and which it was; never the key, never the secret's value.
                clientCertificate: {
                  source: probe.clientCertificate.source,
                  ...(probe.clientCertificate.secretArn ? { secretArn: probe.clientCertificate.secretArn } : {}),
                  ...(probe.clientCertificate.subject ? { subject: probe.clientCertificate.subject } : {}),
                  ...(probe.clientCertificate.error ? { error: probe.clientCertificate.error.code ?? probe.clientCertificate.error.class } : {}),
                },
              }
            : {}),
          findings: s.findings,
          findingKinds: outcome.analysis.findings.map((f) => `${f.severity}:${f.kind}`),
          ...(variants ? { variants } : {}),
        }
      : {}),
  };
}
