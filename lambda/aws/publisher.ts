/**
 * The AWS module (with state-table.ts, the memory in DynamoDB): metrics (PutMetricData), alerts (SNS
 * Publish), the members of ELBv2 target groups (DescribeTargetHealth, EC2 DescribeInstances) and client certificates
 * (Secrets Manager GetSecretValue). Retries with backoff are the SDK's own (standard mode); every request has a connection and a request
 * timeout (the SDK's request handler options), and every call takes the run's abort signal, so that a stalled AWS
 * endpoint costs at most the run's reserve, never the run.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { createRequire } from "node:module";
import { isIP } from "node:net";
import type { ClientCredentials } from "../probe/tls-context.js";
import type { ClientCertificateLookup, ProbeError, TargetGroupLookup, TargetGroupTarget } from "../probe/types.js";
import { credentialsFromSecret } from "../registry/client-certificate.js";
import { arnRegion } from "../registry/schema.js";
import type { Alert } from "../report/alerts.js";

export const SDK_MAX_ATTEMPTS = 3;
/** TCP+TLS connect to the AWS endpoint. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;
/** One request's answer, per attempt. */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;
/** Pages read of one paginated answer; an endpoint that keeps answering NextToken is cut off here. */
export const MAX_PAGES = 10;

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
  const config = clientConfig(overrides);
  // Publish is not idempotent: a 500 or a timeout after SNS took the message leaves it unknown whether it went out,
  // and the SDK's retry would send it again under a new message id. One attempt here; the claim in the memory is
  // retried by a later run with the same transition id, which a subscriber can drop (lambda/memory/model.ts).
  // PutMetricData likewise (a retried 500 stored the datums twice, then EMF a third time): one attempt, EMF after.
  return { cloudwatch: new CloudWatchClient({ ...config, maxAttempts: 1 }), sns: new SNSClient({ ...config, maxAttempts: 1 }) };
}

/** Every client's configuration: the SDK's standard retry, connection and request timeouts that fail the attempt. */
export function clientConfig(overrides: ClientOverrides) {
  const { requestTimeoutMs, connectionTimeoutMs, maxAttempts, ...rest } = overrides;
  return {
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
}

export interface PutResult {
  published: number;
  /** Batches that failed (or were cut by the signal), with the error; ambiguous: CloudWatch may have stored them. */
  failed: Array<{ datums: MetricDatum[]; error: string; ambiguous: boolean }>;
}

/** AWS error text as logged and counted: the name and at most MAX_ERROR_CHARS (a 200 KB error body is not a log line). */
export const MAX_ERROR_CHARS = 500;
export function boundedError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  const text = `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS)}… (${text.length} characters)`;
}
const errorText = boundedError;

/**
 * Whether CloudWatch may have stored what it answered with an error: a server error or no answer at all (a
 * throttle, a validation or access error is a refusal, nothing stored).
 */
