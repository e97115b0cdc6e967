/**
 * The on-call's dashboard: is the monitor healthy (its alarms, heartbeat, the function's errors, duration and
 * throttles, the failed-invocation and undelivered-alert queues), what is worst now (a Metrics Insights table per
 * alarmed metric), which endpoints diverge or fail (the function's endpoint lines), and the alarmed metrics over
 * time. Metrics Insights, never SEARCH: a SEARCH graph silently drops every line past 500, a query ordered worst
 * first keeps the worst.
 */
import * as cdk from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { FLEET_ALARM_METRICS, type MetricName } from "../lambda/report/metrics.js";
import type { TlsPoolMonitor } from "./construct.js";

/** CloudWatch's limit of alarms in one alarm status widget. */
const ALARMS_PER_STATUS_WIDGET = 100;
/** Alarm status widgets of endpoint alarms at most; the worst-now tables cover every endpoint beyond. */
const MAX_ENDPOINT_STATUS_WIDGETS = 3;
/** Rows of each worst-now table and lines of each graph. */
export const WORST_ENDPOINTS = 10;

/** The worst endpoints of one metric, as a Metrics Insights query (at most WORST_ENDPOINTS series). */
export function worstQuery(monitor: TlsPoolMonitor, metric: MetricName, fn: "MAX" | "MIN" | "SUM"): string {
  // Under fleet alarms the metrics those alarms query carry the shard too (lambda/report/metrics.ts).
  const fleet = monitor.alarmMode === "fleet" && (FLEET_ALARM_METRICS as readonly string[]).includes(metric);
  const order = fn === "MIN" ? "ASC" : "DESC";
  return `SELECT ${fn}(${metric}) FROM SCHEMA("${monitor.config.namespace}", Endpoint${fleet ? ", Shard" : ""}) GROUP BY Endpoint ORDER BY ${fn}() ${order} LIMIT ${WORST_ENDPOINTS}`;
}

