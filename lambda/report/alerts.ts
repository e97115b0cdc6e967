/**
 * Divergence alerts: one when an endpoint goes from consistent (or no earlier state) to divergent, one when it
 * recovers, nothing while its state is unchanged. Pure: the previous state comes from the caller.
 */
import type { EndpointAnalysis } from "../analysis/index.js";
import { SEVERITY_ORDER, type Severity } from "../analysis/finding.js";
import { JAVA_REMEDIES } from "../analysis/java/verdict.js";
import { profileLabel } from "../analysis/remedies.js";
import { memberLabels } from "../analysis/observations.js";
import type { EndpointProbe } from "../probe/types.js";
import type { LeafSeen, RotationEvent } from "../memory/model.js";

export type PoolState = "consistent" | "divergent";

export type AlertKind = "divergence" | "recovery" | "java-risk" | RotationEvent["kind"];

export interface Alert {
  endpoint: string;
  kind: AlertKind;
  severity: Severity;
  subject: string;
  message: string;
  /** SNS message attributes: a subscriber filters on kind and severity, and drops a repeated transitionId. */
  attributes: Record<"endpoint" | "severity" | "kind", string> & { transitionId?: string };
}

/** SNS: subject under 100 ASCII characters, message at most 256 KB with its attributes. */
export const MAX_SUBJECT = 99;
export const MAX_MESSAGE_BYTES = 240 * 1024;

export const stateOf = (analysis: EndpointAnalysis): PoolState => (analysis.summary.certificateVariants > 1 ? "divergent" : "consistent");

function subjectLine(text: string): string {
  // SNS subjects: ASCII, no control characters or line breaks.
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= MAX_SUBJECT ? ascii : `${ascii.slice(0, MAX_SUBJECT - 3)}...`;
}

/** Cuts a message to the byte budget on a character boundary and says so. */
export function truncateMessage(message: string, maxBytes = MAX_MESSAGE_BYTES): string {
  if (Buffer.byteLength(message) <= maxBytes) return message;
  // Honest: the function's log line holds the counts, not the report; the command at the top reproduces it.
  const note = "\n\n[truncated to SNS's size limit: the Reproduce command at the top prints the full report]";
  let cut = Buffer.from(message)
    .subarray(0, maxBytes - Buffer.byteLength(note))
    .toString("utf8");
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return cut + note;
}

function worst(analysis: EndpointAnalysis): Severity {
  return analysis.findings.reduce<Severity>((w, f) => (SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[w] ? f.severity : w), "info");
}

/** Where a message comes from: the deployment that saw it (the function's ARN and region), and when. */
export interface AlertOrigin {
  account?: string;
  region?: string;
  functionName?: string;
}

/**
 * The message with a "Where:" line after its first (the action): account, region, function and when the transition
 * was first claimed (a re-send says the same time). What an on-call forwards must say which deployment saw it.
 */