function mayHaveStored(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

export class AwsPublisher {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly sns: SNSClient,
  ) {}

  /**
   * Sends every batch, one attempt each (the CloudWatch client is not retried: PutMetricData is not idempotent, a
   * retry after a 500 that stored the batch stored it again); a batch that fails is returned, not thrown, and goes
   * out as EMF instead.
   */
  async putMetrics(namespace: string, batches: MetricDatum[][], signal?: AbortSignal): Promise<PutResult> {
    const result: PutResult = { published: 0, failed: [] };
    await Promise.all(
      batches.map(async (datums) => {
        if (signal?.aborted) {
          result.failed.push({ datums, error: "the run's deadline for AWS calls was reached (not sent)", ambiguous: false });
          return;
        }
        try {
          await this.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: datums }), signal ? { abortSignal: signal } : {});
          result.published += datums.length;
        } catch (err) {
          result.failed.push({ datums, error: errorText(err), ambiguous: mayHaveStored(err) });
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
          // A FIFO topic needs a group (one per endpoint keeps its messages in order) and a deduplication id: the
          // transition id, so that SNS itself drops a resend within its 5-minute window.
          ...(topicArn.endsWith(".fifo")
            ? { MessageGroupId: alert.endpoint.slice(0, 128), MessageDeduplicationId: (alert.attributes.transitionId ?? alert.subject).slice(0, 128) }
            : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return undefined;
    } catch (err) {
      return errorText(err);
    }
  }
}

/** Instance ids per DescribeInstances call (a filter takes at most 200 values); pages bounded by MAX_PAGES. */
const INSTANCE_IDS_PER_CALL = 100;

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

const awsError = (err: unknown): ProbeError => {
  const e = err as { name?: string; message?: string };
  const name = e?.name ?? "Error";
  return { class: "aws", code: name, message: `${name}: ${(e?.message ?? String(err)).split("\n")[0]}` };
};

/**
 * ELBv2 target groups, read in the target group's own region (the ARN names it). IP targets are probed at their
 * address, instance targets at their private IPv4 (EC2 DescribeInstances, imported only when an instance target is
 * met: the EC2 client is most of the SDK's size); Lambda and ALB targets are listed and not probed.
 */
export class AwsTargetGroups {
  private readonly elb = new Map<string, ElasticLoadBalancingV2Client>();
  private readonly ec2 = new Map<
    string,
    Promise<{ send: (ids: string[], token: string | undefined, signal?: AbortSignal) => Promise<{ ips: Map<string, string | undefined>; next?: string }> }>
  >();

  constructor(private readonly overrides: ClientOverrides = {}) {}

  readonly lookup: TargetGroupLookup = async (arn, signal) => {
    const region = this.overrides.region ?? arnRegion(arn);
    let descriptions: TargetHealthDescription[];
    try {
      const out = await this.elbClient(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), signal ? { abortSignal: signal } : {});
      descriptions = out.TargetHealthDescriptions ?? [];
    } catch (err) {
      return { arn, targets: [], error: awsError(err) };
    }
    const targets = descriptions.map((d) => describeTarget(d));
    const instances = targets.filter((t) => t.address === undefined && t.skipped === undefined && INSTANCE_ID.test(t.id));
    const [proxyProtocolV2] = await Promise.all([
      this.proxyProtocolV2(region, arn, signal),
      instances.length ? this.resolveInstances(region, instances, signal) : Promise.resolve(),
    ]);
    return { arn, targets, ...(proxyProtocolV2 === undefined ? {} : { proxyProtocolV2 }) };
  };

  /**
   * The group's proxy_protocol_v2.enabled: its targets then expect a PROXY v2 header, and a probe without one is
   * refused as a broken header. Undefined when the attribute could not be read (the entry's proxyProtocol decides).
   */
  private async proxyProtocolV2(region: string, arn: string, signal?: AbortSignal): Promise<boolean | undefined> {
    try {
      const out = await this.elbClient(region).send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }), signal ? { abortSignal: signal } : {});
      const value = out.Attributes?.find((a) => a.Key === "proxy_protocol_v2.enabled")?.Value;
      return value === undefined ? undefined : value === "true";
    } catch {
      return undefined;
    }
  }

  private elbClient(region: string): ElasticLoadBalancingV2Client {
    let client = this.elb.get(region);
    if (!client) this.elb.set(region, (client = new ElasticLoadBalancingV2Client(clientConfig({ ...this.overrides, region }))));
    return client;
  }

  /** Fills in each instance target's private IPv4; an instance EC2 does not return, or a failed call, is a skip with its reason. */
  private async resolveInstances(region: string, targets: TargetGroupTarget[], signal?: AbortSignal): Promise<void> {
    const ips = new Map<string, string | undefined>();
    const ids = [...new Set(targets.map((t) => t.id))];
    try {
      const ec2 = await this.ec2Client(region);
      for (let i = 0; i < ids.length; i += INSTANCE_IDS_PER_CALL) {
        let token: string | undefined;
        let pages = 0;
        do {
          if (++pages > MAX_PAGES) throw new Error(`DescribeInstances still returned NextToken after ${MAX_PAGES} pages`);
          const page = await ec2.send(ids.slice(i, i + INSTANCE_IDS_PER_CALL), token, signal);
          for (const [id, ip] of page.ips) ips.set(id, ip);
          token = page.next;
        } while (token);
      }
    } catch (err) {
      const e = awsError(err);
      for (const t of targets) t.skipped = `its private address is unknown: DescribeInstances failed (${e.message})`;
      return;
    }
    for (const t of targets) {
      const ip = ips.get(t.id);
      if (ip) t.address = ip;
      else t.skipped = ips.has(t.id) ? "the instance has no private IPv4 address" : "DescribeInstances did not return this instance";
    }
  }

  private ec2Client(region: string) {
    let client = this.ec2.get(region);
    if (!client) {
      client = loadEc2().then(({ EC2Client, DescribeInstancesCommand }) => {
        const ec2 = new EC2Client(clientConfig({ ...this.overrides, region }));
        return {
          send: async (ids: string[], token: string | undefined, signal?: AbortSignal) => {
            // A filter, not InstanceIds: with InstanceIds one terminated instance (still registered, draining) fails the
            // whole call with InvalidInstanceID.NotFound; a filter just leaves it out, and that target says so.
            const input = { Filters: [{ Name: "instance-id", Values: ids }], ...(token ? { NextToken: token } : {}) };
            const out = await ec2.send(new DescribeInstancesCommand(input), signal ? { abortSignal: signal } : {});
            const found = new Map<string, string | undefined>();
            for (const r of out.Reservations ?? [])
              for (const inst of r.Instances ?? []) if (inst.InstanceId) found.set(inst.InstanceId, inst.PrivateIpAddress);
            return { ips: found, ...(out.NextToken ? { next: out.NextToken } : {}) };
          },
        };
      });
      this.ec2.set(region, client);
    }
    return client;
  }
}