export function addDashboard(monitor: TlsPoolMonitor): cloudwatch.Dashboard {
  const { config } = monitor;
  const period = cdk.Duration.minutes(config.rateMinutes);
  const stack = cdk.Stack.of(monitor);
  const dashboard = new cloudwatch.Dashboard(monitor, "Dashboard", {
    dashboardName: `TlsPoolMonitor-${stack.region}`.replace(/[^A-Za-z0-9_-]/g, "-"),
    defaultInterval: cdk.Duration.hours(6),
  });
  // No label: a Metrics Insights query labels each series with its Endpoint.
  const worst = (metric: MetricName, fn: "MAX" | "MIN" | "SUM") =>
    new cloudwatch.MathExpression({ expression: worstQuery(monitor, metric, fn), label: "", period });

  // 1. The monitor's own health: its alarms, what it is, the heartbeat.
  // By name: a per-endpoint alarm lives in a nested stack, and a reference to it would be one output each.
  let referenced = 0;
  const status = (alarms: typeof monitor.alarms) => alarms.map((a) => cloudwatch.Alarm.fromAlarmName(dashboard, `Status${referenced++}`, a.alarmName));
  const own = monitor.alarms.filter((a) => a.watches === "monitor");
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: [
        "## tls-pool-monitor",
        `${monitor.endpointNames.length} endpoint(s) in ${monitor.shardPlan.shards} shard(s), probed every ${config.rateMinutes} min; ${monitor.alarmMode} alarms; metrics ${config.metrics}.`,
        "",
        "Each alarm's description says what to do first and the command that reproduces it. The function's own message on the alert topic names the member that differs.",
      ].join("\n"),
      width: 8,
      height: 6,
    }),
    new cloudwatch.AlarmStatusWidget({
      title: "The monitor's own alarms (heartbeat, member discovery, failed invocations, alerts not published)",
      alarms: status(own.slice(0, ALARMS_PER_STATUS_WIDGET)),
      sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      width: 16,
      height: 6,
    }),
  );

  // 2. The endpoints' alarms, worst state first; past what status widgets hold, the tables below rank every endpoint.
  const endpointAlarms = monitor.alarms.filter((a) => a.watches === "endpoints");
  const shown = endpointAlarms.slice(0, ALARMS_PER_STATUS_WIDGET * MAX_ENDPOINT_STATUS_WIDGETS);
  for (let i = 0; i < shown.length; i += ALARMS_PER_STATUS_WIDGET) {
    const more = endpointAlarms.length > shown.length ? ` (first ${shown.length} of ${endpointAlarms.length}; the tables below rank every endpoint)` : "";
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: `Endpoint alarms, in alarm first${more}`,
        alarms: status(shown.slice(i, i + ALARMS_PER_STATUS_WIDGET)),
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        width: 24,
        height: 4,
      }),
    );
  }

  // 3. Worst endpoints now: one table per alarmed metric, the last hour's worst value per endpoint.
  const table = (title: string, metric: MetricName, fn: "MAX" | "MIN" | "SUM", column: cloudwatch.TableSummaryColumn) =>
    new cloudwatch.TableWidget({
      title,
      metrics: [worst(metric, fn)],
      summary: { columns: [column], hideNonSummaryColumns: true },
      start: "-PT1H",
      width: 6,
      height: 7,
    });
  dashboard.addWidgets(
    table("Worst now: Java profiles at risk", "JavaAbortRisk", "MAX", cloudwatch.TableSummaryColumn.MAXIMUM),
    table("Worst now: handshake failures", "HandshakeFailures", "SUM", cloudwatch.TableSummaryColumn.SUM),
    table("Worst now: resumption failures", "ResumptionFailures", "MAX", cloudwatch.TableSummaryColumn.MAXIMUM),
    table("Soonest expiry (days)", "MinDaysToExpiry", "MIN", cloudwatch.TableSummaryColumn.MINIMUM),
  );

  // 4. Which endpoints diverge or fail, and which members: the function's endpoint lines (no metric needed).
  dashboard.addWidgets(
    new cloudwatch.LogQueryWidget({
      title: "Endpoints divergent, failing or not finished (the function's endpoint lines, latest first)",
      logGroupNames: [monitor.logGroup.logGroupName],
      queryLines: [
        "fields @timestamp, message.endpoint as endpoint, message.state as state, message.findingKinds as findings, message.notFinished as notFinished, message.variants as variants",
        'filter message.msg = "endpoint" and message.level != "info"',
        "sort @timestamp desc",
        "limit 50",
      ],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 24,
      height: 6,
    }),
  );

  // 5. The monitor over time: heartbeat per shard, the function, its queues.
  const fn = monitor.function;
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Heartbeat: endpoints probed, not finished, without members (per run)",
      left: [monitor.metricEndpointsProbed({ label: "probed" }), monitor.metricEndpointsNotFinished({ label: "not finished", statistic: "Sum" })],
      right: [monitor.metricDiscoveryProblems({ label: "members not discovered", statistic: "Sum" })],
      width: 8,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: "Probe function: errors, throttles; duration vs timeout",
      left: [fn.metricErrors({ period, label: "errors" }), fn.metricThrottles({ period, label: "throttles" })],
      right: [fn.metricDuration({ period, statistic: "Maximum", label: "max duration (ms)" })],
      rightAnnotations: [{ value: config.timeoutSeconds * 1000, label: "timeout", color: cloudwatch.Color.RED }],
      width: 8,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: "Failed invocations and undelivered alerts (queue depth)",
      left: [
        monitor.failureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum", label: "failed invocations" }),
        monitor.undeliveredAlerts.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum", label: "alerts not delivered" }),
      ],
      width: 8,
      height: 6,
    }),
  );

  // 6. The alarmed metrics over time, the worst endpoints' lines.
  const graph = (title: string, metric: MetricName, fn2: "MAX" | "MIN" | "SUM") =>
    new cloudwatch.GraphWidget({ title, left: [worst(metric, fn2)], width: 12, height: 6 });
  dashboard.addWidgets(
    graph(`Java abort risk (worst ${WORST_ENDPOINTS})`, "JavaAbortRisk", "MAX"),
    graph(`Resumption failures (worst ${WORST_ENDPOINTS})`, "ResumptionFailures", "MAX"),
  );
  dashboard.addWidgets(
    graph(`Handshake failures (worst ${WORST_ENDPOINTS})`, "HandshakeFailures", "SUM"),
    graph(`Days to expiry (soonest ${WORST_ENDPOINTS})`, "MinDaysToExpiry", "MIN"),
  );
  // Divergence over time needs the metrics only "full" publishes; under "essential" the log table above says it.
  if (config.metrics === "full") {
    dashboard.addWidgets(
      graph(`Certificate variants (worst ${WORST_ENDPOINTS})`, "CertificateVariants", "MAX"),
      graph(`Members diverging (worst ${WORST_ENDPOINTS})`, "MembersDiverging", "MAX"),
    );
  }
  return dashboard;
}
