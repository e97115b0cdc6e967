/**
 * One monitoring run, shared by the Lambda handler and `npm run invoke`: probe the endpoints under a deadline,
 * analyse, read what subscribers were told and what earlier runs saw, alert on confirmed transitions, publish
 * metrics (EMF log lines for whatever CloudWatch does not take in time). AWS I/O goes through the publisher only,
 * and all of it ends by the run's AWS deadline.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { AwsPublisher } from "./aws/publisher.js";
import { outcomeOf, type EndpointOutcome, type NotFinishedReason } from "./outcome.js";
import { probeEach } from "./probe/endpoint.js";
import type { RuleSettings } from "./analysis/rules.js";
import type { ClientCertificateLookup, TargetGroupLookup } from "./probe/types.js";
import type { Endpoint, RegistryError } from "./registry/schema.js";
import { alertFor, stateFromVariants, stateOf, type Alert, type PoolState } from "./report/alerts.js";
import { batchDatums } from "./report/batches.js";
import { emfLines } from "./report/emf.js";
import { alertedStateDatum, alertFailuresDatum, endpointDatums, missedEndpointDatums, type DatumTarget } from "./report/metrics.js";
import { shardOf } from "./registry/shard.js";
import { CONFIRM_RUNS_DEFAULT } from "./settings.js";

export type Logger = (line: Record<string, unknown>) => void;

export const jsonLogger: Logger = (line) => console.log(JSON.stringify(line));

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
  /** Reads target groups (lambda/aws), for endpoints that have one. */
  targetGroups?: TargetGroupLookup;
  /** Reads client certificates from their secrets (lambda/aws), for endpoints whose certificate is a secret. */
  clientCertificates?: ClientCertificateLookup;
  /** Endpoints probed at once (default: the connection bound, at least MIN_ENDPOINTS_IN_FLIGHT). */
  endpointsInFlight?: number;
  /** How far back to look for the previous state. */
  stateLookbackMs: number;
  /** Consecutive runs that must agree before a state change is alerted (hysteresis). Default CONFIRM_RUNS_DEFAULT. */
  confirmRuns?: number;
  log: Logger;
  now?: () => Date;
  /** Writes EMF lines (stdout in Lambda, where CloudWatch Logs picks them up). */
  emf?: (line: string) => void;
}

/** Time for the post-probe AWS phase when the caller gives no explicit deadline. */
export const DEFAULT_AWS_RESERVE_MS = 20_000;
/** Shares of the AWS time left that the state read and the alerts may use; the metrics get all that remains. */
const STATE_READ_SHARE = 0.35;
const ALERTS_SHARE = 0.5;
/** Datapoints are read at the finest period a run writes with. */
const STATE_PERIOD_SECONDS = 60;

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
  stateUnknown: boolean;
  durationMs: number;
}

/**
 * What the run keeps of one endpoint once its records are folded: the datums, the log line, and the message that
 * would announce its current state (sent only if the state is confirmed and differs from what subscribers were told).
 */
export type KeptOutcome =
  { kind: "finished"; name: string; state: PoolState; announcement?: Alert } | { kind: "not-finished"; name: string; reason: NotFinishedReason };

/** Folds one endpoint's outcome into what the run keeps, its datums and its log line; the records are not kept. */
export function fold(outcome: EndpointOutcome, timestamp: Date, log: Logger, fleetShards?: number): { kept: KeptOutcome; datums: MetricDatum[] } {
  const name = outcome.endpoint.name;
  const target = datumTarget(name, fleetShards);
  if (outcome.kind === "not-finished") {
    if (outcome.reason === "analysis-error") log({ level: "error", msg: "analysis failed", endpoint: name, error: outcome.message });
    log(endpointLine(outcome));
    return { kept: { kind: "not-finished", name, reason: outcome.reason }, datums: missedEndpointDatums(target, timestamp) };
  }
  log(endpointLine(outcome));
  const state = stateOf(outcome.analysis);
  // The message for a transition INTO the current state, built now while the records exist.
  const announcement = alertFor(outcome.probe, outcome.analysis, state === "divergent" ? undefined : "divergent");
  return {
    kept: { kind: "finished", name, state, ...(announcement ? { announcement } : {}) },
    datums: endpointDatums(target, timestamp, outcome.analysis.summary),
  };
}

/** Under fleet alarms an endpoint's datums carry its shard, as synth assigned it (the same hash, the same count). */
const datumTarget = (endpoint: string, fleetShards: number | undefined): DatumTarget =>
  fleetShards === undefined ? { endpoint } : { endpoint, shard: shardOf(endpoint, fleetShards) };

interface KnownState {
  /** What subscribers were last told, per endpoint (absent: never told). */
  told: Map<string, PoolState>;
  /** Observed states of earlier runs, newest first. */
  observed: Map<string, PoolState[]>;
}

