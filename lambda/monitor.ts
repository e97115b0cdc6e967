/**
 * One monitoring run, shared by the Lambda handler and `npm run invoke`: probe the endpoints under a deadline,
 * analyse, read what subscribers were told and what earlier runs saw, alert on confirmed transitions, publish
 * metrics (EMF log lines for whatever CloudWatch does not take in time). AWS I/O goes through the publisher only,
 * and all of it ends by the run's AWS deadline.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { analyzeEndpoint, type EndpointAnalysis } from "./analysis/index.js";
import type { AwsPublisher } from "./aws/publisher.js";
import { probeEndpoints } from "./probe/endpoint.js";
import type { EndpointProbe } from "./probe/types.js";
import type { Endpoint, RegistryError } from "./registry/schema.js";
import { alertFor, stateFromVariants, stateOf, type PoolState } from "./report/alerts.js";
import { batchDatums } from "./report/batches.js";
import { emfLines } from "./report/emf.js";
import { alertedStateDatum, alertFailuresDatum, endpointDatums, missedEndpointDatums } from "./report/metrics.js";

export type Logger = (line: Record<string, unknown>) => void;

export const jsonLogger: Logger = (line) => console.log(JSON.stringify(line));

export interface MonitorOptions {
  publisher: AwsPublisher;
  namespace: string;
  /** Alerts go nowhere (and are logged) without a topic. */
  topicArn?: string;
  /** Milliseconds the probes may take; endpoints not done by then are reported as not finished. */
  budgetMs: number;
  /**
   * Milliseconds from the run's start by which every AWS call (state read, metrics, alerts) must have ended; what
   * is not published by then is written as EMF lines. Default: budgetMs + DEFAULT_AWS_RESERVE_MS.
   */
  awsDeadlineMs?: number;
  concurrency?: number;
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
/**
 * Two runs must agree before subscribers hear of a change: one run that saw a single certificate through a VIP
 * that routes unevenly does not announce a recovery, one odd run does not page. Costs one period of latency.
 */
export const CONFIRM_RUNS_DEFAULT = 2;
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

interface Probed {
  endpoint: Endpoint;
  probe: EndpointProbe;
  analysis?: EndpointAnalysis;
}

