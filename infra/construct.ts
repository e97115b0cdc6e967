/**
 * TlsPoolMonitor: the scheduled probe function (one schedule per shard), its failure queue, the alert topic and
 * key, the alarms (per endpoint, or fleet alarms per shard: alarmMode), the run's own alarms and a dashboard. Reusable: a stack passes the validated registry and the settings.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import * as cdk from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { NagSuppressions } from "cdk-nag";
import { Construct } from "constructs";
import { arnRegion, clientSecretArn, type Endpoint } from "../lambda/registry/schema.js";
import type { MonitorConfig } from "./config.js";
import { stageRegistry } from "./registry.js";
import { endpointCost, planShards, shardCapacity, type ShardPlan } from "./shards.js";
import { probeBudgetMs } from "../lambda/deadline.js";
import { planEndpoint } from "../lambda/probe/plan.js";
import { FLEET_ALARM_METRICS, SHARD_DIMENSION, type MetricName, type MetricsLevel } from "../lambda/report/metrics.js";
import { ENV } from "../lambda/settings.js";
import { STATE_TABLE_KEY } from "../lambda/aws/state-table.js";

export interface TlsPoolMonitorProps {
  endpoints: Endpoint[];
  config: MonitorConfig;
}

/**
 * Alarms per endpoint (java-abort-risk, handshake-failures, resumption-failures, expiry; "full" metrics add the
 * per-endpoint heartbeat); nested stacks of this many endpoints keep each template under CloudFormation's 500
 * resources. No divergence alarm: the function's own message, told once from its memory, is that notice.
 */
export const ALARMS_PER_ENDPOINT: Record<MetricsLevel, number> = { essential: 4, full: 5 };
/** The most alarms an endpoint can have: what sizes the nested stacks. */
const MAX_ALARMS_PER_ENDPOINT = Math.max(...Object.values(ALARMS_PER_ENDPOINT));
export const ENDPOINTS_PER_ALARM_STACK = Math.floor(450 / MAX_ALARMS_PER_ENDPOINT);
/**
 * alarmMode "auto" switches to fleet alarms above this many endpoints: 250 endpoints are 1,250 per-endpoint alarms
 * in 3 nested stacks (deploys of minutes, a console nobody reads), and fleet alarms cost no more per endpoint
 * (README, Cost). Below it, per-endpoint alarms keep what fleet alarms cannot: an alarm per endpoint whose missing
 * heartbeat alone breaches.
 */
export const FLEET_ALARMS_ABOVE_ENDPOINTS = 250;
/** A Metrics Insights query returns at most 500 time series (more: the alarm evaluates PARTIAL_DATA). */
export const FLEET_MAX_ENDPOINTS_PER_SHARD = 500;
/** CloudWatch's default quota of Metrics Insights alarms per account and region. */
export const METRICS_INSIGHTS_ALARM_QUOTA = 200;

export type AlarmMode = "per-endpoint" | "fleet";

export function resolveAlarmMode(config: Pick<MonitorConfig, "alarmMode">, endpoints: number): AlarmMode {
  if (config.alarmMode !== "auto") return config.alarmMode;
  return endpoints > FLEET_ALARMS_ABOVE_ENDPOINTS ? "fleet" : "per-endpoint";
}

/** Left out of the bundle and taken from the Lambda runtime's SDK (lambda/aws/publisher.ts). */
export const EC2_CLIENT_MODULE = "@aws-sdk/client-ec2";
/** Loaded only when an endpoint's client certificate is a secret (lambda/aws/publisher.ts loadSecretsManager). */
export const SECRETS_MANAGER_CLIENT_MODULE = "@aws-sdk/client-secrets-manager";

const HANDLER_ENTRY = fileURLToPath(new URL("../lambda/handler.ts", import.meta.url));

/** One shard's Metrics Insights query: the statistic of one metric per endpoint, worst first. */
export function fleetQuery(namespace: string, metric: string, stat: "MIN" | "MAX" | "SUM", shard: number, order: "ASC" | "DESC"): string {
  return `SELECT ${stat}(${metric}) FROM SCHEMA("${namespace}", Endpoint, ${SHARD_DIMENSION}) WHERE ${SHARD_DIMENSION} = '${shard}' GROUP BY Endpoint ORDER BY ${stat}() ${order}`;
}