export function withOrigin<A extends Pick<Alert, "message">>(alert: A, origin: AlertOrigin, detectedAt: string): A {
  const where = [
    origin.account ? `account ${origin.account}` : undefined,
    origin.region ? `region ${origin.region}` : undefined,
    origin.functionName ? `function ${origin.functionName}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const line = `Where: ${where.length ? where.join(", ") : "the command line"}; detected ${detectedAt}.`;
  const cut = alert.message.indexOf("\n");
  const message = cut < 0 ? `${alert.message}\n${line}` : `${alert.message.slice(0, cut)}\n${line}${alert.message.slice(cut)}`;
  return { ...alert, message };
}

/** Members named on the reproduce command line; more are left to the registry. */
const MAX_COMMAND_MEMBERS = 20;

/** The CLI command that probes this endpoint as the function did (the registry's CA and certificate files by name). */
export function reproduceCommand(probe: EndpointProbe): string {
  const e = probe.endpoint;
  const target = e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  const members = probe.members.slice(0, MAX_COMMAND_MEMBERS).map((m) => `--member ${m.label}`);
  return [
    `tls-pool-monitor probe ${target} --servername ${e.servername} --attempts ${e.attempts}`,
    ...(probe.discovery.method === "none" ? ["--no-dns"] : []),
    ...members,
    ...(probe.members.length > MAX_COMMAND_MEMBERS ? [`(and ${probe.members.length - MAX_COMMAND_MEMBERS} more --member)`] : []),
    ...(probe.clientCertificate ? ["--cert <the client certificate> --key <its key>"] : []),
    ...(probe.memberProxyProtocol ? [`--proxy-protocol ${probe.memberProxyProtocol}`] : []),
  ].join(" ");
}

/** The first line of every message: what to do (the best remedy computed for this pool), before what was seen. */
function actionLine(analysis: EndpointAnalysis): string {
  const first = analysis.remedies.find((r) => !r.inPlace);
  if (first)
    return `Action: ${first.action}${first.members.length ? ` on ${first.members.join(", ")}` : ""} (remedy 1 below; each change's effect was computed on this pool).`;
  return `Action: ${JAVA_REMEDIES[0]} (the list below, in order).`;
}

function divergenceMessage(probe: EndpointProbe, analysis: EndpointAnalysis, previous: PoolState | undefined): string {
  const e = probe.endpoint;
  const lines = [
    actionLine(analysis),
    `Endpoint ${e.name} (${e.host}:${e.port}, servername ${e.servername}) presents ${analysis.summary.certificateVariants} different certificates (${previous === "consistent" ? "was consistent" : "not reported before"}).`,
    `Reproduce: ${reproduceCommand(probe)} (add --ca FILE when the registry names one)`,
    "",
    "Which member presents which certificate:",
  ];
  const named = memberLabels(probe);
  for (const v of analysis.variants) {
    const c = probe.certificates[v.fingerprint]!;
    lines.push(
      `  [${v.id}] ${c.subject} (issuer ${c.issuer}; serial ${c.serialNumber}; expires ${c.validTo.slice(0, 10)}; sha256 ${c.fingerprint256})`,
      `      members: ${v.members.map(named).join(", ") || "none probed directly"}; through the VIP on ${v.vipConnections.length} connection(s)`,
    );
  }
  if (analysis.differences.length) {
    lines.push("", "How they differ:");
    for (const d of analysis.differences)
      lines.push(
        `  ${d.field}: ${Object.entries(d.values)
          .map(([id, v]) => `${id}=${v}`)
          .join(" | ")}`,
      );
  }
  lines.push("", "Java clients (no endpoint identification):");
  for (const j of analysis.javaClients) {
    lines.push(`  ${j.label}: ${j.verdict}. ${j.reason}${j.sequence ? ` (reproduce: ${j.sequence.join(" -> ")})` : ""}`);
  }
  lines.push("", "Findings:");
  for (const f of analysis.findings) lines.push(`  [${f.severity}] ${f.kind}: ${f.message}`);
  // The remedies computed for this pool (what-ifs on its model), not a generic list: what is in place is said so.
  const todo = analysis.remedies.filter((r) => !r.inPlace);
  const inPlace = analysis.remedies.filter((r) => r.inPlace);
  lines.push("", "What to do, best first (each change alone, its effect computed on this pool):");
  todo.forEach((r, i) => {
    const safe = r.makesSafe.length ? `makes safe: ${r.makesSafe.map(profileLabel).join(", ")}` : "no Java profile made safe by this alone";
    lines.push(`  ${i + 1}. ${r.action}${r.members.length ? ` on ${r.members.join(", ")}` : ""} (${safe}). ${r.detail}`);
  });
  if (todo.length === 0) lines.push(...JAVA_REMEDIES.map((r, i) => `  ${i + 1}. ${r}`));
  if (inPlace.length) lines.push(`  Already in place: ${inPlace.map((r) => r.action).join(", ")}.`);
  return lines.join("\n");
}

export function alertFor(probe: EndpointProbe, analysis: EndpointAnalysis, previous: PoolState | undefined): Alert | undefined {
  const current = stateOf(analysis);
  const name = probe.endpoint.name;
  if (current === "divergent" && previous !== "divergent") {
    const severity = worst(analysis);
    const java = analysis.summary.javaProfilesAtRisk ? `, Java clients at risk` : "";
    return {
      endpoint: name,
      kind: "divergence",
      severity,
      subject: subjectLine(`[tls-pool-monitor] ${name}: ${analysis.summary.certificateVariants} certificate variants${java}`),
      message: truncateMessage(divergenceMessage(probe, analysis, previous)),
      attributes: { endpoint: name, severity, kind: "divergence" },
    };
  }
  if (current === "consistent" && previous === "divergent") {
    return {
      endpoint: name,
      kind: "recovery",
      severity: "info",
      subject: subjectLine(`[tls-pool-monitor] ${name}: recovered, one certificate again`),
      message: truncateMessage(
        "Action: none; this closes the divergence notice.\n" +
          `Endpoint ${name} (${probe.endpoint.host}:${probe.endpoint.port}) presents one certificate on every member again ` +
          `(${analysis.summary.membersProbed} member(s) probed, every one seen; sha256 ${analysis.variants[0]?.fingerprint}).`,
      ),
      attributes: { endpoint: name, severity: "info", kind: "recovery" },
    };
  }
  return undefined;
}

/**
 * Java clients newly at risk in a divergence already announced: the divergence message of this run (which members,
 * how they differ, the verdicts, the remedies), under its own kind and headline.
 */
export function javaRiskAlert(divergence: Alert): Alert {
  return {
    ...divergence,
    kind: "java-risk",
    subject: subjectLine(`[tls-pool-monitor] ${divergence.endpoint}: Java clients now at risk (the pool was already divergent)`),
    message: divergence.message.replace(" (not reported before).", " (divergent before; Java clients are now at risk)."),
    attributes: { ...divergence.attributes, kind: "java-risk" },
  };
}

const leafText = (l: LeafSeen): string =>
  `${l.subject || "(no subject)"}, serial ${l.serial || "?"}, expires ${l.notAfter.slice(0, 10) || "?"}, sha256 ${l.fingerprint}`;

/** What differs between two leaves, in the fields a rotation changes. */
function leafChange(from: LeafSeen, to: LeafSeen): string {
  const parts: string[] = [];
  if (from.subject !== to.subject) parts.push(`subject ${from.subject} -> ${to.subject}`);
  if (from.serial !== to.serial) parts.push(`serial ${from.serial} -> ${to.serial}`);
  // The day, unless both fall on the same one (a renewal minutes apart): then the time.
  const cut = from.notAfter.slice(0, 10) === to.notAfter.slice(0, 10) ? 19 : 10;
  if (from.notAfter !== to.notAfter) parts.push(`expires ${from.notAfter.slice(0, cut)} -> ${to.notAfter.slice(0, cut)}`);
  return parts.join("; ") || "same subject, serial and expiry (a re-issue with a new key)";
}

/** Certificate rotation: a member's certificate changed, the rollout completed, or it stalled. */
export function rotationAlert(endpoint: string, event: RotationEvent): Alert {
  const p = event.progress;
  const members = p ? p.onNew.length + p.onOld.length + p.others.length : 0;
  const status = !p
    ? undefined
    : event.kind === "rollout-completed"
      ? `Rollout completed: all ${members} members present the new certificate (since ${p.since}).`
      : `Rollout ${event.kind === "rollout-stalled" ? "STALLED" : "in progress"}: ${p.onNew.length} of ${members} members on the new certificate since ${p.since}.`;
  const lines: string[] = [];
  if (status) lines.push(status);
  if (p?.onOld.length) lines.push(`Still on the old certificate: ${p.onOld.join(", ")}.`);
  if (p?.others.length) lines.push(`On neither / not seen this run: ${p.others.join(", ")}.`);
  if (event.changes.length) {
    lines.push("", "Changed this run:");
    for (const c of event.changes) {
      lines.push(`  ${c.member}: ${c.from ? leafText(c.from) : "(nothing before)"}`, `    -> ${leafText(c.to)}`);
      if (c.from) lines.push(`    what differs: ${leafChange(c.from, c.to)}`);
    }
  }
  const severity: Severity = event.kind === "rollout-stalled" ? "warning" : "info";
  const headline =
    event.kind === "rollout-completed"
      ? "certificate rollout completed"
      : event.kind === "rollout-stalled"
        ? "certificate rollout stalled"
        : `certificate changed on ${[...new Set(event.changes.map((c) => c.member))].join(", ")}${p ? ` (${p.onNew.length}/${members} on the new one)` : ""}`;
  // What to do comes first: a stalled rollout is the one rotation event that asks for something.
  const action =
    event.kind === "rollout-stalled"
      ? event.stalled?.expiring
        ? `Action: finish the rollout on ${p!.onOld.join(", ")}: the old certificate they present expires ${event.stalled.expiring.notAfter.slice(0, 10)}.`
        : `Action: finish the rollout on ${p!.onOld.join(", ")} (or roll the others back): ${event.stalled?.overdueHours ?? "?"} h since it started.`
      : event.kind === "rollout-completed"
        ? "Action: none (for information)."
        : p?.onOld.length
          ? `Action: none if this rollout is planned; complete it on ${p.onOld.join(", ")} (clients may see either certificate until then).`
          : "Action: none if this change is planned.";
  return {
    endpoint,
    kind: event.kind,
    severity,
    subject: subjectLine(`[tls-pool-monitor] ${endpoint}: ${headline}`),
    message: truncateMessage(`${action}\nEndpoint ${endpoint}: ${headline}.\n\n${lines.join("\n")}`),
    attributes: { endpoint, severity, kind: event.kind },
  };
}
