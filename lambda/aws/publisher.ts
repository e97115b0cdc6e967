/**
 * The only module that talks to AWS: previous state (GetMetricData), metrics (PutMetricData) and alerts (SNS
 * Publish). Retries with backoff are the SDK's own (standard mode); every request has a connection and a request
 * timeout (the SDK's request handler options), and every call takes the run's abort signal, so that a stalled AWS
 * endpoint costs at most the run's reserve, never the run.
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDataQuery, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Alert } from "../report/alerts.js";

export const SDK_MAX_ATTEMPTS = 3;
/** TCP+TLS connect to the AWS endpoint. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;
/** One request's answer, per attempt. */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;
/** GetMetricData pages read per batch of queries; an endpoint that keeps answering NextToken is cut off here. */
export const MAX_METRIC_DATA_PAGES = 10;

export interface ClientOverrides {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
}

/**
 * Clients as the Lambda uses them; the standard AWS_REGION and AWS_ENDPOINT_URL[_SERVICE] variables apply. The
 * overrides are for tests against a fake endpoint, which must exercise this same configuration.
 */
export function defaultClients(overrides: ClientOverrides = {}): { cloudwatch: CloudWatchClient; sns: SNSClient } {
  const { requestTimeoutMs, connectionTimeoutMs, maxAttempts, ...rest } = overrides;
  const config = {
    ...rest,
    maxAttempts: maxAttempts ?? SDK_MAX_ATTEMPTS,
    retryMode: "standard" as const,
    // throwOnRequestTimeout: without it the handler only logs a warning past requestTimeout and keeps waiting
    // (the fault suite hung 15 s without it); with it the attempt fails and the SDK's retry takes over.
    requestHandler: {
      connectionTimeout: connectionTimeoutMs ?? AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
  return { cloudwatch: new CloudWatchClient(config), sns: new SNSClient(config) };
}

/** GetMetricData takes at most 500 queries per call. */
const MAX_QUERIES = 500;

export interface PutResult {
  published: number;
  /** Batches that failed after the SDK's retries (or were cut by the signal), with the error. */
  failed: Array<{ datums: MetricDatum[]; error: string }>;
}

const errorText = (err: unknown): string => {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
};

export interface MetricQuery {
  metric: string;
  endpoint: string;
}

export class AwsPublisher {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly sns: SNSClient,
  ) {}

  /**
   * The most recent datapoints (newest first, at most `count`) of each metric and endpoint within [since, until],
   * keyed `metric endpoint`; series without one are absent. Throws when AWS fails or pagination does not end.
   */
  async recentValues(namespace: string, queries: MetricQuery[], since: Date, until: Date, periodSeconds: number, count: number, signal?: AbortSignal): Promise<Map<string, number[]>> {
    const values = new Map<string, number[]>();
    for (let i = 0; i < queries.length; i += MAX_QUERIES) {
      const slice = queries.slice(i, i + MAX_QUERIES);
      const dataQueries: MetricDataQuery[] = slice.map((q, j) => ({
        Id: `q${j}`,
        MetricStat: {
          Metric: { Namespace: namespace, MetricName: q.metric, Dimensions: [{ Name: "Endpoint", Value: q.endpoint }] },
          Period: periodSeconds,
          Stat: "Maximum",
        },
        ReturnData: true,
      }));
      let nextToken: string | undefined;
      let pages = 0;
      do {
        if (++pages > MAX_METRIC_DATA_PAGES) throw new Error(`GetMetricData still returned NextToken after ${MAX_METRIC_DATA_PAGES} pages`);
        const out = await this.cloudwatch.send(
          new GetMetricDataCommand({ MetricDataQueries: dataQueries, StartTime: since, EndTime: until, ScanBy: "TimestampDescending", NextToken: nextToken }),
          signal ? { abortSignal: signal } : {},
        );
        for (const r of out.MetricDataResults ?? []) {
          const q = slice[Number(r.Id?.slice(1))];
          if (!q || !r.Values?.length) continue;
          const key = `${q.metric} ${q.endpoint}`;
          const list = values.get(key) ?? [];
          for (const v of r.Values) if (list.length < count && Number.isFinite(v)) list.push(v);
          values.set(key, list);
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    return values;
  }

  /** Sends every batch; a batch that still fails after the SDK's retries (or is cut by the signal) is returned, not thrown. */
  async putMetrics(namespace: string, batches: MetricDatum[][], signal?: AbortSignal): Promise<PutResult> {
    const result: PutResult = { published: 0, failed: [] };
    await Promise.all(
      batches.map(async (datums) => {
        try {
          if (signal?.aborted) throw new Error("the run's deadline for AWS calls was reached");
          await this.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: datums }), signal ? { abortSignal: signal } : {});
          result.published += datums.length;
        } catch (err) {
          result.failed.push({ datums, error: errorText(err) });
        }
      }),
    );
    return result;
  }

  /** Publishes an alert; returns the error text instead of throwing. */
  async publishAlert(topicArn: string, alert: Alert, signal?: AbortSignal): Promise<string | undefined> {
    try {
      if (signal?.aborted) throw new Error("the run's deadline for AWS calls was reached");
      await this.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: alert.subject,
          Message: alert.message,
          MessageAttributes: Object.fromEntries(Object.entries(alert.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }])),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return undefined;
    } catch (err) {
      return errorText(err);
    }
  }
}
