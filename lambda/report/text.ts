/** The human report: variants and who presents them, the members, the resumption chains, the matrix, findings. */
import type { EndpointAnalysis } from "../analysis/index.js";
import type { Finding } from "../analysis/finding.js";
import { memberLabels, memberLeaf, OFFER_LABEL } from "../analysis/observations.js";
import type { ChainConnection, EndpointProbe, MatrixCell, MemberProbe } from "../probe/types.js";
import { RESUMPTION_MECHANISMS } from "../probe/types.js";
import { MATRIX_SAMPLE_DEGREE } from "../probe/matrix-plan.js";
import { latencyStats } from "./json.js";

export interface TextOptions {
  /** ANSI colours for severities. */
  color?: boolean;
}

const SEVERITY_LABEL = { critical: "CRITICAL", warning: "WARNING ", info: "info    " } as const;
const COLOR = { critical: "\x1b[1;31m", warning: "\x1b[33m", info: "\x1b[2m" } as const;

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

const yesNo = (v: boolean | undefined) => (v === undefined ? "?" : v ? "yes" : "NO");

/** Wraps to `width` columns; the first line is shortened by `firstOffset` (what precedes it on the line). */
function wrap(text: string, width: number, indent: string, firstOffset = 0): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    const room = lines.length === 0 ? width - firstOffset : width;
    if (line && line.length + 1 + w.length > room) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join("\n");
}

export function renderText(probe: EndpointProbe, analysis: EndpointAnalysis, options: TextOptions = {}): string {
  const out: string[] = [];
  const variantOf = new Map(analysis.variants.map((v) => [v.fingerprint, v.id]));
  const vid = (fp: string | undefined) => (fp ? (variantOf.get(fp) ?? "?") : "-");
  const e = probe.endpoint;
  out.push(`tls-pool-monitor — ${e.name === `${e.host}:${e.port}` ? e.name : `${e.name} (${e.host}:${e.port})`}, servername ${e.servername}`);
  out.push(`  probed ${probe.startedAt} in ${probe.durationMs} ms; ${probe.members.length} member(s); ${e.attempts} connection(s) per resumption chain`);
  if (probe.targetGroup) {
    const g = probe.targetGroup;
    out.push(`  target group ${g.arn}: ${g.error ? `not read (${g.error.message})` : `${g.targets.length} registered target(s)`}`);
  }
  out.push("");

  const seen = analysis.variants.length;
  out.push(
    seen === analysis.summary.certificateVariants
      ? `Certificate variants: ${seen}`
      : `Certificate variants: ${analysis.summary.certificateVariants} per client offer (${seen} certificates seen: members present alternates to different offers)`,
  );
  const named = memberLabels(probe);
  for (const v of analysis.variants) {
    const c = probe.certificates[v.fingerprint]!;
    out.push(`  [${v.id}] ${c.subject || "(empty subject)"}`);
    out.push(`      issuer ${c.issuer}; serial ${c.serialNumber}; ${c.keyType}${c.keySize ? ` ${c.keySize}` : ""}`);
    out.push(`      SAN ${[...c.sanDns.map((d) => `DNS:${d}`), ...c.sanIp.map((i) => `IP:${i}`)].join(", ") || "(none)"}`);
    out.push(`      valid ${c.validFrom.slice(0, 10)} → ${c.validTo.slice(0, 10)} (${c.daysToExpiry ?? "?"} days left); sha256 ${c.fingerprint256.slice(0, 23)}…`);
    out.push(`      presented by: ${v.members.length ? v.members.map(named).join(", ") : "no member probed directly"}; to ${v.offers.map((o) => OFFER_LABEL[o]).join(", ")}`);
    if (v.vipConnections.length) out.push(`      seen through the VIP on ${v.vipConnections.length} connection(s)`);
  }
  if (analysis.differences.length) {
    out.push("  Differences between variants:");
    for (const d of analysis.differences) {
      out.push(`    ${d.field}: ${Object.entries(d.values).map(([id, value]) => `${id}=${value}`).join(" | ")}`);
    }
  }
  out.push("");

  if (probe.members.length) {
    out.push("Members");
    const rows = [["member", "from", "variant", "best", "TLS1.3", "EMS", "reneg-info", "renegotiation", "trust", "handshake"]];
    for (const m of probe.members) rows.push(memberRow(m, vid));
    out.push(...table(rows));
    out.push("");
  }

  out.push(`Resumption through the VIP ${probe.vip.target}`);
  for (const mechanism of RESUMPTION_MECHANISMS) {
    const chain = probe.vip.chains[mechanism];
    if (chain.length === 0) continue;
    out.push(`  ${mechanism}: ${chain.map((c) => chainStep(c, vid)).join("  ")}`);
  }
  out.push("  (F = full handshake, R = resumed, ✗ = failed; letter = certificate variant; ! = certificate changed on a refused resumption)");
  out.push("");

  if (probe.matrix.some((c) => c.outcome !== "no-session")) {
    const plan = probe.matrixPlan;
    if (plan && !plan.full) {
      // A sampled matrix of a big pool is not a grid anyone reads: its counts, and what was not offered.
      const count = (mechanism: string, outcome: string) => probe.matrix.filter((c) => c.mechanism === mechanism && c.outcome === outcome).length;
      out.push(`Cross-member resumption: a sample of ${plan.pairs} of ${plan.possible} member pairs per mechanism (every member ${MATRIX_SAMPLE_DEGREE} times as source and as target)`);
      for (const mechanism of ["session-id", "ticket"] as const) {
        out.push(`  ${mechanism}: ${count(mechanism, "accepted")} accepted, ${count(mechanism, "refused")} refused, ${count(mechanism, "failed")} failed, ${count(mechanism, "no-session")} no session`);
      }
    } else {
      out.push("Cross-member resumption (row's session offered to column: ✓ accepted, · refused, ✗ failed, - no session)");
      const labels = probe.members.map((m) => m.label);
      const cells = new Map(probe.matrix.map((c) => [`${c.mechanism} ${c.from} ${c.to}`, c]));
      for (const mechanism of ["session-id", "ticket"] as const) {
        const rows = [[mechanism, ...labels.map((_, i) => `→${i + 1}`)]];
        labels.forEach((from, i) => rows.push([`${i + 1} ${from}`, ...labels.map((to) => matrixMark(cells.get(`${mechanism} ${from} ${to}`)))]));
        out.push(...table(rows));
      }
    }
    out.push("");
  }

  out.push("Java clients (no endpoint identification: Apache HttpClient, Puppet's clj-http-client)");
  out.push(...table([["profile", "verdict", "aborted in this run"], ...analysis.javaClients.map((v) => [v.label, v.verdict, String(v.abortedConnections)])]));
  for (const v of analysis.javaClients.filter((j) => j.verdict !== "safe")) {
    out.push(`  ${v.label}: ${wrap(v.reason, 96, "    ", v.label.length + 4)}`);
    if (v.sequence) out.push(`    reproduce: ${v.sequence.map((s, i) => `${i + 1}. ${s}`).join("  ")} (one client, one SSLContext, through the VIP)`);
  }
  const safe = analysis.javaClients.filter((j) => j.verdict === "safe");
  if (safe.length) out.push(`  safe: ${safe.map((v) => `${v.label} (${v.reason})`).join("; ")}`);
  out.push("");

  out.push(`Findings (${analysis.summary.findings.critical} critical, ${analysis.summary.findings.warning} warning, ${analysis.summary.findings.info} info)`);
  if (analysis.findings.length === 0) out.push("  none: every member presents the same certificate and resumption behaves.");
  for (const f of analysis.findings) out.push(...findingLines(f, options));
  out.push("");

  const s = analysis.summary;
  const lat = latencyStats(s.handshakeLatencyMs);
  out.push(
    `Summary: ${s.certificateVariants} variant(s), ${s.membersDiverging} diverging member(s); resumption ${s.resumptionResumed} resumed / ${s.resumptionRefused} refused of ${s.resumptionAttempts} offered; ` +
      `${s.certificateChangesOnResumption} certificate change(s) on resumption; ${s.renegotiationFailures} renegotiation failure(s); ` +
      `${s.handshakeFailures} failed handshake(s) of ${s.handshakes}; handshake median ${lat.median ?? "-"} ms; ` +
      `min days to expiry ${s.minDaysToExpiry ?? "-"}`,
  );
  return out.join("\n");
}