async function readState(names: string[], options: MonitorOptions, timestamp: Date, runs: number, signal: AbortSignal): Promise<KnownState> {
  const queries = names.flatMap((endpoint) => [
    { metric: "AlertedState", endpoint },
    { metric: "CertificateVariants", endpoint },
  ]);
  const values = queries.length
    ? await options.publisher.recentValues(
        options.namespace,
        queries,
        new Date(timestamp.getTime() - options.stateLookbackMs),
        timestamp,
        STATE_PERIOD_SECONDS,
        runs,
        signal,
      )
    : new Map<string, number[]>();
  const told = new Map<string, PoolState>();
  const observed = new Map<string, PoolState[]>();
  for (const name of names) {
    const alerted = values.get(`AlertedState ${name}`)?.[0];
    if (alerted !== undefined) told.set(name, alerted > 0 ? "divergent" : "consistent");
    observed.set(
      name,
      (values.get(`CertificateVariants ${name}`) ?? []).map((v) => stateFromVariants(v)!),
    );
  }
  return { told, observed };
}

export async function runMonitor(endpoints: Endpoint[], registryErrors: RegistryError[], options: MonitorOptions): Promise<RunSummary> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const log = options.log;
  const confirmRuns = Math.max(1, options.confirmRuns ?? CONFIRM_RUNS_DEFAULT);
  const writeEmf = options.emf ?? ((l: string) => console.log(l));
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
    const statePromise = readState(
      endpoints.map((e) => e.name),
      options,
      timestamp,
      confirmRuns,
      abortAt(Math.max(probeDeadline, Date.now()) + (awsDeadline - probeDeadline) * STATE_READ_SHARE),
    ).catch((err: unknown) => {
      log({ level: "error", msg: "could not read the previous state; no alert is sent this run (the next run retries)", error: String(err) });
      return undefined;
    });

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
        const { kept, datums } = fold(outcomeOf(endpoints[i]!, probe, options.ruleSettings), timestamp, log, options.fleetShards);
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

    // Alerts: what subscribers were told is recorded only once SNS has taken the message.
    const state = await statePromise;
    let alertsPublished = 0;
    let alertFailures = 0;
    const alertsPending: string[] = [];
    const told = new Map<string, PoolState>();
    const alertSignal = within(ALERTS_SHARE);
    for (const o of outcomes) {
      if (!state || o.kind !== "finished") continue;
      const history = [o.state, ...(state.observed.get(o.name) ?? [])].slice(0, confirmRuns);
      const confirmed = history.length >= confirmRuns && history.every((s) => s === o.state);
      const before = state.told.get(o.name);
      if (before) told.set(o.name, before);
      else if (confirmed && o.state === "consistent") told.set(o.name, "consistent");
      if (o.state === (before ?? "consistent")) continue;
      if (!confirmed) {
        alertsPending.push(o.name);
        continue;
      }
      const alert = o.announcement;
      if (!alert) continue;
      if (!options.topicArn) {
        log({ level: "warn", msg: "alert not sent: no topic configured (ALERT_TOPIC_ARN)", endpoint: alert.endpoint, subject: alert.subject });
        continue;
      }
      const error = await options.publisher.publishAlert(options.topicArn, alert, alertSignal);
      if (error) {
        alertFailures++;
        log({ level: "error", msg: "SNS publish failed; the alert is retried next run", endpoint: alert.endpoint, kind: alert.kind, error });
      } else {
        alertsPublished++;
        told.set(o.name, o.state);
      }
    }
    emit(
      [
        ...[...told].map(([name, s]) => alertedStateDatum(name, timestamp, s === "divergent")),
        ...(alertFailures > 0 ? [alertFailuresDatum(timestamp, alertFailures)] : []),
      ],
      true,
    );

    let published = 0;
    let viaEmf = 0;
    for (const put of await Promise.all(puts)) {
      published += put.published;
      for (const f of put.failed) {
        log({ level: "error", msg: "PutMetricData failed; writing the batch as EMF", error: f.error, datums: f.datums.length });
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
      divergent: finished.filter((o) => o.state === "divergent").map((o) => o.name),
      metricsProduced: produced,
      metricsPublished: published,
      metricsViaEmf: viaEmf,
      alertsPublished,
      alertFailures,
      alertsPending,
      stateUnknown: state === undefined,
      durationMs: Date.now() - started,
    };
    log({ level: "info", msg: "run", ...summary });
    return summary;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

function endpointLine(outcome: EndpointOutcome): Record<string, unknown> {
  const { endpoint, probe } = outcome;
  const s = outcome.kind === "finished" ? outcome.analysis.summary : undefined;
  return {
    level: "info",
    msg: "endpoint",
    endpoint: endpoint.name,
    target: `${endpoint.host}:${endpoint.port}`,
    finished: outcome.kind === "finished",
    ...(outcome.kind === "not-finished" ? { notFinished: outcome.reason } : {}),
    ...(probe.error ? { error: probe.error.message } : {}),
    durationMs: probe.durationMs,
    ...(s && outcome.kind === "finished"
      ? {
          state: stateOf(outcome.analysis),
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
        }
      : {}),
  };
}
