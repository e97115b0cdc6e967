/**
 * TlsPoolMonitor: the scheduled probe function (one schedule per shard), its failure queue, the alert topic and
 * key, the monitor's memory, the alarms (per endpoint, or fleet alarms per shard: alarmMode), the run's own alarms
 * and a dashboard. A construct library (CloudWatch Synthetics' `Canary` is the model): only `registry` is required,
 * every metric has a `metric…()` helper, the alarms are exposed, and the function ships prebuilt (dist/handler).
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { basename, resolve } from "node:path";
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
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as CdkNag from "cdk-nag";
import { Construct } from "constructs";
import { arnRegion, clientSecretArn, type Endpoint } from "../lambda/registry/schema.js";
import { parseConfig, type MonitorConfig, type TlsPoolMonitorSettings } from "./config.js";
import { INLINE_REGISTRY, loadRegistryForSynth, stageRegistry, type RegistrySource } from "./registry.js";
import { addHandlerBundle } from "./handler-asset.js";
import { endpointCost, planShards, shardCapacity, type ShardPlan } from "./shards.js";
import { alarmDescription, endpointAlarmConditions, HEARTBEAT_CONDITION, reproduceLine, type ReproduceHint } from "./alarms.js";
import { addDashboard } from "./dashboard.js";
import { probeBudgetMs } from "../lambda/deadline.js";
import { planEndpoint } from "../lambda/probe/plan.js";
import { shardOf } from "../lambda/registry/shard.js";
import { DEFAULT_STATISTIC, FLEET_ALARM_METRICS, RUN_METRICS, SHARD_DIMENSION, type MetricName, type MetricsLevel } from "../lambda/report/metrics.js";
import { ENV } from "../lambda/settings.js";
import { STATE_TABLE_KEY } from "../lambda/aws/state-table.js";

export interface TlsPoolMonitorProps extends TlsPoolMonitorSettings {
  /**
   * The endpoints to probe: a registry file (its CA files read from beside it) or the entries themselves (what a
   * registry file's `endpoints` holds), validated by the same schema as the CLI's; any error fails the synth.
   */
  registry: RegistrySource;
  /** Where alarm descriptions send the on-call (an internal wiki page); default: docs/alarms.md of this package. */
  runbookUrl?: string;
  /** The function's application log level (Lambda's JSON log format); default INFO. */
  logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
}

/** One alarm the construct made: the condition, and the endpoint or shard it watches. */
export interface MonitorAlarm {
  /** What is watched: endpoints (per endpoint, or a shard's endpoints as contributors) or the monitor itself. */
  watches: "endpoints" | "monitor";
  condition: string;
  /** The alarm's name as deployed (a plain string: usable anywhere without a cross-stack reference). */
  alarmName: string;
  endpoint?: string;
  shard?: number;
  alarm: cloudwatch.IAlarm;
}

/** Options of the metric helpers: which endpoint or shard (absent: the whole registry), and CloudWatch's own. */
export interface MonitorMetricOptions extends cloudwatch.MetricOptions {
  endpoint?: string;
  shard?: number;
}

const DEFAULT_RUNBOOK = "docs/alarms.md in the tls-pool-monitor package";