/** Alarm names: endpoint and condition, within CloudWatch's 255 characters. */
export function alarmName(endpoint: string, condition: string): string {
  const name = `TlsPoolMonitor/${endpoint}/${condition}`;
  if (name.length <= 255) return name;
  const hash = createHash("sha256").update(endpoint).digest("hex").slice(0, 8);
  return `TlsPoolMonitor/${endpoint.slice(0, 255 - condition.length - 27)}~${hash}/${condition}`;
}

export class TlsPoolMonitor extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly topic: sns.ITopic;
  readonly key?: kms.Key;
  readonly failureQueue: sqs.Queue;
  readonly undeliveredAlerts: sqs.Queue;
  readonly shardPlan: ShardPlan;
  readonly alarmMode: AlarmMode;
  readonly dashboard: cloudwatch.Dashboard;
  /** The monitor's memory: what subscribers were told, recent states, each member's certificates (lambda/memory). */
  readonly stateTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: TlsPoolMonitorProps) {
    super(scope, id);
    const { config, endpoints } = props;
    const stack = cdk.Stack.of(this);

    this.alarmMode = resolveAlarmMode(config, endpoints.length);
    this.shardPlan = planShards(
      endpoints.map((e) => ({ name: e.name, cost: endpointCost(e, config.endpointBudgetSeconds) })),
      shardCapacity(config.timeoutSeconds, config.concurrency),
      this.alarmMode === "fleet" ? FLEET_MAX_ENDPOINTS_PER_SHARD : undefined,
    );
    // Worst-case seconds: a chain is sequential, so an endpoint whose chains can outlast the invocation is cut by
    // the deadline whatever the sharding.
    const budgetSeconds = probeBudgetMs(config.timeoutSeconds * 1000) / 1000;
    for (const e of endpoints) {
      const worst = planEndpoint(e).worstCaseChainSeconds;
      if (worst > budgetSeconds) {
        cdk.Annotations.of(this).addWarningV2(
          "tls-pool-monitor:chain-over-budget",
          `endpoint ${e.name}: its resumption chains can take ${worst.toFixed(0)} s at worst (attempts × timeoutMs), more than the ${budgetSeconds.toFixed(0)} s an invocation probes; lower attempts or timeoutMs, or raise timeoutSeconds`,
        );
      }
    }
    for (const name of this.shardPlan.oversized) {
      cdk.Annotations.of(this).addWarningV2(
        "tls-pool-monitor:oversized-endpoint",
        `endpoint ${name}: its plan needs more connection-seconds than one invocation has; raise timeoutSeconds or concurrency, or lower attempts`,
      );
    }

    // Alert topic: our own, encrypted with a key CloudWatch alarms may use, or an existing one.
    if (config.alertTopicArn) {
      this.topic = sns.Topic.fromTopicArn(this, "AlertTopic", config.alertTopicArn);
    } else {
      this.key = new kms.Key(this, "AlertKey", { enableKeyRotation: true, description: "tls-pool-monitor alert topic" });
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "AllowCloudWatchAlarmsToPublish",
          principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
        }),
      );
      const topic = new sns.Topic(this, "AlertTopic", { masterKey: this.key, enforceSSL: true, displayName: "tls-pool-monitor alerts" });
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "AllowCloudWatchAlarms",
          principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
          actions: ["sns:Publish"],
          resources: [topic.topicArn],
          conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
        }),
      );
      this.topic = topic;
    }
    // Alerts SNS could not deliver to a subscriber are kept, not lost.
    this.undeliveredAlerts = new sqs.Queue(this, "UndeliveredAlerts", {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: cdk.Duration.days(14),
    });
    const deadLetterQueue = this.undeliveredAlerts;
    for (const email of config.alertEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue }));
    for (const url of config.alertHttpsUrls) {
      this.topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS, deadLetterQueue }));
    }

    this.failureQueue = new sqs.Queue(this, "FailedInvocations", {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: cdk.Duration.days(14),
    });

    // config.ts accepts only the retention values CloudWatch Logs takes (logs.RetentionDays).
    const logGroup = new logs.LogGroup(this, "Logs", { retention: config.logRetentionDays as logs.RetentionDays, removalPolicy: cdk.RemovalPolicy.RETAIN });
    const registryDir = stageRegistry(endpoints);
    // On-demand (a few small writes per endpoint and run), encrypted, recoverable; an endpoint removed from the
    // registry ages out by TTL (lambda/aws/state-table.ts MEMORY_TTL_DAYS).
    this.stateTable = new dynamodb.Table(this, "State", {
      partitionKey: { name: STATE_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    const vpcProps = config.vpc
      ? {
          vpc: ec2.Vpc.fromVpcAttributes(this, "Vpc", {
            vpcId: config.vpc.vpcId,
            availabilityZones: config.vpc.availabilityZones,
            privateSubnetIds: config.vpc.privateSubnetIds,
          }),
          vpcSubnets: { subnets: config.vpc.privateSubnetIds.map((id, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, id)) },
          securityGroups: config.vpc.securityGroupIds.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id)),
        }
      : {};

    this.function = new nodejs.NodejsFunction(this, "Probe", {
      entry: HANDLER_ENTRY,
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.memoryMb,
      timeout: cdk.Duration.seconds(config.timeoutSeconds),
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      // Two per shard: its run, and the next one when a run overlaps its schedule (timeoutSeconds may reach the rate)
      // or the asynchronous retry of a failed one. With one spare in all, overlapping shards were throttled.
      reservedConcurrentExecutions: 2 * this.shardPlan.shards,
      onFailure: new destinations.SqsDestination(this.failureQueue),
      retryAttempts: 1,
      maxEventAge: cdk.Duration.minutes(Math.max(1, Math.min(360, config.rateMinutes))),
      environment: {
        // The names the function reads (lambda/settings.ts ENV), from the one settings module.
        [ENV.namespace]: config.namespace,
        [ENV.topicArn]: this.topic.topicArn,
        [ENV.concurrency]: String(config.concurrency),
        [ENV.stateTable]: this.stateTable.tableName,
        [ENV.metrics]: config.metrics,
        [ENV.rolloutStallHours]: String(config.rolloutStallHours),
        // The expiry-soon finding follows the expiry alarm's threshold.
        [ENV.expiryWarningDays]: String(config.expiryAlarmDays),
        ...(this.alarmMode === "fleet" ? { [ENV.fleetShards]: String(this.shardPlan.shards) } : {}),
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: "node22",
        minify: true,
        sourceMap: true,
        mainFields: ["module", "main"],
        // The SDK is bundled rather than taken from the runtime: one tested version, and a single minified file
        // loads faster at cold start than the runtime's many SDK files (BENCHMARKS.md: ~95 ms vs ~170 ms init).
        // Except EC2's client, loaded only for instance targets (lambda/aws/publisher.ts loadEc2): bundled, it would
        // triple the bundle and double the init for every run.
        externalModules: [EC2_CLIENT_MODULE, SECRETS_MANAGER_CLIENT_MODULE],
        // Some dependencies are CommonJS: give the ESM bundle a require().
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // registry.json and the distinct CA bundles it names, beside the handler.
          afterBundling: (_input: string, output: string) => [`cp -R "${registryDir}/." "${output}/"`],
        },
      },
      ...vpcProps,
    });

    // Least privilege: metrics only into our namespace; the memory's table (read and conditional update, nothing
    // else); publish to the one topic; the topic's key for that publish.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["cloudwatch:PutMetricData"],
        resources: ["*"],
        conditions: { StringEquals: { "cloudwatch:namespace": config.namespace } },
      }),
    );
    this.stateTable.grant(this.function, "dynamodb:BatchGetItem", "dynamodb:UpdateItem");
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["sns:Publish"], resources: [this.topic.topicArn] }));
    if (this.key) {
      this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["kms:GenerateDataKey*", "kms:Decrypt"], resources: [this.key.keyArn] }));
    }
    this.grantTargetGroupReads(endpoints, config);
    this.grantClientCertificateReads(endpoints);

    for (let shard = 0; shard < this.shardPlan.shards; shard++) {
      new events.Rule(this, `Schedule${shard}`, {
        description: `tls-pool-monitor shard ${shard + 1} of ${this.shardPlan.shards} (${this.shardPlan.sizes[shard]} endpoints)`,
        schedule: events.Schedule.rate(cdk.Duration.minutes(config.rateMinutes)),
        targets: [
          new targets.LambdaFunction(this.function, {
            event: events.RuleTargetInput.fromObject({ shard, shards: this.shardPlan.shards }),
            deadLetterQueue: this.failureQueue,
            retryAttempts: 2,
            maxEventAge: cdk.Duration.hours(1),
          }),
        ],
      });
    }

    if (this.alarmMode === "fleet") this.addFleetAlarms(config);
    else this.addAlarms(endpoints, config);
    this.addRunAlarms(config);
    this.dashboard = this.addDashboard(config);
    this.suppressNagFindings();
  }

  private addAlarms(endpoints: Endpoint[], config: MonitorConfig): void {
    const action = new cwActions.SnsAction(this.topic);
    for (let i = 0; i < endpoints.length; i += ENDPOINTS_PER_ALARM_STACK) {
      const nested = new cdk.NestedStack(this, `Alarms${i / ENDPOINTS_PER_ALARM_STACK}`);
      for (const e of endpoints.slice(i, i + ENDPOINTS_PER_ALARM_STACK)) {
        const metric = (metricName: MetricName, statistic: string) =>
          new cloudwatch.Metric({
            namespace: config.namespace,
            metricName,
            dimensionsMap: { Endpoint: e.name },
            statistic,
            period: cdk.Duration.minutes(config.rateMinutes),
          });
        const id = createHash("sha256").update(e.name).digest("hex").slice(0, 12);
        const alarms = [
          metric("JavaAbortRisk", "Maximum").createAlarm(nested, `JavaRisk${id}`, {
            alarmName: alarmName(e.name, "java-abort-risk"),
            alarmDescription: `${e.name}: Java clients without endpoint identification can abort with "server certificate change is restricted during renegotiation".`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
          metric("HandshakeFailures", "Sum").createAlarm(nested, `Handshakes${id}`, {
            alarmName: alarmName(e.name, "handshake-failures"),
            alarmDescription: `${e.name}: TLS handshakes fail through the VIP or to members.`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
          metric("ResumptionFailures", "Maximum").createAlarm(nested, `Resumption${id}`, {
            alarmName: alarmName(e.name, "resumption-failures"),
            alarmDescription: `${e.name}: a session from one member offered to another is answered with a fatal alert (shared ticket keys with mixed EMS): resuming clients fail.`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
          metric("MinDaysToExpiry", "Minimum").createAlarm(nested, `Expiry${id}`, {
            alarmName: alarmName(e.name, `expires-within-${config.expiryAlarmDays}-days`),
            alarmDescription: `${e.name}: a presented certificate expires within ${config.expiryAlarmDays} days.`,
            threshold: config.expiryAlarmDays,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
          // The per-endpoint heartbeat needs the per-endpoint ProbeCompleted ("full"); otherwise the shard's
          // EndpointsNotFinished alarm is the heartbeat (addRunAlarms).
          ...(config.metrics === "full"
            ? [
                metric("ProbeCompleted", "Minimum").createAlarm(nested, `Heartbeat${id}`, {
                  alarmName: alarmName(e.name, "heartbeat-missing"),
                  alarmDescription: `${e.name}: the monitor did not finish probing this endpoint (not running, deadline, or invalid entry).`,
                  threshold: 1,
                  comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                  evaluationPeriods: 2,
                  treatMissingData: cloudwatch.TreatMissingData.BREACHING,
                }),
              ]
            : []),
        ];
        for (const alarm of alarms) {
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
      }
    }
  }

  /**
   * Fleet alarms: per shard, one Metrics Insights alarm per alarmed metric over that shard's endpoints, each endpoint
   * a contributor (at most 500: the planner keeps shards that small). CloudWatch notifies per contributor, with the
   * contributor's attributes (Endpoint names the endpoint); the alarm itself goes to ALARM when any contributor is.
   * No divergence alarm: the function's own message is that notice (as in per-endpoint mode, where that alarm has no
   * actions), and CertificateVariants keeps `Endpoint` alone.
   */
  private addFleetAlarms(config: MonitorConfig): void {
    const topicArn = this.topic.topicArn;
    const shards = this.shardPlan.shards;
    const period = config.rateMinutes * 60;
    const conditions: Array<{
      metric: (typeof FLEET_ALARM_METRICS)[number];
      stat: "MIN" | "MAX" | "SUM";
      condition: string;
      description: string;
      comparisonOperator: string;
      threshold: number;
      evaluationPeriods: number;
      datapointsToAlarm?: number;
      treatMissingData: string;
    }> = [
      {
        metric: "JavaAbortRisk",
        stat: "MAX",
        condition: "java-abort-risk",
        description: 'Java clients without endpoint identification can abort with "server certificate change is restricted during renegotiation"',
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      },
      {
        metric: "HandshakeFailures",
        stat: "SUM",
        condition: "handshake-failures",
        description: "TLS handshakes fail through the VIP or to members",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
      },
      {
        metric: "ResumptionFailures",
        stat: "MAX",
        condition: "resumption-failures",
        description: "a session from one member offered to another is answered with a fatal alert (shared ticket keys with mixed EMS): resuming clients fail",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      },
      {
        metric: "MinDaysToExpiry",
        stat: "MIN",
        condition: `expires-within-${config.expiryAlarmDays}-days`,
        description: `a presented certificate expires within ${config.expiryAlarmDays} days`,
        comparisonOperator: "LessThanThreshold",
        threshold: config.expiryAlarmDays,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      },
    ];
    for (let shard = 0; shard < shards; shard++) {
      for (const c of conditions) {
        // Worst first, so that the contributors CloudWatch keeps (at most 100 in ALARM) are the worst ones.
        const order = c.comparisonOperator === "LessThanThreshold" ? "ASC" : "DESC";
        new cloudwatch.CfnAlarm(this, `Fleet${c.metric}${shard}`, {
          alarmName: alarmName(`shard-${shard}-of-${shards}`, c.condition),
          alarmDescription: `Shard ${shard} of ${shards} (${this.shardPlan.sizes[shard]} endpoints): ${c.description}. Each endpoint is a contributor: its notification names it (contributor attribute Endpoint).`,
          metrics: [
            {
              id: "q",
              expression: fleetQuery(config.namespace, c.metric, c.stat, shard, order),
              period,
              returnData: true,
            },
          ],
          comparisonOperator: c.comparisonOperator,
          threshold: c.threshold,
          evaluationPeriods: c.evaluationPeriods,
          ...(c.datapointsToAlarm ? { datapointsToAlarm: c.datapointsToAlarm } : {}),
          treatMissingData: c.treatMissingData,
          alarmActions: [topicArn],
          okActions: [topicArn],
        });
      }
    }
    const total = shards * conditions.length;
    if (total > METRICS_INSIGHTS_ALARM_QUOTA) {
      cdk.Annotations.of(this).addWarningV2(
        "tls-pool-monitor:metrics-insights-alarm-quota",
        `fleet alarms: ${total} Metrics Insights alarms (${shards} shards × ${conditions.length}), above CloudWatch's default quota of ${METRICS_INSIGHTS_ALARM_QUOTA} per region; request an increase before deploying`,
      );
    }
  }

  /**
   * Only the secrets the registry names, each by its ARN as written and with `-??????`: a partial ARN (without AWS's
   * 6-character suffix) then matches its secret and no longer-named one. Whether an ARN is complete cannot be told
   * from its text ("db-secret" ends in six letters), so both forms are granted.
   */
  private grantClientCertificateReads(endpoints: Endpoint[]): void {
    const arns = [...new Set(endpoints.map(clientSecretArn).filter((a): a is string => a !== undefined))].sort();
    if (arns.length === 0) return;
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: arns.flatMap((arn) => [arn, `${arn}-??????`]),
      }),
    );
  }

  /**
   * Only when the registry names target groups: DescribeTargetHealth and DescribeInstances (neither supports
   * resource-level permissions), limited to the regions those target groups are in.
   */
  private grantTargetGroupReads(endpoints: Endpoint[], config: MonitorConfig): void {
    const groups = endpoints.filter((e) => e.targetGroupArn !== undefined);
    if (groups.length === 0) return;
    const regions = [...new Set(groups.map((e) => arnRegion(e.targetGroupArn!)))].sort();
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTargetGroupAttributes", "ec2:DescribeInstances"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:RequestedRegion": regions } },
      }),
    );
    if (!config.vpc) {
      cdk.Annotations.of(this).addWarningV2(
        "tls-pool-monitor:target-group-without-vpc",
        `${groups.length} endpoint(s) read their members from a target group (${groups
          .map((e) => e.name)
          .slice(0, 3)
          .join(
            ", ",
          )}${groups.length > 3 ? ", ..." : ""}), but the function runs outside any VPC: targets usually have private addresses it cannot reach. Set vpc in the tlsPoolMonitor context.`,
      );
    }
  }

  /** Alarms on the monitor itself: each shard's heartbeat, alerts SNS did not take, invocations that failed outright. */
  private addRunAlarms(config: MonitorConfig): void {
    const action = new cwActions.SnsAction(this.topic);
    const alarms = [
      ...Array.from({ length: this.shardPlan.shards }, (_, shard) =>
        new cloudwatch.Metric({
          namespace: config.namespace,
          metricName: "EndpointsNotFinished" satisfies MetricName,
          dimensionsMap: { [SHARD_DIMENSION]: String(shard) },
          statistic: "Maximum",
          period: cdk.Duration.minutes(config.rateMinutes),
        }).createAlarm(this, `Heartbeat${shard}`, {
          alarmName: alarmName(`shard-${shard}-of-${this.shardPlan.shards}`, "heartbeat"),
          alarmDescription: `Shard ${shard} of ${this.shardPlan.shards}: endpoints got no result (invalid entry, deadline, analysis error; the log's "endpoint" lines with finished=false name them), or no run reported at all (missing data: the schedule or the function is not running).`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      ),
      new cloudwatch.Metric({
        namespace: config.namespace,
        metricName: "AlertPublishFailures" satisfies MetricName,
        statistic: "Sum",
        period: cdk.Duration.minutes(config.rateMinutes),
      }).createAlarm(this, "AlertPublishFailuresAlarm", {
        alarmName: alarmName("monitor", "alert-publish-failures"),
        alarmDescription:
          "The monitor could not publish alerts to SNS; they are retried every run until SNS takes them. Check the topic, its key policy and the function's log.",
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.failureQueue
        .metricApproximateNumberOfMessagesVisible({ period: cdk.Duration.minutes(5), statistic: "Maximum" })
        .createAlarm(this, "FailedInvocationsAlarm", {
          alarmName: alarmName("monitor", "failed-invocations"),
          alarmDescription: "Probe invocations failed outright (init error, crash, timeout): messages wait in the failed-invocation queue with the error.",
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);
  }

  /** One graph per metric with a line per endpoint (SEARCH), so that it scales to any registry. */
  private addDashboard(config: MonitorConfig): cloudwatch.Dashboard {
    // Under fleet alarms the alarmed metrics carry the shard too (lambda/report/metrics.ts).
    const fleet = new Set<string>(this.alarmMode === "fleet" ? FLEET_ALARM_METRICS : []);
    const dimensions = (metric: MetricName) => (fleet.has(metric) ? `Endpoint,${SHARD_DIMENSION}` : "Endpoint");
    const search = (metric: MetricName, stat: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${config.namespace},${dimensions(metric)}} MetricName="${metric}"', '${stat}', ${config.rateMinutes * 60})`,
        label,
        period: cdk.Duration.minutes(config.rateMinutes),
      });
    const graph = (title: string, metrics: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left: metrics, width: 12, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `TlsPoolMonitor-${cdk.Stack.of(this).region}`.replace(/[^A-Za-z0-9_-]/g, "-"),
    });
    // What every deployment publishes: the alarmed metrics and each shard's heartbeat.
    const shardSearch = (metric: MetricName, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${config.namespace},${SHARD_DIMENSION}} MetricName="${metric}"', 'Maximum', ${config.rateMinutes * 60})`,
        label,
        period: cdk.Duration.minutes(config.rateMinutes),
      });
    dashboard.addWidgets(
      graph("Heartbeat: endpoints probed and not finished, per shard", [
        shardSearch("EndpointsProbed", "probed"),
        shardSearch("EndpointsNotFinished", "not finished"),
      ]),
      graph("Java abort risk, handshake failures", [
        search("JavaAbortRisk", "Maximum", "java profiles at risk"),
        search("HandshakeFailures", "Sum", "failures"),
      ]),
    );
    dashboard.addWidgets(
      graph("Resumption failures (cross-member offers answered with a fatal alert)", [search("ResumptionFailures", "Maximum", "failures")]),
      graph("Days to expiry (minimum)", [search("MinDaysToExpiry", "Minimum", "days")]),
    );
    // The graphs of the other metrics, published only under metrics "full".
    if (config.metrics === "full") {
      dashboard.addWidgets(
        graph("Certificate variants per endpoint", [search("CertificateVariants", "Maximum", "variants")]),
        graph("Resumption refused vs attempted", [search("ResumptionRefused", "Sum", "refused"), search("ResumptionAttempts", "Sum", "attempted")]),
      );
      dashboard.addWidgets(
        graph("Certificate changes on resumption", [search("CertificateChangesOnResumption", "Sum", "changes")]),
        graph("Handshake latency p90 (ms)", [search("HandshakeLatency", "p90", "p90")]),
      );
    }
    return dashboard;
  }

  private suppressNagFindings(): void {
    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        {
          id: "AwsSolutions-IAM4",
          reason: "AWSLambdaBasicExecutionRole (and the VPC variant when in a VPC) is the minimal managed policy for writing the function's logs.",
        },
        {
          id: "AwsSolutions-IAM5",
          reason:
            "cloudwatch:PutMetricData supports no resource-level permissions; it is bound to our namespace by condition. X-Ray's write actions also need '*'. The KMS action wildcard is GenerateDataKey*, scoped to the alert key. elasticloadbalancing:DescribeTargetHealth, DescribeTargetGroupAttributes and ec2:DescribeInstances (granted only when the registry names a target group) support no resource-level permissions either; they are bound to the target groups' regions by condition.",
        },
        { id: "AwsSolutions-L1", reason: "The runtime is pinned to nodejs22.x by design (the code is tested on Node 20 and 22); raise it deliberately." },
        { id: "Serverless-LambdaLatestVersion", reason: "The runtime is pinned to nodejs22.x by design; see AwsSolutions-L1." },
        {
          id: "Serverless-LambdaDLQ",
          reason: "Failed asynchronous invocations go to an SQS on-failure destination (newer than a DLQ, and carries the error).",
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.failureQueue, [
      { id: "AwsSolutions-SQS3", reason: "This queue is itself the dead-letter destination of the probe function and its schedules." },
      { id: "Serverless-SQSRedrivePolicy", reason: "This queue is itself the dead-letter destination; it needs no redrive." },
    ]);
    NagSuppressions.addResourceSuppressions(this.undeliveredAlerts, [
      { id: "AwsSolutions-SQS3", reason: "This queue is itself the dead-letter queue of the alert subscriptions." },
      { id: "Serverless-SQSRedrivePolicy", reason: "This queue is itself the dead-letter queue of the alert subscriptions; it needs no redrive." },
    ]);
  }
}
