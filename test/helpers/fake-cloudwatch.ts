/**
 * aws-sdk-client-mock stand-ins for CloudWatch and SNS: PutMetricData stores what it was sent, Publish answers OK.
 * (The monitor's memory is not here: tests give runMonitor a real store, a history file or DynamoDB on moto.)
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";

export function fakeAws() {
  const cloudwatch = mockClient(CloudWatchClient);
  const sns = mockClient(SNSClient);
  const stored: Array<{ namespace: string; datum: MetricDatum }> = [];
  cloudwatch.on(PutMetricDataCommand).callsFake((input: { Namespace: string; MetricData: MetricDatum[] }) => {
    for (const datum of input.MetricData) stored.push({ namespace: input.Namespace, datum });
    return {};
  });
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
