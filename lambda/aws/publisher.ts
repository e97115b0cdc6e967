/**
 * The only module that talks to AWS: previous state (GetMetricData), metrics (PutMetricData) and alerts (SNS
 * Publish). Retries with backoff are the SDK's own (standard mode, maxAttempts from the client's configuration).
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDataQuery, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Alert } from "../report/alerts.js";

export const SDK_MAX_ATTEMPTS = 5;

/** Clients as the Lambda uses them; the standard AWS_REGION and AWS_ENDPOINT_URL[_SERVICE] variables apply. */
export function defaultClients(): { cloudwatch: CloudWatchClient; sns: SNSClient } {
  const config = { maxAttempts: SDK_MAX_ATTEMPTS, retryMode: "standard" as const };
  return { cloudwatch: new CloudWatchClient(config), sns: new SNSClient(config) };
}

/** GetMetricData takes at most 500 queries per call. */
const MAX_QUERIES = 500;

export interface PutResult {
  published: number;
  /** Batches that failed after the SDK's retries, with the error. */
  failed: Array<{ datums: MetricDatum[]; error: string }>;
}

const errorText = (err: unknown) => {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
};

export class AwsPublisher {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly sns: SNSClient,
  ) {}

  /** The latest datapoint of `metric` per endpoint within [since, until]; endpoints without one are absent. */
  async latestValues(namespace: string, metric: string, endpoints: string[], since: Date, until: Date, periodSeconds: number): Promise<Map<string, number>> {
    const latest = new Map<string, number>();
    for (let i = 0; i < endpoints.length; i += MAX_QUERIES) {
      const slice = endpoints.slice(i, i + MAX_QUERIES);
      const queries: MetricDataQuery[] = slice.map((endpoint, j) => ({
        Id: `q${j}`,
        MetricStat: {
          Metric: { Namespace: namespace, MetricName: metric, Dimensions: [{ Name: "Endpoint", Value: endpoint }] },
          Period: periodSeconds,
          Stat: "Maximum",
        },
        ReturnData: true,
      }));
      let nextToken: string | undefined;
      do {
        const out = await this.cloudwatch.send(
          new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: since, EndTime: until, ScanBy: "TimestampDescending", NextToken: nextToken }),
        );
        for (const r of out.MetricDataResults ?? []) {
          const endpoint = slice[Number(r.Id!.slice(1))]!;
          if (!latest.has(endpoint) && r.Values?.length) latest.set(endpoint, r.Values[0]!);
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    return latest;
  }

  /** Sends every batch; a batch that still fails after the SDK's retries is returned, not thrown. */
  async putMetrics(namespace: string, batches: MetricDatum[][]): Promise<PutResult> {
    const result: PutResult = { published: 0, failed: [] };
    await Promise.all(
      batches.map(async (datums) => {
        try {
          await this.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: datums }));
          result.published += datums.length;
        } catch (err) {
          result.failed.push({ datums, error: errorText(err) });
        }
      }),
    );
    return result;
  }

  /** Publishes an alert; returns the error text instead of throwing. */
  async publishAlert(topicArn: string, alert: Alert): Promise<string | undefined> {
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: alert.subject,
          Message: alert.message,
          MessageAttributes: Object.fromEntries(Object.entries(alert.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }])),
        }),
      );
      return undefined;
    } catch (err) {
      return errorText(err);
    }
  }
}
