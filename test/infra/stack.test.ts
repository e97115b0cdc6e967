/** The synthesized template: assertions on what it must contain, cdk-nag, malformed registries, 10,000 endpoints. */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as cdk from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.js";
import { ALARMS_PER_ENDPOINT, ENDPOINTS_PER_ALARM_STACK, FLEET_ALARMS_ABOVE_ENDPOINTS, FLEET_MAX_ENDPOINTS_PER_SHARD } from "../../infra/construct.js";
import { MAX_ALARM_DESCRIPTION } from "../../infra/alarms.js";
import { FLEET_ALARM_METRICS } from "../../lambda/report/metrics.js";
import { endpointCost, planShards, shardCapacity } from "../../infra/shards.js";
import type { TlsPoolMonitorStack } from "../../infra/stack.js";
import { shardOf } from "../../lambda/registry/shard.js";
import { ENV } from "../../lambda/settings.js";
import { loadRegistryFile } from "../../lambda/registry/load.js";
import { parseRegistry } from "../../lambda/registry/schema.js";
import { TestPki } from "../helpers/pool.js";

let dir: string;
let caPem: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tpm-infra-"));
  caPem = (await TestPki.create()).caPem;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function registryFile(content: unknown): string {
  const file = join(dir, `registry-${files++}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function synth(registry: string, config: Record<string, unknown> = {}, bundle = false): TlsPoolMonitorStack[] {
  const app = new cdk.App({
    context: {
      // Asset metadata (where the function's code was staged) is read once below.
      ...(bundle ? { "aws:cdk:enable-asset-metadata": true } : { "aws:cdk:bundling-stacks": [] }),
      tlsPoolMonitor: { registry, regions: ["eu-west-1"], ...config },
    },
  });
  return buildApp(app);
}

interface Widget {
  type: string;
  properties: Record<string, unknown>;
}

/** The dashboard's widgets, its body's tokens (ARNs, the region) replaced by a placeholder. */
function dashboardWidgets(t: Template): Widget[] {
  const [dashboard] = Object.values(t.findResources("AWS::CloudWatch::Dashboard"));
  const body = dashboard!.Properties.DashboardBody as string | { "Fn::Join": [string, unknown[]] };
  const text = typeof body === "string" ? body : body["Fn::Join"][1].map((p) => (typeof p === "string" ? p : "TOKEN")).join("");
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

let registryName = "";
const SMALL = () =>
  registryFile({
    endpoints: [
      { name: "puppetdb", host: "puppetdb.example.com", port: 8081, members: ["10.0.1.11", "10.0.1.12"], discover: "none", ca: caPem },
      { name: "api", host: "api.example.com" },
    ],
  });

describe("the stack", () => {
  let template: Template;
  let stack: TlsPoolMonitorStack;
  beforeAll(() => {
    const file = SMALL();
    registryName = basename(file);
    [stack] = synth(file, { alertEmails: ["ops@example.com"] }, true) as [TlsPoolMonitorStack];
    template = Template.fromStack(stack);
  }, 120_000);

  it("ships the prebuilt handler bundle (dist/handler) for nodejs22.x on arm64, with the registry beside it", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 300,
      TracingConfig: { Mode: "Active" },
      ReservedConcurrentExecutions: 2, // one shard: its run and an overlapping or retried one
      Environment: { Variables: Match.objectLike({ METRIC_NAMESPACE: "TlsPoolMonitor", CONCURRENCY: "32", ALERT_TOPIC_ARN: Match.anyValue() }) },
    });
    const fn = stack.monitor.function;
    const asset = (fn.node.defaultChild as cdk.CfnResource).getMetadata("aws:asset:path") as string;
    const assetDir = join(cdk.Stage.of(stack)!.outdir, asset);
    const registry = JSON.parse(readFileSync(join(assetDir, "registry.json"), "utf8"));
    expect(registry.endpoints.map((e: { name: string }) => e.name)).toEqual(["puppetdb", "api"]);
    // The CA bundle as a file of its own beside registry.json, read by the function's own loader.
    expect(registry.endpoints[0].ca).toMatch(/^ca-[0-9a-f]{16}\.pem$/);
    expect(readFileSync(join(assetDir, registry.endpoints[0].ca), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const bundled = loadRegistryFile(join(assetDir, "registry.json"));
    expect(bundled.errors).toEqual([]);
    expect(bundled.endpoints[0]!.ca).toContain("BEGIN CERTIFICATE");
    expect(readFileSync(join(assetDir, "index.mjs"))).toEqual(readFileSync("dist/handler/index.mjs"));
    expect(existsSync(join(assetDir, "index.mjs.map"))).toBe(true);
  });

  it("the function's environment: only names lambda/settings.ts reads, the expiry threshold the alarm uses", () => {
    const fn = Object.values(template.findResources("AWS::Lambda::Function")).find((r) => r.Properties.Environment)!;
    const variables = fn.Properties.Environment.Variables as Record<string, string>;
    const known = new Set<string>([...Object.values(ENV), "NODE_OPTIONS", "AWS_NODEJS_CONNECTION_REUSE_ENABLED"]);
    expect(Object.keys(variables).filter((k) => !known.has(k))).toEqual([]);
    expect(variables[ENV.expiryWarningDays]).toBe("21");
  });

  it("log group with retention, async invocation with a failure queue and bounded retries", () => {
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true });
  });

  it("one schedule per shard, passing { shard, shards }", () => {
    const rules = template.findResources("AWS::Events::Rule");
    expect(Object.keys(rules)).toHaveLength(1);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      Targets: [Match.objectLike({ Input: JSON.stringify({ shard: 0, shards: 1 }), RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  it("an encrypted topic with enforced TLS, a key CloudWatch may use, and the email subscription", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish" }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::KMS::Key", {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"] })]),
      },
    });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com", RedrivePolicy: Match.anyValue() });
  });

  it("least-privilege IAM: metrics into our namespace only, publish to the one topic, the one key", () => {
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement,
    ) as Array<{
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }>;
    const find = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    expect(find("cloudwatch:PutMetricData")).toEqual([
      { Action: "cloudwatch:PutMetricData", Effect: "Allow", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "TlsPoolMonitor" } } },
    ]);
    expect(find("cloudwatch:GetMetricData")).toEqual([]);
    // The memory: read and conditional update on the one table, nothing else (no Scan, no Delete).
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("dynamodb:")));
    expect(dynamo).toHaveLength(1);
    expect([dynamo[0]!.Action].flat().sort()).toEqual(["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]);
    expect(JSON.stringify(dynamo[0]!.Resource)).toMatch(/^\[\{"Fn::GetAtt":\["MonitorState[0-9A-F]+","Arn"\]\}/);
    expect(find("sns:Publish")).toHaveLength(1);
    expect(JSON.stringify(find("sns:Publish")[0]!.Resource)).toMatch(/^\{"Ref":"MonitorAlertTopic[0-9A-F]+"\}$/);
    expect(JSON.stringify(find("kms:Decrypt")[0]!.Resource)).toContain("AlertKey");
    // No other write access anywhere.
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(
      actions.filter(
        (a) =>
          !/^(cloudwatch:PutMetricData|dynamodb:(BatchGetItem|UpdateItem)|sns:Publish|kms:(GenerateDataKey\*|Decrypt)|xray:|sqs:SendMessage|sqs:GetQueueAttributes|sqs:GetQueueUrl)/.test(
            a,
          ),
      ),
    ).toEqual([]);
  });

  it("four alarms per endpoint with essential metrics, each named for endpoint and condition; all but Java risk act on the topic (one cause, one notice: the function's message tells divergence and Java risk)", () => {
    const nested = stack.monitor.node.findAll().filter((c): c is cdk.NestedStack => c instanceof cdk.NestedStack);
    expect(nested).toHaveLength(1);
    const alarms = Template.fromStack(nested[0]!);
    alarms.resourceCountIs("AWS::CloudWatch::Alarm", 2 * ALARMS_PER_ENDPOINT.essential);
    alarms.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "TlsPoolMonitor/puppetdb/java-abort-risk",
      MetricName: "JavaAbortRisk",
      AlarmActions: Match.absent(),
      OKActions: Match.absent(),
    });
    for (const [condition, metric] of [
      ["handshake-failures", "HandshakeFailures"],
      ["resumption-failures", "ResumptionFailures"],
      ["expires-within-21-days", "MinDaysToExpiry"],
    ]) {
      alarms.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `TlsPoolMonitor/puppetdb/${condition}`,
        MetricName: metric,
        AlarmActions: [Match.anyValue()],
        OKActions: [Match.anyValue()],
        Dimensions: [{ Name: "Endpoint", Value: "puppetdb" }],
        Namespace: "TlsPoolMonitor",
      });
    }
    const names = Object.values(alarms.findResources("AWS::CloudWatch::Alarm")).map((a) => String(a.Properties.AlarmName));
    expect(names.filter((n) => /certificate-divergence|heartbeat-missing/.test(n))).toEqual([]);
    // The heartbeat is the shard's: endpoints without a result, or no run at all (missing data breaches).
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: `TlsPoolMonitor/shard-0-of-${stack.monitor.shardPlan.shards}/heartbeat`,
      MetricName: "EndpointsNotFinished",
      Dimensions: [{ Name: "Shard", Value: "0" }],
      TreatMissingData: "breaching",
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it("full metrics: a fifth alarm per endpoint, its own heartbeat", () => {
    const [full] = synth(
      registryFile({
        endpoints: [
          { name: "a", host: "a.example.com" },
          { name: "b", host: "b.example.com" },
        ],
      }),
      { metrics: "full" },
    );
    const nested = full!.monitor.node.findAll().filter((c): c is cdk.NestedStack => c instanceof cdk.NestedStack);
    const alarms = Template.fromStack(nested[0]!);
    alarms.resourceCountIs("AWS::CloudWatch::Alarm", 2 * ALARMS_PER_ENDPOINT.full);
    alarms.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ProbeCompleted",
      TreatMissingData: "breaching",
      ComparisonOperator: "LessThanThreshold",
    });
    Template.fromStack(full!).hasResourceProperties("AWS::Lambda::Function", { Environment: { Variables: Match.objectLike({ METRICS: "full" }) } });
  });

  it("the memory's table: on-demand, encrypted, point-in-time recovery, TTL, kept on stack deletion; the function is told its name", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: Match.objectLike({
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "endpoint", KeyType: "HASH" }],
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      }),
      DeletionPolicy: "Retain",
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ STATE_TABLE: { Ref: Match.stringLikeRegexp("^MonitorState") }, METRICS: "essential", ROLLOUT_STALL_HOURS: "24" }),
      },
    });
  });

  it("alarms on the monitor itself: alerts SNS did not take, and failed invocations", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "TlsPoolMonitor/monitor/alert-publish-failures",
      MetricName: "AlertPublishFailures",
      Threshold: 0,
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "TlsPoolMonitor/monitor/failed-invocations",
      MetricName: "ApproximateNumberOfMessagesVisible",
      AlarmActions: [Match.anyValue()],
    });
  });

  it("alarm descriptions are runbooks: what it means, what to do first, the command that reproduces it, within 1,024 characters", () => {
    const all = [stack, ...stack.node.findAll().filter((c): c is cdk.NestedStack => c instanceof cdk.NestedStack)].flatMap((st) =>
      Object.values(Template.fromStack(st).findResources("AWS::CloudWatch::Alarm")).map((a) => a.Properties as { AlarmName: string; AlarmDescription: string }),
    );
    expect(all.length).toBeGreaterThanOrEqual(2 * ALARMS_PER_ENDPOINT.essential + 4);
    for (const a of all) {
      expect(a.AlarmDescription.length, a.AlarmName).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION);
      expect(a.AlarmDescription, a.AlarmName).toMatch(/\. First: .+ Runbook: docs\/alarms\.md in the tls-pool-monitor package#[a-z-]+$/);
    }
    const java = all.find((a) => a.AlarmName === "TlsPoolMonitor/puppetdb/java-abort-risk")!;
    expect(java.AlarmDescription).toMatch(/^tls-pool-monitor, endpoint puppetdb: members present certificates that are not identity-equivalent/);
    expect(java.AlarmDescription).toContain(`Reproduce: npx tls-pool-monitor probe --registry ${registryName} --endpoint puppetdb.`);
    const failed = all.find((a) => a.AlarmName === "TlsPoolMonitor/monitor/failed-invocations")!;
    expect(failed.AlarmDescription).toMatch(/First: read a message of the failed-invocation queue/);
  });

  it("member discovery: a run-level DiscoveryProblems alarm per shard, acting on the topic", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "TlsPoolMonitor/shard-0-of-1/member-discovery",
      MetricName: "DiscoveryProblems",
      Dimensions: [{ Name: "Shard", Value: "0" }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [Match.anyValue()],
    });
  });

  it("the function logs in Lambda's JSON format at level INFO", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      LoggingConfig: Match.objectLike({ LogFormat: "JSON", ApplicationLogLevel: "INFO", SystemLogLevel: "INFO" }),
    });
  });

  it("a dashboard for the on-call: the monitor's alarms, worst endpoints now, divergent endpoints from the log, the function's health; no SEARCH", () => {
    const widgets = dashboardWidgets(template);
    const types = widgets.map((w) => w.type);
    expect(types.filter((t) => t === "alarm")).toHaveLength(2);
    const text = JSON.stringify(widgets);
    expect(text).not.toContain("SEARCH(");
    // Alarm status: the monitor's own (heartbeat, discovery, publish failures, failed invocations), then the endpoints'.
    const [own, endpoints] = widgets.filter((w) => w.type === "alarm").map((w) => (w.properties.alarms as string[]).map((arn) => arn.split(":alarm:")[1]));
    expect(own).toEqual(
      expect.arrayContaining([
        "TlsPoolMonitor/shard-0-of-1/heartbeat",
        "TlsPoolMonitor/shard-0-of-1/member-discovery",
        "TlsPoolMonitor/monitor/alert-publish-failures",
        "TlsPoolMonitor/monitor/failed-invocations",
      ]),
    );
    expect(endpoints).toHaveLength(2 * ALARMS_PER_ENDPOINT.essential);
    expect(endpoints).toContain("TlsPoolMonitor/puppetdb/resumption-failures");
    // Worst now: one Metrics Insights table per alarmed metric, worst first, bounded.
    const tables = widgets.filter((w) => w.type === "metric" && w.properties.view === "table");
    expect(tables.map((w) => JSON.stringify(w.properties.metrics))).toEqual([
      expect.stringContaining('SELECT MAX(JavaAbortRisk) FROM SCHEMA(\\"TlsPoolMonitor\\", Endpoint) GROUP BY Endpoint ORDER BY MAX() DESC LIMIT 10'),
      expect.stringContaining("SELECT SUM(HandshakeFailures)"),
      expect.stringContaining("SELECT MAX(ResumptionFailures)"),
      expect.stringContaining('SELECT MIN(MinDaysToExpiry) FROM SCHEMA(\\"TlsPoolMonitor\\", Endpoint) GROUP BY Endpoint ORDER BY MIN() ASC LIMIT 10'),
    ]);
    // Divergent and failing endpoints from the function's own lines (JSON log format: fields under message).
    const log = widgets.find((w) => w.type === "log")!;
    expect(String(log.properties.query)).toMatch(/filter message\.msg = "endpoint" and message\.level != "info"/);
    // The function's errors, throttles and duration, and the queues.
    for (const metric of [
      "Errors",
      "Throttles",
      "Duration",
      "ApproximateNumberOfMessagesVisible",
      "EndpointsProbed",
      "EndpointsNotFinished",
      "DiscoveryProblems",
    ])
      expect(text, metric).toContain(metric);
    // Not published under essential metrics: not graphed (an empty graph reads as "all is well").
    for (const metric of ["CertificateVariants", "ResumptionRefused", "HandshakeLatency"]) expect(text, metric).not.toContain(metric);
  });

  it("cdk-nag AwsSolutions and Serverless: no unsuppressed error or warning (nested stacks report here too)", () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
    expect(annotations.findWarning("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
  });

  it("the same nag check does catch a violation (canary)", async () => {
    const { AwsSolutionsChecks } = await import("cdk-nag");
    const sqs = await import("aws-cdk-lib/aws-sqs");
    const app = new cdk.App();
    const canary = new cdk.Stack(app, "Canary");
    new sqs.Queue(canary, "Plain", { encryption: sqs.QueueEncryption.UNENCRYPTED });
    cdk.Aspects.of(app).add(new AwsSolutionsChecks());
    expect(Annotations.fromStack(canary).findError("*", Match.stringLikeRegexp("AwsSolutions-SQS.*")).length).toBeGreaterThan(0);
  });
});

describe("configuration", () => {
  it("an existing topic by ARN: no key or topic created, publish granted on that ARN", () => {
    const arn = "arn:aws:sns:eu-west-1:123456789012:ops-alerts";
    const [stack] = synth(SMALL(), { alertTopicArn: arn });
    const t = Template.fromStack(stack!);
    t.resourceCountIs("AWS::SNS::Topic", 0);
    t.resourceCountIs("AWS::KMS::Key", 0);
    expect(JSON.stringify(t.findResources("AWS::IAM::Policy"))).toContain(arn);
  });

  it("a VPC for private members, and one stack per region", () => {
    const stacks = synth(SMALL(), {
      regions: ["eu-west-1", "us-east-1"],
      vpc: { vpcId: "vpc-0abc", availabilityZones: ["eu-west-1a"], privateSubnetIds: ["subnet-0abc"], securityGroupIds: ["sg-0abc"] },
    });
    expect(stacks.map((s) => s.region)).toEqual(["eu-west-1", "us-east-1"]);
    Template.fromStack(stacks[0]!).hasResourceProperties("AWS::Lambda::Function", {
      VpcConfig: { SubnetIds: ["subnet-0abc"], SecurityGroupIds: ["sg-0abc"] },
    });
  });

  it("a bad setting names the key", () => {
    expect(() => synth(SMALL(), { rateMinutes: 0 })).toThrow(/rateMinutes: /);
    expect(() => synth(SMALL(), { regions: ["mars-1"] })).toThrow(/regions.0: must be an AWS region name/);
    expect(() => synth(SMALL(), { colour: "red" })).toThrow(/Unrecognized key.*colour/);
    // 45 synthesizes fine with a cast and then fails at deploy: only CloudWatch Logs' own periods are accepted.
    expect(() => synth(SMALL(), { logRetentionDays: 45 })).toThrow(
      /logRetentionDays: must be one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60/,
    );
  });
});

describe("malformed registries are rejected at synth, naming file, endpoint and field", () => {
  const ok = { name: "e", host: "e.example" };
  const cases: Array<[string, unknown, RegExp]> = [
    ["empty file", "", /file is empty/],
    ["not JSON", "{ endpoints: ", /not valid JSON/],
    ["an array", "[]", /must be an object/],
    ["no endpoints", {}, /endpoints: is required/],
    ["endpoints not a list", { endpoints: {} }, /endpoints: is required and must be an array/],
    ["empty list", { endpoints: [] }, /endpoints: is empty/],
    ["unknown top-level field", { endpoints: [ok], extra: 1 }, /extra: unknown field/],
    ["missing host", { endpoints: [{ name: "a" }] }, /endpoints\[0\] \("a"\): host: is required/],
    ["missing name", { endpoints: [{ host: "a.example" }] }, /endpoints\[0\]: name: is required/],
    ["empty name", { endpoints: [{ name: "", host: "a.example" }] }, /name: must not be empty/],
    ["host not a name", { endpoints: [{ name: "a", host: "not a host" }] }, /host: must be a DNS name or an IP address/],
    ["bad port", { endpoints: [{ ...ok, port: 70000 }] }, /port: must be 1-65535/],
    ["port as string", { endpoints: [{ ...ok, port: "443" }] }, /port: /],
    ["fractional port", { endpoints: [{ ...ok, port: 443.5 }] }, /port: must be an integer/],
    ["duplicate names", { endpoints: [ok, { ...ok, host: "f.example" }] }, /endpoints\[1\] \("e"\): name: duplicate of endpoints\[0\]/],
    ["bad member address", { endpoints: [{ ...ok, members: ["10.0.0.1", "db1"] }] }, /members\[1\]: "db1" is not an IP address/],
    ["bad member port", { endpoints: [{ ...ok, members: ["10.0.0.1:99999"] }] }, /members\[0\]: "10.0.0.1:99999" has an invalid port/],
    ["duplicate member", { endpoints: [{ ...ok, members: ["10.0.0.1", "10.0.0.1:443"] }] }, /members\[1\]: duplicate member 10.0.0.1:443/],
    ["negative attempts", { endpoints: [{ ...ok, attempts: -1 }] }, /attempts: must be at least 1/],
    ["too many attempts", { endpoints: [{ ...ok, attempts: 1000 }] }, /attempts: must be at most 100/],
    ["bad discover", { endpoints: [{ ...ok, discover: "mdns" }] }, /discover: /],
    ["timeout too small", { endpoints: [{ ...ok, timeoutMs: 5 }] }, /timeoutMs: must be at least 100/],
    [
      "bad CA PEM",
      { endpoints: [{ ...ok, ca: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----" }] },
      /ca: certificate 1 of the bundle does not parse/,
    ],
    ["CA file missing", { endpoints: [{ ...ok, ca: "missing.pem" }] }, /ca: cannot read CA file .*missing\.pem: ENOENT/],
    [
      "CA holding a key, not a certificate",
      { endpoints: [{ ...ok, ca: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }] },
      /ca: holds a PRIVATE KEY block/,
    ],
    ["CA with a block that is not a certificate", { endpoints: [{ ...ok, ca: "-----BEGIN X-----\n-----END X-----\n" }] }, /ca: holds a X block/],
    ["unknown field", { endpoints: [{ ...ok, colour: "red" }] }, /unknown field\(s\) "colour"/],
    ["entry not an object", { endpoints: ["e.example"] }, /endpoints\[0\]: /],
    [
      "target group ARN of a load balancer",
      { endpoints: [{ ...ok, targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/vip/0123456789abcdef" }] },
      /targetGroupArn: must be an ELBv2 target group ARN/,
    ],
  ];
  it.each(cases)("%s", (_name, content, message) => {
    const file = registryFile(content);
    let error: Error | undefined;
    try {
      synth(file);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(file);
  });
});

describe("shards sized by plans", () => {
  const endpoint = (name: string, members: number) => ({
    name,
    host: "10.0.0.1",
    port: 443,
    servername: "svc.example",
    members: Array.from({ length: members }, (_, i) => ({ address: `10.1.0.${i + 1}`, port: 443, label: `10.1.0.${i + 1}:443` })),
    discover: "none" as const,
    attempts: 8,
    timeoutMs: 5000,
  });
  it("a 100-member pool costs what its plan connects, not one endpoint's share", () => {
    const small = endpointCost(endpoint("small", 0), 10);
    const big = endpointCost(endpoint("big", 100), 10);
    expect(small).toBe(10);
    // 24 chain + 1,400 member (14 each) + 2 × 400 sampled matrix connections.
    expect(big).toBeCloseTo((10 * (24 + 1400 + 800)) / 24);
    const plan = planShards([{ name: "big", cost: big }, ...Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, cost: small }))], 255 * 2);
    expect(Math.max(...plan.costs)).toBeLessThanOrEqual(255 * 2);
    expect(plan.shards).toBeGreaterThanOrEqual(Math.ceil((big + 50 * small) / (255 * 2)));
  });

  it("an endpoint whose chains can outlast an invocation is a synth warning naming it", () => {
    const [stack] = synth(
      registryFile({
        endpoints: [
          { name: "slow", host: "slow.example", attempts: 100, timeoutMs: 60_000 },
          { name: "fine", host: "fine.example" },
        ],
      }),
    );
    const warnings = Annotations.fromStack(stack!).findWarning("*", Match.stringLikeRegexp("resumption chains can take"));
    expect(warnings.map((w) => String(w.entry.data as string))).toEqual([expect.stringContaining("endpoint slow:")]);
  });

  it("an endpoint over a whole shard's capacity is named, and the planner still ends", () => {
    const plan = planShards(
      [
        { name: "huge", cost: 1e6 },
        { name: "a", cost: 1 },
      ],
      100,
    );
    expect(plan.oversized).toEqual(["huge"]);
    expect(plan.shards).toBeGreaterThanOrEqual(1);
  });
});

describe("members from target groups", () => {
  const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/puppetdb/0123456789abcdef";
  const statements = (t: Template) =>
    Object.values(t.findResources("AWS::IAM::Policy")).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Condition?: unknown }> } } }).Properties.PolicyDocument.Statement,
    );
  const VPC = { vpcId: "vpc-0abc", availabilityZones: ["eu-west-1a"], privateSubnetIds: ["subnet-0abc"], securityGroupIds: ["sg-0abc"] };

  it("no target group in the registry: no ELBv2 or EC2 permission at all", () => {
    const [stack] = synth(SMALL());
    expect(
      statements(Template.fromStack(stack!))
        .flatMap((st) => [st.Action].flat())
        .filter((a) => /^(elasticloadbalancing|ec2):/.test(a)),
    ).toEqual([]);
  });

  it("a target-group endpoint: DescribeTargetHealth and DescribeInstances in its region only, and the ARN reaches the bundled registry", () => {
    const file = registryFile({ endpoints: [{ name: "puppetdb", host: "vip.example.com", targetGroupArn: ARN }] });
    const [stack] = synth(file, { vpc: VPC });
    const t = Template.fromStack(stack!);
    expect(statements(t).filter((st) => [st.Action].flat().includes("elasticloadbalancing:DescribeTargetHealth"))).toEqual([
      {
        Action: ["elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTargetGroupAttributes", "ec2:DescribeInstances"],
        Effect: "Allow",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": ["eu-west-1"] } },
      },
    ]);
    expect(Annotations.fromStack(stack!).findWarning("*", Match.stringLikeRegexp("target group"))).toEqual([]);
    expect(Annotations.fromStack(stack!).findError("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
  });

  it("a client certificate from a secret: GetSecretValue on that secret only (as written and with AWS's suffix); files are refused, naming the endpoint", () => {
    const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:puppetdb-monitor";
    const [stack] = synth(registryFile({ endpoints: [{ name: "puppetdb", host: "vip.example.com", clientCertificate: { secretArn: SECRET } }] }));
    const t = Template.fromStack(stack!);
    expect(statements(t).filter((st) => [st.Action].flat().includes("secretsmanager:GetSecretValue"))).toEqual([
      { Action: "secretsmanager:GetSecretValue", Effect: "Allow", Resource: [SECRET, `${SECRET}-??????`] },
    ]);
    expect(Annotations.fromStack(stack!).findError("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
    // Without a secret, no Secrets Manager permission at all.
    const [plain] = synth(SMALL());
    expect(statements(Template.fromStack(plain!)).filter((st) => [st.Action].flat().some((a) => a.startsWith("secretsmanager:")))).toEqual([]);
    writeFileSync(join(dir, "client.pem"), "not read");
    expect(() =>
      synth(registryFile({ endpoints: [{ name: "puppetdb", host: "vip.example.com", clientCertificate: { cert: "client.pem", key: "client.key" } }] })),
    ).toThrow(/endpoint endpoints\[0\] \("puppetdb"\): clientCertificate: client.pem: client certificate files are never bundled into the function/);
  });

  it("without a VPC, synth warns that the targets' private addresses are out of reach", () => {
    const [stack] = synth(registryFile({ endpoints: [{ name: "puppetdb", host: "vip.example.com", targetGroupArn: ARN }] }));
    const warnings = Annotations.fromStack(stack!).findWarning("*", Match.stringLikeRegexp("read their members from a target group"));
    expect(warnings.map((w) => String(w.entry.data as string))).toEqual([expect.stringContaining("puppetdb")]);
  });

  it("the ARN survives the registry's round trip into the bundle", async () => {
    const { serializeRegistry } = await import("../../infra/registry.js");
    const { parseRegistry } = await import("../../lambda/registry/schema.js");
    const first = parseRegistry(
      JSON.stringify({ endpoints: [{ name: "puppetdb", host: "vip.example.com", targetGroupArn: ARN, members: ["10.0.0.1"] }] }),
      "r.json",
    );
    const again = parseRegistry(serializeRegistry(first.endpoints), "bundle");
    expect(again.errors).toEqual([]);
    expect(again.endpoints).toEqual(first.endpoints);
    // Beside a target group, DNS discovery is off unless asked for: an NLB's name resolves to its own nodes.
    expect(first.endpoints[0]!.discover).toBe("none");
  });
});

describe("what synth bundles for the function", () => {
  it("45 endpoints sharing one CA file: the bundle once, re-encoded (no text outside its blocks), registry.json small, loaded as the function loads it", async () => {
    const { stageRegistry } = await import("../../infra/registry.js");
    const pki = await TestPki.create();
    const caText = `# ops notes -- password: hunter2\n${pki.caPem}\ntrailing words\n`;
    writeFileSync(join(dir, "shared-ca.pem"), caText);
    const file = registryFile({ endpoints: Array.from({ length: 45 }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.example.com`, ca: "shared-ca.pem" })) });
    const staged = stageRegistry(loadRegistryFile(file).endpoints);
    const files = readdirSync(staged).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toBe("registry.json");
    expect(statSync(join(staged, "registry.json")).size).toBeLessThan(10_000);
    const everything = files.map((f) => readFileSync(join(staged, f), "utf8")).join("");
    expect(everything).not.toContain("hunter2");
    expect(everything).not.toContain("trailing words");
    const bundled = loadRegistryFile(join(staged, "registry.json"));
    expect(bundled.errors).toEqual([]);
    expect(bundled.endpoints).toHaveLength(45);
    expect(new X509Certificate(bundled.endpoints[44]!.ca!).fingerprint256).toBe(new X509Certificate(pki.caPem).fingerprint256);
    rmSync(staged, { recursive: true, force: true });
  });

  it("a registry the function would refuse (over its 16 MB) fails synth, saying so", async () => {
    const { stageRegistry } = await import("../../infra/registry.js");
    const entry = parseRegistry(JSON.stringify({ endpoints: [{ name: "e", host: "h.example.com" }] }), "r").endpoints[0]!;
    const endpoints = Array.from({ length: 120_000 }, (_, i) => ({ ...entry, name: `endpoint-with-a-long-name-${i}`, host: `host-${i}.example.com` }));
    expect(() => stageRegistry(endpoints)).toThrow(/the registry the function reads would be \d+ bytes, over the 16777216 it accepts/);
  });
});

describe("alarm modes", () => {
  const many = (n: number) => registryFile({ endpoints: Array.from({ length: n }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.example.com` })) });

  it(`auto: per-endpoint alarms up to ${FLEET_ALARMS_ABOVE_ENDPOINTS} endpoints, fleet alarms above`, () => {
    const [small] = synth(many(FLEET_ALARMS_ABOVE_ENDPOINTS));
    expect(small!.monitor.alarmMode).toBe("per-endpoint");
    const [big] = synth(many(FLEET_ALARMS_ABOVE_ENDPOINTS + 1));
    expect(big!.monitor.alarmMode).toBe("fleet");
    const [forced] = synth(many(3), { alarmMode: "fleet" });
    expect(forced!.monitor.alarmMode).toBe("fleet");
  });

  it("fleet: one Metrics Insights alarm per alarmed metric and shard, each endpoint a contributor, acting on the topic", () => {
    const [stack] = synth(many(3), { alarmMode: "fleet" });
    const t = Template.fromStack(stack!);
    const plan = stack!.monitor.shardPlan;
    const fleet = Object.values(t.findResources("AWS::CloudWatch::Alarm")).filter((a) => a.Properties.Metrics?.[0]?.Expression !== undefined);
    expect(fleet).toHaveLength(plan.shards * FLEET_ALARM_METRICS.length);
    const resumption = fleet.find((a) => a.Properties.AlarmName === `TlsPoolMonitor/shard-0-of-${plan.shards}/resumption-failures`)!;
    expect(resumption.Properties).toMatchObject({
      Metrics: [
        {
          Id: "q",
          Expression: `SELECT MAX(ResumptionFailures) FROM SCHEMA("TlsPoolMonitor", Endpoint, Shard) WHERE Shard = '0' GROUP BY Endpoint ORDER BY MAX() DESC`,
          Period: 300,
          ReturnData: true,
        },
      ],
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      TreatMissingData: "notBreaching",
      AlarmActions: [expect.anything()],
      OKActions: [expect.anything()],
    });
    const java = fleet.find((a) => a.Properties.AlarmName === `TlsPoolMonitor/shard-0-of-${plan.shards}/java-abort-risk`)!;
    expect(java.Properties.AlarmActions).toBeUndefined();
    expect(fleet.map((a) => a.Properties.Metrics[0].Expression as string).filter((q) => q.includes("JavaAbortRisk"))).toEqual([
      `SELECT MAX(JavaAbortRisk) FROM SCHEMA("TlsPoolMonitor", Endpoint, Shard) WHERE Shard = '0' GROUP BY Endpoint ORDER BY MAX() DESC`,
    ]);
    t.hasResourceProperties("AWS::Lambda::Function", { Environment: { Variables: Match.objectLike({ FLEET_SHARDS: String(plan.shards) }) } });
    expect(stack!.monitor.node.findAll().filter((c) => c instanceof cdk.NestedStack)).toEqual([]);
  });

  it("a namespace Metrics Insights cannot quote is refused, naming the key", () => {
    expect(() => synth(many(1), { namespace: 'Tls"Pool' })).toThrow(/namespace: must be letters, digits/);
    expect(() => synth(many(1), { namespace: "AWS/Lambda" })).toThrow(/namespace: must not start with AWS\//);
  });
});

