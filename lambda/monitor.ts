/**
 * One monitoring run, shared by the Lambda handler and `npm run invoke`: probe the endpoints under a deadline,
 * analyse, learn each endpoint's previous state, publish metrics (EMF log lines if CloudWatch keeps failing), and
 * alert on divergence transitions. AWS I/O goes through the publisher only.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { analyzeEndpoint, type EndpointAnalysis } from "./analysis/index.js";
import type { AwsPublisher } from "./aws/publisher.js";
import { probeEndpoints } from "./probe/endpoint.js";
import type { EndpointProbe } from "./probe/types.js";
import type { Endpoint, RegistryError } from "./registry/schema.js";
import { alertFor, stateFromVariants, stateOf } from "./report/alerts.js";
import { batchDatums } from "./report/batches.js";
import { emfLines } from "./report/emf.js";
import { endpointDatums, missedEndpointDatums } from "./report/metrics.js";

export type Logger = (line: Record<string, unknown>) => void;

export const jsonLogger: Logger = (line) => console.log(JSON.stringify(line));

export interface MonitorOptions {
  publisher: AwsPublisher;
  namespace: string;
  /** Alerts go nowhere (and are logged) without a topic. */
  topicArn?: string;
  /** Milliseconds the probes may take; endpoints not done by then are reported as not finished. */
  budgetMs: number;
  concurrency?: number;
  /** How far back to look for the previous state. */
  stateLookbackMs: number;
  log: Logger;
  now?: () => Date;
  /** Writes EMF lines (stdout in Lambda, where CloudWatch Logs picks them up). */
  emf?: (line: string) => void;
}

export interface RunSummary {
  endpoints: number;
  probed: number;
  notFinished: string[];
  invalid: string[];
  divergent: string[];
  metricsPublished: number;
  metricsViaEmf: number;
  alertsPublished: number;
  alertFailures: number;
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

export async function runMonitor(endpoints: Endpoint[], registryErrors: RegistryError[], options: MonitorOptions): Promise<RunSummary> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const log = options.log;
  for (const e of registryErrors) log({ level: "error", msg: "invalid registry entry", error: e.message, endpoint: e.endpoint, field: e.field });

  const results = await probeUnderDeadline(endpoints, options);
  const timestamp = now();

  // Previous state first, before this run's datapoints exist.
  const finished = results.filter((r) => r.analysis);
  let previous = new Map<string, number>();
  let stateUnknown = false;
  try {
    previous = await options.publisher.latestValues(
      options.namespace,
      "CertificateVariants",
      finished.map((r) => r.endpoint.name),
      new Date(timestamp.getTime() - options.stateLookbackMs),
      timestamp,
      60,
    );
  } catch (err) {
    stateUnknown = true;
    log({ level: "error", msg: "could not read the previous state; no alert is sent this run", error: String(err) });
  }

  const datums: MetricDatum[] = [];
  for (const r of results) datums.push(...(r.analysis ? endpointDatums(r.endpoint.name, timestamp, r.analysis.summary) : missedEndpointDatums(r.endpoint.name, timestamp)));
  // An invalid entry still gets its heartbeat at 0 when its name is known (and not also a valid entry's, as for a
  // duplicate), so that its alarm sees it.
  const valid = new Set(endpoints.map((e) => e.name));
  const invalidNames = new Set(registryErrors.map((e) => e.endpointName).filter((n): n is string => n !== undefined && !valid.has(n)));
  for (const name of invalidNames) datums.push(...missedEndpointDatums(name, timestamp));

  const put = await options.publisher.putMetrics(options.namespace, batchDatums(datums));
  let viaEmf = 0;
  for (const f of put.failed) {
    log({ level: "error", msg: "PutMetricData failed after retries; writing the batch as EMF", error: f.error, datums: f.datums.length });
    for (const line of emfLines(options.namespace, f.datums)) (options.emf ?? ((l: string) => console.log(l)))(line);
    viaEmf += f.datums.length;
  }

  let alertsPublished = 0;
  let alertFailures = 0;
  for (const r of finished) {
    const alert = stateUnknown ? undefined : alertFor(r.probe, r.analysis!, stateFromVariants(previous.get(r.endpoint.name)));
    if (!alert) continue;
    if (!options.topicArn) {
      log({ level: "warn", msg: "alert not sent: no topic configured (ALERT_TOPIC_ARN)", endpoint: alert.endpoint, subject: alert.subject });
      continue;
    }
    const error = await options.publisher.publishAlert(options.topicArn, alert);
    if (error) {
      alertFailures++;
      log({ level: "error", msg: "SNS publish failed", endpoint: alert.endpoint, kind: alert.kind, error });
    } else alertsPublished++;
  }

  if (alertFailures > 0) {
    // Counted where an alarm can see it: a run-level metric without the Endpoint dimension.
    const counted = await options.publisher.putMetrics(options.namespace, [
      [{ MetricName: "AlertPublishFailures", Timestamp: timestamp, Unit: "Count", Value: alertFailures }],
    ]);
    if (counted.failed.length) log({ level: "error", msg: "could not publish AlertPublishFailures", error: counted.failed[0]!.error });
  }

  for (const r of results) {
    const s = r.analysis?.summary;
    log({
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
    });
  }

  const summary: RunSummary = {
    endpoints: endpoints.length + registryErrors.length,
    probed: finished.length,
    notFinished: results.filter((r) => !r.analysis).map((r) => r.endpoint.name),
    invalid: registryErrors.map((e) => e.message),
    divergent: finished.filter((r) => stateOf(r.analysis!) === "divergent").map((r) => r.endpoint.name),
    metricsPublished: put.published,
    metricsViaEmf: viaEmf,
    alertsPublished,
    alertFailures,
    stateUnknown,
    durationMs: Date.now() - started,
  };
  log({ level: "info", msg: "run", ...summary });
  return summary;
}
