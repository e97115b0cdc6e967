/**
 * aws-sdk-client-mock stand-ins for CloudWatch and SNS that behave like a tiny metric store: GetMetricData answers
 * with what earlier PutMetricData calls stored, so that alert transitions can be tested over several runs.
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";

const dimensionKey = (dims: Array<{ Name?: string | undefined; Value?: string | undefined }> | undefined) =>
  JSON.stringify((dims ?? []).map((d) => [d.Name, d.Value]).sort());

export function fakeAws() {
  const cloudwatch = mockClient(CloudWatchClient);
  const sns = mockClient(SNSClient);
  const stored: Array<{ namespace: string; datum: MetricDatum }> = [];
  cloudwatch.on(PutMetricDataCommand).callsFake((input: { Namespace: string; MetricData: MetricDatum[] }) => {
    for (const datum of input.MetricData) stored.push({ namespace: input.Namespace, datum });
    return {};
  });
  cloudwatch.on(GetMetricDataCommand).callsFake(
    (input: {
      MetricDataQueries: Array<{
        Id: string;
        MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } };
      }>;
    }) => ({
      MetricDataResults: input.MetricDataQueries.map((q) => {
        const m = q.MetricStat.Metric;
        const values = stored
          // As CloudWatch does: a metric is its name and its whole dimension set (Endpoint alone is not Endpoint+Shard).
          .filter((s) => s.namespace === m.Namespace && s.datum.MetricName === m.MetricName && dimensionKey(s.datum.Dimensions) === dimensionKey(m.Dimensions))
          .map((s) => s.datum.Value!)
          .reverse();
        return { Id: q.Id, Values: values, StatusCode: "Complete" };
      }),
    }),
  );
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  return {
    cloudwatch,
    sns,
    stored,
    /** The datums stored for one metric and endpoint, oldest first. */
    values: (metric: string, endpoint: string) =>
      stored.filter((s) => s.datum.MetricName === metric && s.datum.Dimensions?.[0]?.Value === endpoint).map((s) => s.datum.Value),
    restore() {
      cloudwatch.restore();
      sns.restore();
    },
  };
}