/** cdk-nag is optional: when the app has it, the construct's reviewed exceptions come with it. */
function nagSuppressions(): typeof CdkNag.NagSuppressions | undefined {
  try {
    return (createRequire(import.meta.url)("cdk-nag") as typeof CdkNag).NagSuppressions;
  } catch {
    return undefined;
  }
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
  readonly function: lambda.Function;
  readonly topic: sns.ITopic;
  readonly key?: kms.Key;
  readonly failureQueue: sqs.Queue;
  readonly undeliveredAlerts: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly shardPlan: ShardPlan;
  readonly alarmMode: AlarmMode;
  readonly dashboard: cloudwatch.Dashboard;
  /** The monitor's memory: what subscribers were told, recent states, each member's certificates (lambda/memory). */
  readonly stateTable: dynamodb.Table;
  /** The settings as validated, every default filled in. */
  readonly config: MonitorConfig;
  /** The registry's endpoint names, in its order. */
  readonly endpointNames: string[];
  /** Every alarm the construct made: the endpoints' (or the shards' fleet alarms) and the monitor's own. */
  readonly alarms: MonitorAlarm[] = [];
  private readonly reproduce: ReproduceHint;

  constructor(scope: Construct, id: string, props: TlsPoolMonitorProps) {
    super(scope, id);
    const { registry, runbookUrl, logLevel, ...settings } = props;
    const config = parseConfig(
      { ...settings, registry: typeof registry === "string" ? registry : INLINE_REGISTRY },
      `TlsPoolMonitor props (${this.node.path})`,
    );
    const endpoints = loadRegistryForSynth(typeof registry === "string" ? resolve(registry) : registry);
    this.config = config;
    this.endpointNames = endpoints.map((e) => e.name);
    this.reproduce = { ...(typeof registry === "string" ? { registryFile: basename(registry) } : {}), runbookUrl: runbookUrl ?? DEFAULT_RUNBOOK };
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
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: config.logRetentionDays as logs.RetentionDays, removalPolicy: cdk.RemovalPolicy.RETAIN });
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

    this.function = new lambda.Function(this, "Probe", {
      // The prebuilt bundle (dist/handler/index.mjs) with registry.json and the distinct CA bundles beside it.
      code: lambda.Code.fromAsset(addHandlerBundle(stageRegistry(endpoints))),
      handler: "index.handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.memoryMb,
      timeout: cdk.Duration.seconds(config.timeoutSeconds),
      logGroup: this.logGroup,
      // Lambda's JSON log format: each line of ours is the `message` object, with Lambda's own level (console.warn
      // is WARN) that the application log level filters (lambda/monitor.ts jsonLogger); EMF lines are written
      // raw to stdout, as CloudWatch reads them in either format.
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel ?? "INFO"],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
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
    this.addRunAlarms();
    this.dashboard = addDashboard(this);
    this.suppressNagFindings();
  }

  /** "<condition> for <endpoint>": what the metric helpers and alarms read, with the endpoint's shard under fleet alarms. */
  metric(metricName: MetricName, options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    const { endpoint, shard, ...metricOptions } = options;
    const period = metricOptions.period ?? cdk.Duration.minutes(this.config.rateMinutes);
    const statistic = metricOptions.statistic ?? DEFAULT_STATISTIC[metricName];
    const namespace = this.config.namespace;
    const runLevel = (RUN_METRICS as readonly string[]).includes(metricName);
    const byShard = this.alarmMode === "fleet" && (FLEET_ALARM_METRICS as readonly string[]).includes(metricName);
    if (metricName === "AlertPublishFailures") return new cloudwatch.Metric({ ...metricOptions, namespace, metricName, statistic, period });
    if (runLevel && shard !== undefined)
      return new cloudwatch.Metric({ ...metricOptions, namespace, metricName, statistic, period, dimensionsMap: { [SHARD_DIMENSION]: String(shard) } });
    if (!runLevel && endpoint !== undefined) {
      const dimensionsMap: Record<string, string> = { Endpoint: endpoint };
      if (byShard) dimensionsMap[SHARD_DIMENSION] = String(shardOf(endpoint, this.shardPlan.shards));
      return new cloudwatch.Metric({ ...metricOptions, namespace, metricName, statistic, period, dimensionsMap });
    }
    // The whole registry (or one shard of it): a Metrics Insights query, which no count of endpoints truncates to
    // a wrong answer (one aggregate series, not one per endpoint).
    const fn = statistic === "Minimum" ? "MIN" : statistic === "Sum" ? "SUM" : "MAX";
    const schema = runLevel ? SHARD_DIMENSION : byShard ? `Endpoint, ${SHARD_DIMENSION}` : "Endpoint";
    const where = shard !== undefined && byShard ? ` WHERE ${SHARD_DIMENSION} = '${shard}'` : "";
    return new cloudwatch.MathExpression({
      expression: `SELECT ${fn}(${metricName}) FROM SCHEMA("${namespace}", ${schema})${where}`,
      label: metricOptions.label ?? `${metricName} (${fn.toLowerCase()} over ${shard === undefined ? "all endpoints" : `shard ${shard}`})`,
      period,
      ...(metricOptions.color ? { color: metricOptions.color } : {}),
    });
  }

  /** Java client profiles at risk of "server certificate change is restricted during renegotiation" (0-6). */
  metricJavaAbortRisk(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("JavaAbortRisk", options);
  }
  /** Failed handshakes through the VIP and to members. */
  metricHandshakeFailures(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("HandshakeFailures", options);
  }
  /** Cross-member session offers answered with a fatal alert. */
  metricResumptionFailures(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("ResumptionFailures", options);
  }
  /** Days until the earliest-expiring presented certificate expires. */
  metricMinDaysToExpiry(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("MinDaysToExpiry", options);
  }
  /** Mutual TLS: the client certificate could not be read or was refused (endpoints where mutual TLS is in play). */
  metricClientCertificateProblems(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("ClientCertificateProblems", options);
  }
  /** Endpoints whose probe finished, per shard (`shard`) or in all. */
  metricEndpointsProbed(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("EndpointsProbed", options);
  }
  /** Endpoints with no result this run, per shard or in all: the heartbeat. */
  metricEndpointsNotFinished(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("EndpointsNotFinished", options);
  }
  /** Endpoints whose members could not be discovered (target group or DNS), per shard or in all. */
  metricDiscoveryProblems(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("DiscoveryProblems", options);
  }
  /** Alerts SNS did not take this run. */
  metricAlertPublishFailures(options: MonitorMetricOptions = {}): cloudwatch.IMetric {
    return this.metric("AlertPublishFailures", options);
  }

  private description(scope: string, c: { meaning: string; action: string; anchor: string }, endpoint: string | undefined, withCommand = true): string {
    return alarmDescription({
      scope,
      meaning: c.meaning,
      action: c.action,
      ...(withCommand ? { command: reproduceLine(endpoint, this.reproduce) } : {}),
      runbook: `${this.reproduce.runbookUrl}#${c.anchor}`,
    });
  }

  private addAlarms(endpoints: Endpoint[], config: MonitorConfig): void {
    const action = new cwActions.SnsAction(this.topic);
    const conditions = endpointAlarmConditions(config.expiryAlarmDays);
    for (let i = 0; i < endpoints.length; i += ENDPOINTS_PER_ALARM_STACK) {
      const nested = new cdk.NestedStack(this, `Alarms${i / ENDPOINTS_PER_ALARM_STACK}`);
      for (const e of endpoints.slice(i, i + ENDPOINTS_PER_ALARM_STACK)) {
        const id = createHash("sha256").update(e.name).digest("hex").slice(0, 12);
        const made: Array<{ condition: string; notifies: boolean; alarm: cloudwatch.Alarm }> = conditions.map((c) => ({
          condition: c.condition,
          notifies: c.notifies,
          alarm: new cloudwatch.Alarm(nested, `${c.metric}${id}`, {
            metric: this.metric(c.metric, { endpoint: e.name }),
            alarmName: alarmName(e.name, c.condition),
            alarmDescription: this.description(`tls-pool-monitor, endpoint ${e.name}`, c, e.name),
            threshold: c.threshold,
            comparisonOperator: c.comparison as cloudwatch.ComparisonOperator,
            evaluationPeriods: c.evaluationPeriods,
            ...(c.datapointsToAlarm ? { datapointsToAlarm: c.datapointsToAlarm } : {}),
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        }));
        // The per-endpoint heartbeat needs the per-endpoint ProbeCompleted ("full"); otherwise the shard's
        // EndpointsNotFinished alarm is the heartbeat (addRunAlarms).
        if (config.metrics === "full") {
          made.push({
            condition: "heartbeat-missing",
            notifies: true,
            alarm: new cloudwatch.Alarm(nested, `Heartbeat${id}`, {
              metric: this.metric("ProbeCompleted", { endpoint: e.name, statistic: "Minimum" }),
              alarmName: alarmName(e.name, "heartbeat-missing"),
              alarmDescription: this.description(`tls-pool-monitor, endpoint ${e.name}`, HEARTBEAT_CONDITION, e.name),
              threshold: 1,
              comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              evaluationPeriods: 2,
              treatMissingData: cloudwatch.TreatMissingData.BREACHING,
            }),
          });
        }
        for (const { condition, notifies, alarm } of made) {
          if (notifies) {
            alarm.addAlarmAction(action);
            alarm.addOkAction(action);
          }
          this.alarms.push({ watches: "endpoints", condition, alarmName: alarmName(e.name, condition), endpoint: e.name, alarm });
        }
      }
    }
  }

  /**
   * Fleet alarms: per shard, one Metrics Insights alarm per alarmed metric over that shard's endpoints, each endpoint
   * a contributor (at most 500: the planner keeps shards that small). CloudWatch notifies per contributor, with the
   * contributor's attributes (Endpoint names the endpoint); the alarm itself goes to ALARM when any contributor is.
   * No divergence alarm: the function's own message is that notice (as in per-endpoint mode).
   */
  private addFleetAlarms(config: MonitorConfig): void {
    const topicArn = this.topic.topicArn;
    const shards = this.shardPlan.shards;
    const period = config.rateMinutes * 60;
    const conditions = endpointAlarmConditions(config.expiryAlarmDays);
    for (let shard = 0; shard < shards; shard++) {
      for (const c of conditions) {
        const stat = c.statistic === "Minimum" ? "MIN" : c.statistic === "Sum" ? "SUM" : "MAX";
        // Worst first, so that the contributors CloudWatch keeps (at most 100 in ALARM) are the worst ones.
        const order = c.comparison === "LessThanThreshold" ? "ASC" : "DESC";
        const cfn = new cloudwatch.CfnAlarm(this, `Fleet${c.metric}${shard}`, {
          alarmName: alarmName(`shard-${shard}-of-${shards}`, c.condition),
          alarmDescription: this.description(
            `tls-pool-monitor, shard ${shard} of ${shards} (${this.shardPlan.sizes[shard]} endpoints; the notification's contributor attribute Endpoint names the endpoint)`,
            c,
            undefined,
          ),
          metrics: [{ id: "q", expression: fleetQuery(config.namespace, c.metric, stat, shard, order), period, returnData: true }],
          comparisonOperator: c.comparison,
          threshold: c.threshold,
          evaluationPeriods: c.evaluationPeriods,
          ...(c.datapointsToAlarm ? { datapointsToAlarm: c.datapointsToAlarm } : {}),
          treatMissingData: "notBreaching",
          ...(c.notifies ? { alarmActions: [topicArn], okActions: [topicArn] } : {}),
        });
        this.alarms.push({
          watches: "endpoints",
          condition: c.condition,
          alarmName: alarmName(`shard-${shard}-of-${shards}`, c.condition),
          shard,
          alarm: cloudwatch.Alarm.fromAlarmArn(this, `Fleet${c.metric}${shard}Ref`, cfn.attrArn),
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

  /**
   * Alarms on the monitor itself: each shard's heartbeat and member discovery, alerts SNS did not take, invocations
   * that failed outright.
   */
  private addRunAlarms(): void {
    const action = new cwActions.SnsAction(this.topic);
    const shards = this.shardPlan.shards;
    const add = (condition: string, alarm: cloudwatch.Alarm, shard?: number) => {
      alarm.addAlarmAction(action);
      const name = shard === undefined ? alarmName("monitor", condition) : alarmName(`shard-${shard}-of-${shards}`, condition);
      this.alarms.push({ watches: "monitor", condition, alarmName: name, ...(shard === undefined ? {} : { shard }), alarm });
    };
    for (let shard = 0; shard < shards; shard++) {
      const scope = `tls-pool-monitor, shard ${shard} of ${shards} (${this.shardPlan.sizes[shard]} endpoints)`;
      add(
        "heartbeat",
        new cloudwatch.Alarm(this, `Heartbeat${shard}`, {
          metric: this.metricEndpointsNotFinished({ shard, statistic: "Maximum" }),
          alarmName: alarmName(`shard-${shard}-of-${shards}`, "heartbeat"),
          alarmDescription: this.description(
            scope,
            {
              meaning:
                "endpoints got no result (invalid entry, deadline, analysis error), or no run reported at all (missing data: the schedule or the function is not running)",
              action:
                "look at the failed-invocations alarm and the function's Errors first (the monitor is down); otherwise open the log's \"endpoint\" lines with finished=false: notFinished says why for each",
              anchor: "shard-heartbeat",
            },
            undefined,
            false,
          ),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
        shard,
      );
      add(
        "member-discovery",
        new cloudwatch.Alarm(this, `Discovery${shard}`, {
          metric: this.metricDiscoveryProblems({ shard, statistic: "Maximum" }),
          alarmName: alarmName(`shard-${shard}-of-${shards}`, "member-discovery"),
          alarmDescription: this.description(
            scope,
            {
              meaning:
                "the members of some endpoints could not be discovered (target group AccessDenied or not found, DNS failure): those endpoints are watched through the VIP only, so divergence and member failures go unseen",
              action:
                "open the log's \"endpoint\" lines whose findingKinds include warning:discovery: each names the target group or host and the error; fix the role's permissions or the ARN in the registry",
              anchor: "member-discovery",
            },
            undefined,
            false,
          ),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        shard,
      );
    }
    add(
      "alert-publish-failures",
      new cloudwatch.Alarm(this, "AlertPublishFailuresAlarm", {
        metric: this.metricAlertPublishFailures(),
        alarmName: alarmName("monitor", "alert-publish-failures"),
        alarmDescription: this.description(
          "tls-pool-monitor",
          {
            meaning: "the monitor could not publish alerts to SNS; each is claimed in its memory and re-sent by the next runs until SNS takes it",
            action: "check the topic, its KMS key policy and the function's log (its \"SNS publish failed\" line gives SNS's error)",
            anchor: "alert-publish-failures",
          },
          undefined,
          false,
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      "failed-invocations",
      this.failureQueue
        .metricApproximateNumberOfMessagesVisible({ period: cdk.Duration.minutes(5), statistic: "Maximum" })
        .createAlarm(this, "FailedInvocationsAlarm", {
          alarmName: alarmName("monitor", "failed-invocations"),
          alarmDescription: this.description(
            "tls-pool-monitor",
            {
              meaning:
                "probe invocations failed outright (init error such as a bad setting or registry, crash, timeout): no endpoint of that shard was checked",
              action: `read a message of the failed-invocation queue (${this.failureQueue.node.path}): it carries the error; then the function's log at that time`,
              anchor: "failed-invocations",
            },
            undefined,
            false,
          ),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
  }

  private suppressNagFindings(): void {
    const NagSuppressions = nagSuppressions();
    if (!NagSuppressions) return;
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
