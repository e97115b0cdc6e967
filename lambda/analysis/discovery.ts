import { plainError } from "../probe/errors.js";
import type { EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { DNS_MEMBERS_ESTIMATE, TARGET_GROUP_MEMBERS_ESTIMATE } from "../probe/plan.js";
import { formatHostPort } from "../registry/schema.js";

/**
 * The monitor could not find the members it should compare (a target group that could not be read or is empty,
 * DNS that failed, with no other member): the endpoint is watched through its VIP only. Counted per run
 * (DiscoveryProblems) and alarmed, since nothing else would say it.
 */
export const discoveryFailed = (findings: readonly Finding[]): boolean => findings.some((f) => f.kind === "discovery" && f.severity !== "info");

export function discoveryFindings(probe: EndpointProbe): Finding[] {
  return [...dnsFindings(probe), ...targetGroupFindings(probe)];
}

/** What the target group said: a failed lookup, targets not probed, targets not healthy, more targets than planned. */
export function targetGroupFindings(probe: EndpointProbe): Finding[] {
  const group = probe.targetGroup;
  if (!group) return [];
  if (group.error) {
    return [
      {
        kind: "discovery",
        severity: "warning",
        message: `The target group ${group.arn} could not be read (${group.error.message}); ${probe.members.length ? "only the other members were probed" : "no member could be probed one by one"}.`,
        remedy:
          group.error.code === "AccessDenied" || group.error.code === "AccessDeniedException"
            ? "Allow elasticloadbalancing:DescribeTargetHealth (and ec2:DescribeInstances for instance targets) to the monitor's role; the stack grants both when the registry names a target group."
            : "Check the ARN and its region; a throttled or timed-out lookup is retried on the next run.",
        evidence: { targetGroupArn: group.arn, error: group.error },
      },
    ];
  }
  const findings: Finding[] = [];
  if (group.targets.length === 0) {
    findings.push({
      kind: "discovery",
      severity: probe.members.length ? "info" : "warning",
      message: `The target group ${group.arn} has no registered targets${probe.members.length ? "" : ": only the VIP's view is available"}.`,
      remedy: "Check that the ARN is the target group behind this VIP's listener.",
      evidence: { targetGroupArn: group.arn },
    });
  }
  const skipped = group.targets.filter((t) => t.skipped !== undefined);
  if (skipped.length) {
    findings.push({
      kind: "discovery",
      severity: "info",
      message: `${skipped.length} of ${group.targets.length} target(s) of the target group were not probed: ${skipped.map((t) => `${t.id} (${t.skipped})`).join("; ")}.`,
      remedy: "Nothing to do for Lambda or ALB targets; for instances, allow ec2:DescribeInstances or register them by IP.",
      evidence: { skipped: skipped.map((t) => ({ id: t.id, reason: t.skipped })) },
    });
  }
  const unwell = group.targets.filter((t) => t.address !== undefined && t.health.state !== "healthy");
  if (unwell.length) {
    findings.push({
      kind: "discovery",
      severity: "info",
      message: `${unwell.length} target(s) are not healthy in the target group and were probed like the others: ${unwell
        .map((t) => `${formatHostPort(t.address!, t.port!)} ${t.health.state}${t.health.reason ? ` (${t.health.reason})` : ""}`)
        .join(", ")}. A draining member with another certificate still serves the connections it holds.`,
      remedy: "None by itself; a finding about such a member says what differs on it.",
      evidence: { targets: unwell.map((t) => ({ id: t.id, address: t.address, port: t.port, health: t.health })) },
    });
  }
  const probeable = group.targets.length - skipped.length;
  if (probeable > TARGET_GROUP_MEMBERS_ESTIMATE) {
    findings.push({
      kind: "discovery",
      severity: "info",
      message: `The target group has ${probeable} probeable targets; the deployment plans ${TARGET_GROUP_MEMBERS_ESTIMATE} per target-group endpoint when it sizes its shards.`,
      remedy: "List the members in the registry as well so that synth sizes the shards by them (a big pool planned as small can miss its deadline).",
      evidence: { targets: probeable, planned: TARGET_GROUP_MEMBERS_ESTIMATE },
    });
  }
  return findings;
}

function dnsFindings(probe: EndpointProbe): Finding[] {
  const d = probe.discovery;
  if (d.error) {
    return [
      {
        kind: "discovery",
        severity: probe.members.length ? "info" : "warning",
        message: `DNS discovery of ${probe.endpoint.host} failed (${plainError(d.error)}: ${d.error.message}); ${probe.members.length ? "only the listed members were probed" : "no member could be probed one by one"}.`,
        remedy: "List the pool members explicitly (--member / the registry's members) to compare them one by one.",
        evidence: { error: d.error },
      },
    ];
  }
  if (probe.members.length === 0 && !probe.targetGroup) {
    return [
      {
        kind: "discovery",
        severity: "info",
        message: `No members were probed one by one${d.note ? ` (${d.note})` : ""}: only the VIP's view is available.`,
        remedy: "List the pool members (--member ip:port, or members in the registry) to see which member presents which certificate.",
        evidence: { discovery: d },
      },
    ];
  }
  if (d.addresses.length > DNS_MEMBERS_ESTIMATE) {
    return [
      {
        kind: "discovery",
        severity: "info",
        message: `DNS discovery of ${probe.endpoint.host} found ${d.addresses.length} members; the deployment plans ${DNS_MEMBERS_ESTIMATE} per DNS-discovered endpoint when it sizes its shards.`,
        remedy: "List the members in the registry so that synth sizes the shards by them (a big pool planned as small can miss its deadline).",
        evidence: { discovered: d.addresses.length, planned: DNS_MEMBERS_ESTIMATE },
      },
    ];
  }
  return [];
}