async function probeUnderDeadline(endpoints: Endpoint[], options: MonitorOptions): Promise<Probed[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, options.budgetMs));
  try {
    const probes = await probeEndpoints(endpoints, {
      signal: controller.signal,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.now ? { now: options.now } : {}),
    });
    // A probe the deadline cut short is not analysed: partial records would read as false divergence or recovery.
    return probes.map((probe, i) => {
      const endpoint = endpoints[i]!;
      return probe.error?.code === "DEADLINE" ? { endpoint, probe } : { endpoint, probe, analysis: analyzeEndpoint(probe) };
    });
  } finally {
    clearTimeout(timer);
  }
}

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
    ? await options.publisher.recentValues(options.namespace, queries, new Date(timestamp.getTime() - options.stateLookbackMs), timestamp, STATE_PERIOD_SECONDS, runs, signal)
    : new Map<string, number[]>();
  const told = new Map<string, PoolState>();
  const observed = new Map<string, PoolState[]>();
  for (const name of names) {
    const alerted = values.get(`AlertedState ${name}`)?.[0];
    if (alerted !== undefined) told.set(name, alerted > 0 ? "divergent" : "consistent");
    observed.set(name, (values.get(`CertificateVariants ${name}`) ?? []).map((v) => stateFromVariants(v)!));
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

  const results = await probeUnderDeadline(endpoints, options);
  const timestamp = now();

  // Every AWS call from here on ends by the run's AWS deadline; what is not published by then goes out as EMF. A
  // stalled state read or SNS may take only its share of what is left, so that the metrics still get their turn.
  const awsDeadline = started + (options.awsDeadlineMs ?? options.budgetMs + DEFAULT_AWS_RESERVE_MS);
  const timers: NodeJS.Timeout[] = [];
  const within = (share: number): AbortSignal => {
    const controller = new AbortController();
    timers.push(setTimeout(() => controller.abort(), Math.max(0, (awsDeadline - Date.now()) * share)));
    return controller.signal;
  };
  try {
    // What subscribers were told, and what earlier runs saw, read before this run's datapoints exist.
    const finished = results.filter((r) => r.analysis);
    let state: KnownState | undefined;
    try {
      state = await readState(
        finished.map((r) => r.endpoint.name),
        options,
        timestamp,
        confirmRuns,
        within(STATE_READ_SHARE),
      );
    } catch (err) {
      log({ level: "error", msg: "could not read the previous state; no alert is sent this run (the next run retries)", error: String(err) });
    }

    // Alerts first: what subscribers were told is recorded only once SNS has taken the message.
    let alertsPublished = 0;
    let alertFailures = 0;
    const alertsPending: string[] = [];
    const told = new Map<string, PoolState>();
    const alertSignal = within(ALERTS_SHARE);
    for (const r of finished) {
      if (!state) break;
      const name = r.endpoint.name;
      const current = stateOf(r.analysis!);
      const history = [current, ...(state.observed.get(name) ?? [])].slice(0, confirmRuns);
      const confirmed = history.length >= confirmRuns && history.every((s) => s === current);
      const before = state.told.get(name);
      if (before) told.set(name, before);
      else if (confirmed && current === "consistent") told.set(name, "consistent");
      const alert = confirmed ? alertFor(r.probe, r.analysis!, before) : undefined;
      if (!confirmed && current !== (before ?? "consistent")) alertsPending.push(name);
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
        told.set(name, current);
      }
    }

    const datums: MetricDatum[] = [];
    for (const r of results) datums.push(...(r.analysis ? endpointDatums(r.endpoint.name, timestamp, r.analysis.summary) : missedEndpointDatums(r.endpoint.name, timestamp)));
    // An invalid entry still gets its heartbeat at 0 when its name is known (and not also a valid entry's, as for a
    // duplicate), so that its alarm sees it.
    const valid = new Set(endpoints.map((e) => e.name));
    const invalidNames = new Set(registryErrors.map((e) => e.endpointName).filter((n): n is string => n !== undefined && !valid.has(n)));
    for (const name of invalidNames) datums.push(...missedEndpointDatums(name, timestamp));
    for (const [name, s] of told) datums.push(alertedStateDatum(name, timestamp, s === "divergent"));
    // Counted where an alarm can see it: a run-level metric without the Endpoint dimension.
    if (alertFailures > 0) datums.push(alertFailuresDatum(timestamp, alertFailures));

    const put = await options.publisher.putMetrics(options.namespace, batchDatums(datums), within(1));
    let viaEmf = 0;
    for (const f of put.failed) {
      log({ level: "error", msg: "PutMetricData failed; writing the batch as EMF", error: f.error, datums: f.datums.length });
      for (const line of emfLines(options.namespace, f.datums)) writeEmf(line);
      viaEmf += f.datums.length;
    }

    for (const r of results) log(endpointLine(r));
    const summary: RunSummary = {
      endpoints: endpoints.length + registryErrors.length,
      probed: finished.length,
      notFinished: results.filter((r) => !r.analysis).map((r) => r.endpoint.name),
      invalid: registryErrors.map((e) => e.message),
      divergent: finished.filter((r) => stateOf(r.analysis!) === "divergent").map((r) => r.endpoint.name),
      metricsProduced: datums.length,
      metricsPublished: put.published,
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

function endpointLine(r: Probed): Record<string, unknown> {
  const s = r.analysis?.summary;
  return {
    level: "info",
    msg: "endpoint",
    endpoint: r.endpoint.name,
    target: `${r.endpoint.host}:${r.endpoint.port}`,
    finished: r.analysis !== undefined,
    ...(r.probe.error ? { error: r.probe.error.message } : {}),
    durationMs: r.probe.durationMs,
    ...(s
      ? {
          state: stateOf(r.analysis!),
          certificateVariants: s.certificateVariants,
          membersProbed: s.membersProbed,
          membersDiverging: s.membersDiverging,
          resumptionAttempts: s.resumptionAttempts,
          resumptionRefused: s.resumptionRefused,
          certificateChangesOnResumption: s.certificateChangesOnResumption,
          javaProfilesAtRisk: s.javaProfilesAtRisk,
          handshakeFailures: s.handshakeFailures,
          minDaysToExpiry: s.minDaysToExpiry,
          findings: s.findings,
        }
      : {}),
  };
}