/**
 * The EC2 client, loaded only for instance targets. The Lambda bundle leaves it out (it is most of the SDK's size:
 * 1.6 MB and 126 ms of init with it, 467 KB and 56 ms without) and takes the runtime's own SDK, which an ES module
 * cannot import by name there but require() finds on the runtime's NODE_PATH.
 */
async function loadEc2(): Promise<typeof import("@aws-sdk/client-ec2")> {
  try {
    return await import("@aws-sdk/client-ec2");
  } catch {
    return createRequire(import.meta.url)("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
  }
}

function describeTarget(d: TargetHealthDescription): TargetGroupTarget {
  const id = d.Target?.Id ?? "";
  const h = d.TargetHealth;
  const target: TargetGroupTarget = {
    id,
    ...(d.Target?.Port === undefined ? {} : { port: d.Target.Port }),
    ...(d.Target?.AvailabilityZone ? { availabilityZone: d.Target.AvailabilityZone } : {}),
    health: { state: h?.State ?? "unknown", ...(h?.Reason ? { reason: h.Reason } : {}), ...(h?.Description ? { description: h.Description } : {}) },
  };
  if (/:lambda:/.test(id)) target.skipped = "a Lambda function target: no TLS server to probe";
  else if (/:loadbalancer\/app\//.test(id)) target.skipped = "an Application Load Balancer target: register the ALB as an endpoint of its own";
  else if (target.port === undefined) target.skipped = "DescribeTargetHealth gave no port";
  else if (isIP(id)) target.address = id;
  else if (!INSTANCE_ID.test(id)) target.skipped = "not an IP address, instance, Lambda or ALB target";
  return target;
}

/**
 * How long a container keeps a client certificate read from its secret: a rotated certificate is picked up within
 * this, and a run every few minutes costs one GetSecretValue per secret per quarter hour, not one per run.
 */
export const CLIENT_CERTIFICATE_CACHE_MS = 15 * 60_000;

/**
 * Client certificates from Secrets Manager (SecretString `{"cert": PEM, "key": PEM}`), in the secret's own region.
 * A certificate read is kept for CLIENT_CERTIFICATE_CACHE_MS; a failure is never kept (the next run reads again).
 * Errors name the secret and AWS's error code, never the secret's value; the key stays in memory only.
 */
export class AwsClientCertificates {
  private readonly clients = new Map<string, { send: (arn: string, signal?: AbortSignal) => Promise<string | undefined> }>();
  private readonly cache = new Map<string, { credentials: ClientCredentials; until: number }>();

  constructor(
    private readonly overrides: ClientOverrides = {},
    private readonly now: () => number = Date.now,
  ) {}

  readonly lookup: ClientCertificateLookup = async (arn, signal) => {
    const cached = this.cache.get(arn);
    if (cached && cached.until > this.now()) return { credentials: cached.credentials };
    this.cache.delete(arn);
    let text: string | undefined;
    try {
      text = await (await this.client(this.overrides.region ?? arnRegion(arn))).send(arn, signal);
    } catch (err) {
      return { error: awsError(err) };
    }
    if (text === undefined)
      return { error: { class: "aws", code: "NoSecretString", message: `secret ${arn} has no SecretString (a binary secret is not read)` } };
    try {
      const credentials = credentialsFromSecret(text, arn);
      this.cache.set(arn, { credentials, until: this.now() + CLIENT_CERTIFICATE_CACHE_MS });
      return { credentials };
    } catch (err) {
      return { error: { class: "aws", code: "InvalidSecret", message: (err as Error).message } };
    }
  };

  private async client(region: string) {
    let client = this.clients.get(region);
    if (!client) {
      const { SecretsManagerClient, GetSecretValueCommand } = await loadSecretsManager();
      const sm = new SecretsManagerClient(clientConfig({ ...this.overrides, region }));
      client = {
        send: async (arn: string, signal?: AbortSignal) =>
          (await sm.send(new GetSecretValueCommand({ SecretId: arn }), signal ? { abortSignal: signal } : {})).SecretString,
      };
      this.clients.set(region, client);
    }
    return client;
  }
}

/** The Secrets Manager client, loaded only when an endpoint's certificate is a secret (left out of the bundle as EC2's is). */
async function loadSecretsManager(): Promise<typeof import("@aws-sdk/client-secrets-manager")> {
  try {
    return await import("@aws-sdk/client-secrets-manager");
  } catch {
    return createRequire(import.meta.url)("@aws-sdk/client-secrets-manager") as typeof import("@aws-sdk/client-secrets-manager");
  }
}
