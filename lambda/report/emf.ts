/**
 * CloudWatch Embedded Metric Format: the fallback when PutMetricData fails for good. Lambda writes these lines to
 * its log group and CloudWatch turns them into the same metrics. One JSON object per line, per endpoint and time;
 * at most 100 metrics and 100 values per metric in one object (EMF limits).
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";

const MAX_METRICS_PER_LINE = 100;
const MAX_VALUES_PER_METRIC = 100;

interface Group {
  dimensions: Record<string, string>;
  timestamp: number;
  values: Map<string, { unit: string; values: number[] }>;
}

function expand(d: MetricDatum): number[] {
  if (d.Value !== undefined) return [d.Value];
  const values = d.Values ?? [];
  return values.flatMap((v, i) => Array<number>(Math.max(1, Math.round(d.Counts?.[i] ?? 1))).fill(v));
}

export function emfLines(namespace: string, datums: MetricDatum[]): string[] {
  const groups = new Map<string, Group>();
  for (const d of datums) {
    const dimensions = Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name!, x.Value!]));
    const timestamp = (d.Timestamp ?? new Date()).getTime();
    const key = JSON.stringify([dimensions, timestamp]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { dimensions, timestamp, values: new Map() }));
    const entry = g.values.get(d.MetricName!) ?? { unit: d.Unit ?? "None", values: [] };
    entry.values.push(...expand(d));
    g.values.set(d.MetricName!, entry);
  }
  const lines: string[] = [];
  for (const g of groups.values()) {
    // Split every metric's values into chunks of 100, then pack chunks into lines of at most 100 metrics each.
    const chunks: Array<Array<[string, string, number[]]>> = [];
    for (const [name, { unit, values }] of g.values) {
      for (let i = 0, n = 0; i < values.length; i += MAX_VALUES_PER_METRIC, n++) {
        chunks[n] ??= [];
        chunks[n]!.push([name, unit, values.slice(i, i + MAX_VALUES_PER_METRIC)]);
      }
    }
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i += MAX_METRICS_PER_LINE) {
        const part = chunk.slice(i, i + MAX_METRICS_PER_LINE);
        const line: Record<string, unknown> = {
          _aws: {
            Timestamp: g.timestamp,
            CloudWatchMetrics: [
              { Namespace: namespace, Dimensions: [Object.keys(g.dimensions)], Metrics: part.map(([name, unit]) => ({ Name: name, Unit: unit })) },
            ],
          },
          ...g.dimensions,
        };
        for (const [name, , values] of part) line[name] = values.length === 1 ? values[0] : values;
        lines.push(JSON.stringify(line));
      }
    }
  }
  return lines;
}
