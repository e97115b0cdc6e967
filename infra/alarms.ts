/**
 * What each alarm watches and what its notification tells the person paged: one table for per-endpoint and fleet
 * alarms. A notification carries the alarm's description and nothing of the README, so each description says what
 * the alarm means, what to do first and the command that reproduces it, within CloudWatch's 1,024 characters.
 */
import type { MetricName } from "../lambda/report/metrics.js";

/** CloudWatch's limit on AlarmDescription. */
export const MAX_ALARM_DESCRIPTION = 1024;

export interface EndpointAlarmCondition {
  metric: MetricName;
  /** CloudWatch statistic for a per-endpoint alarm; the fleet alarm's Metrics Insights function follows it. */
  statistic: "Maximum" | "Minimum" | "Sum";
  condition: string;
  comparison: "GreaterThanThreshold" | "LessThanThreshold";
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  /** What it means when it fires. */
  meaning: string;
  /** What to do first. */
  action: string;
  /** The runbook's section (docs/alarms.md). */
  anchor: string;
  /**
   * Whether it notifies the topic. Java risk does not: the function's own message is that notice (a divergence
   * carries the Java verdicts, a java-risk message says when the risk appears in a divergence already told), so
   * one cause is one notice. The alarm keeps its state for the dashboard and for whoever composes with it.
   */
  notifies: boolean;
}

/** The alarms every endpoint has (per endpoint, or as contributors of a shard's fleet alarm). */
export function endpointAlarmConditions(expiryAlarmDays: number): EndpointAlarmCondition[] {
  return [
    {
      metric: "JavaAbortRisk",
      statistic: "Maximum",
      condition: "java-abort-risk",
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      meaning:
        'members present certificates that are not identity-equivalent and do not share sessions: Java clients without endpoint identification abort with "server certificate change is restricted during renegotiation" (this alarm notifies nobody: the function\'s divergence or java-risk message is the notice)',
      action:
        "read the tls-pool-monitor message for this endpoint on the alert topic (it names the member that differs and the change that fixes it); make every member present the same certificate, or enable EMS or TLS 1.3 on all of them",
      anchor: "java-abort-risk",
      notifies: false,
    },
    {
      metric: "HandshakeFailures",
      statistic: "Sum",
      condition: "handshake-failures",
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      meaning: "TLS handshakes fail through the VIP or to members (refused, reset, timed out or a fatal alert), in 2 of the last 3 runs",
      action:
        "run the command below: it names the member and the error; take a member that fails every handshake out of the pool, then fix its certificate, key or protocol settings",
      anchor: "handshake-failures",
      notifies: true,
    },
    {
      metric: "ResumptionFailures",
      statistic: "Maximum",
      condition: "resumption-failures",
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      meaning:
        "a session from one member offered to another is answered with a fatal alert (ticket keys shared by members with mixed EMS): clients that resume fail instead of falling back",
      action: "make EMS the same on every member (on everywhere), or stop sharing session-ticket keys between members that differ",
      anchor: "resumption-failures",
      notifies: true,
    },
    {
      metric: "MinDaysToExpiry",
      statistic: "Minimum",
      condition: `expires-within-${expiryAlarmDays}-days`,
      comparison: "LessThanThreshold",
      threshold: expiryAlarmDays,
      evaluationPeriods: 1,
      meaning: `a certificate presented through the VIP or by a member expires within ${expiryAlarmDays} days`,
      action:
        "run the command below: it names the member and the certificate; renew it and deploy the new one on every member together (a partial rollout is a divergence)",
      anchor: "expiry",
      notifies: true,
    },
  ];
}

/** The per-endpoint heartbeat under "full" metrics. */
export const HEARTBEAT_CONDITION = {
  meaning: "the monitor did not finish probing this endpoint (the function is not running, hit its deadline, or the entry is invalid)",
  action:
    "open the function's log: the endpoint's line says why (finished=false, reason); a failed-invocation alarm or a shard heartbeat firing at the same time points at the monitor, not the endpoint",
  anchor: "heartbeat",
};

/** How a description tells the on-call to reproduce what the alarm saw. */
export interface ReproduceHint {
  /** The registry file the deployment read (its name), when it was a file. */
  registryFile?: string;
  runbookUrl: string;
}

export function reproduceLine(endpoint: string | undefined, hint: ReproduceHint): string {
  const registry = hint.registryFile ?? "registry.json";
  return endpoint === undefined
    ? `npx tls-pool-monitor probe --registry ${registry} --endpoint NAME (NAME: the contributor in the notification)`
    : `npx tls-pool-monitor probe --registry ${registry} --endpoint ${endpoint}`;
}

/**
 * "<scope>: <meaning>. First: <action>. Reproduce: <command>. Runbook: <url>#<anchor>", cut to 1,024 characters
 * (the meaning is shortened first: the action and the command are what the page is for).
 */
export function alarmDescription(parts: { scope: string; meaning: string; action: string; command?: string; runbook: string }): string {
  const tail = `. First: ${parts.action}.${parts.command ? ` Reproduce: ${parts.command}.` : ""} Runbook: ${parts.runbook}`;
  const head = `${parts.scope}: `;
  const room = MAX_ALARM_DESCRIPTION - head.length - tail.length;
  if (room < 20) return `${head}${parts.action}`.slice(0, MAX_ALARM_DESCRIPTION);
  const meaning = parts.meaning.length <= room ? parts.meaning : `${parts.meaning.slice(0, room - 1)}…`;
  return `${head}${meaning}${tail}`;
}
