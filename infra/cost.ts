/**
 * What a deployment costs per endpoint and month, from what its template creates (the README's cost table is this
 * function's output, checked by test/infra/cost.test.ts, so it cannot drift). List prices, us-east-1, first tier,
 * as published on 2026-12-01; check the current ones.
 */
export const PRICES = {
  /** CloudWatch custom metric, per month (first 10,000). */
  metric: 0.3,
  /** CloudWatch standard-resolution alarm, per alarm metric and month (a Metrics Insights alarm: per metric analyzed). */
  alarmMetric: 0.1,
  /** PutMetricData, per 1,000 requests. */
  putMetricDataRequests: 0.01,
  /** DynamoDB on-demand, per million write and read request units. */
  dynamoWriteUnits: 0.625,
  dynamoReadUnits: 0.125,
  /** CloudWatch Logs ingestion, per GB. */
  logsIngestedGb: 0.5,
  /** Lambda on Arm, per GB-second, and per million requests. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequests: 0.2,
} as const;

export interface CostInputs {
  endpoints: number;
  rateMinutes: number;
  /** Custom metrics per endpoint (the Endpoint dimension), and run-level ones in all (per shard). */
  metricsPerEndpoint: number;
  runMetrics: number;
  /** Alarm metrics per endpoint, and the monitor's own alarms in all. */
  alarmsPerEndpoint: number;
  monitorAlarms: number;
  /** Datums per endpoint and run, and per PutMetricData request (batched). */
  datumsPerEndpointRun: number;
  datumsPerRequest: number;
  /** The memory: one consistent BatchGetItem read and one UpdateItem per endpoint and run, of this item size. */
  memoryItemBytes: number;
  logBytesPerEndpointRun: number;
  /** Lambda, at worst: every shard's run takes its whole timeout. */
  shards: number;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface CostLine {
  item: string;
  perEndpointMonth: number;
}

const RUNS_PER_MONTH_AT = (rateMinutes: number) => (30 * 24 * 60) / rateMinutes;

export function costPerEndpointMonth(c: CostInputs): { lines: CostLine[]; total: number } {
  const runs = RUNS_PER_MONTH_AT(c.rateMinutes);
  const per = (total: number) => total / c.endpoints;
  const lines: CostLine[] = [
    {
      item: `custom metrics: ${c.metricsPerEndpoint} per endpoint, ${c.runMetrics} run-level`,
      perEndpointMonth: c.metricsPerEndpoint * PRICES.metric + per(c.runMetrics * PRICES.metric),
    },
    {
      item: `alarms: ${c.alarmsPerEndpoint} per endpoint, ${c.monitorAlarms} on the monitor`,
      perEndpointMonth: c.alarmsPerEndpoint * PRICES.alarmMetric + per(c.monitorAlarms * PRICES.alarmMetric),
    },
    {
      item: `PutMetricData: ${c.datumsPerEndpointRun} datums per run, ${c.datumsPerRequest} per request`,
      perEndpointMonth: ((runs * c.datumsPerEndpointRun) / c.datumsPerRequest / 1000) * PRICES.putMetricDataRequests,
    },
    {
      item: `DynamoDB: 1 read + 1 write of ${c.memoryItemBytes} bytes per run`,
      perEndpointMonth:
        (runs * (Math.ceil(c.memoryItemBytes / 4096) * PRICES.dynamoReadUnits + Math.ceil(c.memoryItemBytes / 1024) * PRICES.dynamoWriteUnits)) / 1e6,
    },
    {
      item: `logs: ${c.logBytesPerEndpointRun} bytes per endpoint and run`,
      perEndpointMonth: ((runs * c.logBytesPerEndpointRun) / 1e9) * PRICES.logsIngestedGb,
    },
    {
      item: `Lambda (at worst: ${c.shards} shard(s) × ${c.timeoutSeconds} s × ${c.memoryMb} MB every run)`,
      perEndpointMonth: per(runs * c.shards * (c.timeoutSeconds * (c.memoryMb / 1024) * PRICES.lambdaGbSecond + PRICES.lambdaRequests / 1e6)),
    },
  ];
  return { lines, total: lines.reduce((sum, l) => sum + l.perEndpointMonth, 0) };
}

/** The README's table. */
export function costTable(title: string, cost: { lines: CostLine[]; total: number }): string {
  const rows = cost.lines.map((l) => `| ${l.item} | $${l.perEndpointMonth.toFixed(3)} |`);
  return [`| ${title} | per endpoint-month |`, "|---|---|", ...rows, `| **total** | **$${cost.total.toFixed(2)}** |`].join("\n");
}