function memberRow(m: MemberProbe, vid: (fp: string | undefined) => string): string[] {
  const ems = m.tls12.error ? undefined : m.tls12.session?.extendedMasterSecret;
  const v = m.handshake.verification ?? m.tls12.verification;
  const trust = v ? (v.failure ?? "ok") : "-";
  const failure = m.handshake.error ?? m.tls12.error;
  return [
    m.label,
    memberSource(m),
    [...new Set([memberLeaf(m, "tls12"), memberLeaf(m, "best")].filter((fp) => fp !== undefined).map(vid))].join("/") || "-",
    m.handshake.protocol ?? "-",
    yesNo(m.tls13Supported),
    ems === undefined ? "?" : yesNo(ems),
    m.tls12.error ? "?" : yesNo(m.tls12.secureRenegotiation),
    m.renegotiation.outcome,
    trust,
    failure ? `${failure.class}: ${failure.message.slice(0, 60)}` : `${m.handshake.handshakeMs ?? "-"} ms`,
  ];
}

/** Where the member came from, and its target health when the target group lists it ("target-group draining"). */
function memberSource(m: MemberProbe): string {
  return m.targetHealth ? `${m.source} ${m.targetHealth.state}` : m.source;
}

function chainStep(c: ChainConnection, vid: (fp: string | undefined) => string): string {
  if (c.error) return `#${c.index}✗(${c.error.class})`;
  return `#${c.index}${c.resumed ? "R" : "F"}${vid(c.leaf)}${c.certificateChanged ? "!" : ""}`;
}

function matrixMark(cell: MatrixCell | undefined): string {
  if (!cell) return "?";
  return { accepted: "✓", refused: "·", failed: "✗", "no-session": "-" }[cell.outcome];
}

function findingLines(f: Finding, options: TextOptions): string[] {
  const label = options.color ? `${COLOR[f.severity]}${SEVERITY_LABEL[f.severity]}\x1b[0m` : SEVERITY_LABEL[f.severity];
  const lines = [`  ${label} ${f.kind}: ${wrap(f.message, 96, "           ", f.kind.length + 2)}`];
  if (f.remedy) lines.push(`           → ${wrap(f.remedy, 94, "             ")}`);
  return lines;
}