describe("scale", () => {
  it("10,000 endpoints under fleet alarms: at most 10 alarms per shard, at most 500 endpoints per shard, no nested stack, cdk-nag clean", () => {
    const endpoints = Array.from({ length: 10_000 }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.example.com` }));
    const started = performance.now();
    const [stack] = synth(registryFile({ endpoints }));
    const t = Template.fromStack(stack!);
    const synthMs = performance.now() - started;
    const plan = stack!.monitor.shardPlan;
    expect(stack!.monitor.alarmMode).toBe("fleet");
    expect(Math.max(...plan.sizes)).toBeLessThanOrEqual(FLEET_MAX_ENDPOINTS_PER_SHARD);
    const alarms = Object.values(t.findResources("AWS::CloudWatch::Alarm"));
    const perShard = new Map<string, number>();
    for (const a of alarms) {
      const shard = /\/shard-(\d+)-of-/.exec(String(a.Properties.AlarmName))?.[1];
      if (shard !== undefined) perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    expect(perShard.size).toBe(plan.shards);
    expect(Math.max(...perShard.values())).toBeLessThanOrEqual(10);
    expect(stack!.monitor.node.findAll().filter((c) => c instanceof cdk.NestedStack)).toEqual([]);
    expect(Annotations.fromStack(stack!).findError("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
    expect(Annotations.fromStack(stack!).findWarning("*", Match.stringLikeRegexp("(AwsSolutions|Serverless)-.*"))).toEqual([]);
    const bytes = JSON.stringify(t.toJSON()).length;
    expect(bytes).toBeLessThan(1_000_000); // CloudFormation's template size limit (uploaded to S3)
    console.log(`fleet, 10,000 endpoints: ${plan.shards} shards, ${alarms.length} alarms, template ${bytes} bytes, synth ${Math.round(synthMs)} ms`);
  }, 120_000);

  it("a 10,000-endpoint registry synthesizes into shards that each fit their budget", () => {
    const endpoints = Array.from({ length: 10_000 }, (_, i) => ({ name: `svc-${i}`, host: `svc-${i}.example.com` }));
    const started = performance.now();
    const [stack] = synth(registryFile({ endpoints }), { alarmMode: "per-endpoint" });
    const plan = stack!.monitor.shardPlan;
    const capacity = shardCapacity(300, 32);
    expect(plan.capacity).toBe(capacity);
    // Each endpoint plans 24 chain connections + 3 DNS members (12 member probes, an 18-offer matrix): 54.
    const cost = (10 * 54) / 24;
    expect(plan.shards).toBeGreaterThanOrEqual(Math.ceil((10_000 * cost) / capacity));
    const sizes = Array<number>(plan.shards).fill(0);
    for (const e of endpoints) sizes[shardOf(e.name, plan.shards)]!++;
    expect(sizes).toEqual(plan.sizes);
    expect(Math.max(...plan.costs)).toBeLessThanOrEqual(capacity);
    expect(plan.oversized).toEqual([]);
    const t = Template.fromStack(stack!);
    t.resourceCountIs("AWS::Events::Rule", plan.shards);
    const nested = stack!.monitor.node.findAll().filter((c): c is cdk.NestedStack => c instanceof cdk.NestedStack);
    expect(nested).toHaveLength(Math.ceil(10_000 / ENDPOINTS_PER_ALARM_STACK));
    // Every template stays within CloudFormation's 500 resources.
    expect(Object.keys(t.toJSON().Resources).length).toBeLessThan(500);
    expect(Object.keys(Template.fromStack(nested[0]!).toJSON().Resources).length).toBeLessThanOrEqual(ENDPOINTS_PER_ALARM_STACK * ALARMS_PER_ENDPOINT.full);
    const templateBytes = nested.map((s) => JSON.stringify(Template.fromStack(s).toJSON()).length);
    // CloudFormation reads a template of at most 1 MB from S3: the runbook descriptions (up to 1,024 characters per
    // alarm) must still fit a nested stack of alarms.
    expect(Math.max(...templateBytes)).toBeLessThan(1_000_000);
    const bytes = templateBytes.reduce((n, b) => n + b, JSON.stringify(t.toJSON()).length);
    console.log(
      `per-endpoint, 10,000 endpoints: ${plan.shards} shards, ${10_000 * ALARMS_PER_ENDPOINT.essential} alarms in ${nested.length} nested stacks, templates ${bytes} bytes, synth ${Math.round(performance.now() - started)} ms`,
    );
  }, 300_000);
});
