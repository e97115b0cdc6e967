/**
 * The human report: the headline and the findings first, the computed remedies, then the evidence (variants and
 * who presents them, the members, the resumption chains, the matrix, the Java clients). At most 100 columns.
 */
import type { EndpointAnalysis } from "../analysis/index.js";
import { affectsClients, type Finding } from "../analysis/finding.js";
import { memberEms, membersWithoutEms } from "../analysis/ems.js";
import { JAVA_CLIENT_LIBRARIES, JAVA_EXPOSURE_NOTE } from "../analysis/java/clients.js";
import { CHECK_SWITCHES } from "../analysis/java/profiles.js";
import { profileLabel } from "../analysis/remedies.js";
import { memberLabels, memberLeaf, OFFER_LABEL, plural } from "../analysis/observations.js";
import type { ChainConnection, EndpointProbe, MatrixCell, MemberProbe } from "../probe/types.js";
import { RESUMPTION_MECHANISMS } from "../probe/types.js";
import { MATRIX_SAMPLE_DEGREE } from "../probe/matrix-plan.js";
import { latencyStats } from "./json.js";
import { plainError } from "../probe/errors.js";

export interface TextOptions {
  /** ANSI colours for severities. */
  color?: boolean;
  /** Columns to fit (the terminal's); TEXT_WIDTH by default, never under MIN_TEXT_WIDTH. */
  width?: number;
}

/** Narrower than this, the tables cannot be read at all: wrap at this and let the terminal wrap the rest. */
export const MIN_TEXT_WIDTH = 60;

const SEVERITY_LABEL = { critical: "CRITICAL", warning: "WARNING ", info: "info    " } as const;
const COLOR = { critical: "\x1b[1;31m", warning: "\x1b[33m", info: "\x1b[2m" } as const;

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
  );
}

const yesNo = (v: boolean | undefined) => (v === undefined ? "?" : v ? "yes" : "NO");

/** The widest line the report writes: longer ones are wrapped, never cut. */
export const TEXT_WIDTH = 100;

/**
 * The operator's first screen first: a headline with the endpoint's worst state, the findings ranked by impact with
 * a one-line fix each, the computed remedies; then the evidence (variants, members, chains, matrix, Java clients).
 */
export function renderText(probe: EndpointProbe, analysis: EndpointAnalysis, options: TextOptions = {}): string {
  const out: string[] = [];
  const variantOf = new Map(analysis.variants.map((v) => [v.fingerprint, v.id]));
  const vid = (fp: string | undefined) => (fp ? (variantOf.get(fp) ?? "?") : "-");
  const e = probe.endpoint;
  out.push(headline(probe, analysis, options));
  out.push(
    `  ${e.name === `${e.host}:${e.port}` ? e.name : `${e.name} (${e.host}:${e.port})`}, servername ${e.servername}; probed ${probe.startedAt} in ${probe.durationMs} ms; ` +
      `${probe.members.length} member(s); ${e.attempts} connection(s) per resumption chain`,
  );
  if (probe.targetGroup) {
    const g = probe.targetGroup;
    out.push(`  target group ${g.arn}: ${g.error ? `not read (${plainError(g.error)})` : `${g.targets.length} registered target(s)`}`);
  }
  out.push("");

  out.push(
    `Findings (${analysis.summary.findings.critical} critical, ${analysis.summary.findings.warning} warning, ${analysis.summary.findings.info} info), what breaks clients first`,
  );
  if (analysis.findings.length === 0) out.push("  none: every member presents the same certificate and resumption behaves.");
  for (const f of analysis.findings) out.push(...findingLines(f, options));
  out.push("");

  out.push(...remedyLines(analysis));

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
    out.push(
      `      valid ${c.validFrom.slice(0, 10)} → ${c.validTo.slice(0, 10)} (${c.daysToExpiry ?? "?"} days left); sha256 ${c.fingerprint256.slice(0, 23)}…`,
    );
    out.push(
      `      presented by: ${v.members.length ? v.members.map(named).join(", ") : "no member probed directly"}; to ${v.offers.map((o) => OFFER_LABEL[o]).join(", ")}`,
    );
    if (v.vipConnections.length) out.push(`      seen through the VIP on ${v.vipConnections.length} connection(s)`);
  }
  if (analysis.differences.length) {
    out.push("  Differences between variants:");
    for (const d of analysis.differences) {
      out.push(
        `    ${d.field}: ${Object.entries(d.values)
          .map(([id, value]) => `${id}=${value}`)
          .join(" | ")}`,
      );
    }
  }
  out.push("");

  if (probe.members.length) {
    out.push("Members");
    const rows = [["member", "from", "variant", "best", "1.3", "EMS", "RFC5746", "renegotiation", "mTLS", "trust", "result"]];
    for (const m of probe.members) rows.push(memberRow(m, vid));
    out.push(...table(rows));
    out.push("");
    if (probe.members.some((m) => m.protocols)) {
      // Per member, as testssl.sh lists per server: each version, and the TLS 1.2 suite families accepted.
      out.push("Protocols and TLS 1.2 suite families");
      const mark = (v: boolean | undefined) => (v === undefined ? "?" : v ? "yes" : "-");
      const versions = [["member", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "TLS 1.2 suites"]];
      for (const m of probe.members) {
        const p = m.protocols;
        const suites = Object.entries(m.tls12Suites ?? {})
          .filter(([, ok]) => ok)
          .map(([family]) => family)
          .join(" ");
        versions.push([m.label, mark(p?.SSLv3), mark(p?.TLSv1), mark(p?.["TLSv1.1"]), mark(p?.["TLSv1.2"]), mark(p?.["TLSv1.3"]), suites || "-"]);
      }
      out.push(...table(versions), "");
    }
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
      out.push(
        `Cross-member resumption: a sample of ${plan.pairs} of ${plan.possible} member pairs per mechanism (every member ${MATRIX_SAMPLE_DEGREE} times as source and as target)`,
      );
      for (const mechanism of ["session-id", "ticket"] as const) {
        out.push(
          `  ${mechanism}: ${count(mechanism, "accepted")} accepted, ${count(mechanism, "refused")} refused, ${count(mechanism, "failed")} failed, ${count(mechanism, "no-session")} no session`,
        );
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
  const java = [...analysis.javaClients, ...analysis.javaClientsWithoutSni];
  out.push(...table([["profile", "verdict", "aborted in this run"], ...java.map((v) => [v.label, v.verdict, String(v.abortedConnections)])]));
  for (const v of java.filter((j) => j.verdict !== "safe")) {
    out.push(`  ${v.label}: ${v.reason}`);
    if (v.sequence) out.push(`    reproduce: ${v.sequence.map((s, i) => `${i + 1}. ${s}`).join("  ")} (one client, one SSLContext, through the VIP)`);
  }
  const safe = analysis.javaClients.filter((j) => j.verdict === "safe");
  if (safe.length) out.push(`  safe: ${safe.map((v) => `${v.label} (${v.reason})`).join("; ")}`);
  out.push("  Which clients these lines apply to (measured on JDK 17):");
  out.push(
    `    exposed: ${JAVA_CLIENT_LIBRARIES.filter((c) => c.exposed)
      .map((c) => c.client)
      .join("; ")}`,
  );
  out.push(
    `    protected (0 aborts in 10,470 requests): ${JAVA_CLIENT_LIBRARIES.filter((c) => !c.exposed)
      .map((c) => c.client)
      .join("; ")}`,
  );
  out.push(`    ${JAVA_EXPOSURE_NOTE}`, `    ${CHECK_SWITCHES}`);
  out.push("");

  const s = analysis.summary;
  const lat = latencyStats(s.handshakeLatencyMs);
  out.push(
    `Summary: ${s.certificateVariants} variant(s), ${s.membersDiverging} diverging member(s); resumption ${s.resumptionResumed} resumed / ${s.resumptionRefused} refused of ${s.resumptionAttempts} offered; ` +
      `${s.certificateChangesOnResumption} certificate change(s) on resumption; ${s.renegotiationFailures} renegotiation failure(s); ` +
      `${s.handshakeFailures} failed handshake(s) of ${s.handshakes}; handshake median ${lat.median ?? "-"} ms; ` +
      `min days to expiry ${s.minDaysToExpiry ?? "-"}`,
  );
  return fit(out, Math.max(MIN_TEXT_WIDTH, options.width ?? TEXT_WIDTH)).join("\n");
}

/** The endpoint and its worst state in one line, for the operator woken at 3 a.m. */
function headline(probe: EndpointProbe, analysis: EndpointAnalysis, options: TextOptions): string {
  const { state, severity, text } = headlineOf(probe, analysis);
  return `${options.color ? `${COLOR[severity]}${state}\x1b[0m` : state}  ${probe.endpoint.name}: ${text}`;
}

/** The headline's state word (CRITICAL, WARNING, OK, UNREACHABLE) and text; the HTML report shows the same. */
export function headlineOf(probe: EndpointProbe, analysis: EndpointAnalysis): { state: string; severity: keyof typeof COLOR; text: string } {
  const worst = analysis.findings.find(affectsClients);
  if (worst) return { state: worst.severity.toUpperCase(), severity: worst.severity, text: headlineText(probe, analysis, worst) };
  const s = analysis.summary;
  if (!s.reachable) return { state: "UNREACHABLE", severity: "critical", text: "no TLS handshake completed" };
  const hygiene = analysis.findings.filter((f) => f.severity === "warning").length;
  return {
    state: "OK",
    severity: "info",
    text: `${plural(s.membersProbed, "member")}, ${s.certificateVariants === 1 ? "one certificate per client offer" : "no member compared"}; nothing that breaks clients${hygiene ? ` (${plural(hygiene, "hygiene warning")} below)` : ""}`,
  };
}

function headlineText(probe: EndpointProbe, analysis: EndpointAnalysis, f: Finding): string {
  const s = analysis.summary;
  if (f.kind === "java-client-abort") {
    const verb = analysis.javaClients.some((v) => v.verdict === "aborts") ? "abort" : "can abort";
    const noEms = membersWithoutEms(probe).map((m) => m.label);
    return (
      `Java clients without endpoint identification ${verb}: ${plural(s.certificateVariants, "identity", "identities")} in the pool` +
      (noEms.length ? `; ${noEms.slice(0, 3).join(", ")}${noEms.length > 3 ? ", …" : ""} lack${noEms.length === 1 ? "s" : ""} EMS` : "")
    );
  }
  if (f.kind === "certificate-divergence")
    return `members present ${plural(s.certificateVariants, "different certificate")} to the same client (${plural(s.membersDiverging, "member")} differ)`;
  if (f.kind === "resumption-failure")
    return `resuming clients fail: ${plural(s.crossMemberResumptionFailures, "cross-member session offer")} answered with a fatal alert`;
  if (f.kind === "handshake-failure") return `${plural(s.handshakeFailures, "TLS handshake")} of ${s.handshakes} failed`;
  return firstSentence(f.message);
}

/** The first sentence, outside parentheses; a leading list number ("1. ") is not a sentence. */
export function firstSentence(text: string): string {
  const body = text.replace(/^\d+\.\s+/, "");
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "." && depth === 0 && (i === body.length - 1 || body[i + 1] === " ")) return body.slice(0, i);
  }
  return body.replace(/\.$/, "");
}

/** The computed remedies: to-dos with the profiles each makes safe, then what is already in place. */
function remedyLines(analysis: EndpointAnalysis): string[] {
  if (analysis.remedies.length === 0) return [];
  const lines = ["What to do, best first (each change alone, its effect re-computed on this pool)"];
  let n = 0;
  for (const r of analysis.remedies) {
    if (r.inPlace) {
      lines.push(`  in place  ${r.action}: ${r.detail}`);
      continue;
    }
    const safe = r.makesSafe.length ? `makes safe: ${r.makesSafe.map(profileLabel).join(", ")}` : "no Java profile made safe by this alone";
    lines.push(`  ${String(++n).padStart(2)}.  ${r.action}${r.members.length ? ` on ${r.members.join(", ")}` : ""} (${safe})`);
    lines.push(`        ${r.detail}`);
  }
  lines.push("  (configuration snippets for nginx, Apache, HAProxy, AWS NLB and F5: --json, remedies[].snippets)", "");
  return lines;
}

/**
 * Wraps every line longer than `width` at spaces (a word longer than a line is split), continuing at the line's
 * own indent plus two: nothing is cut. Widths count characters (the report's symbols are one column each).
 */
export function fit(lines: string[], width: number): string[] {
  const out: string[] = [];
  for (const line of lines.flatMap((l) => l.split("\n"))) {
    const visible = line.replace(/\x1b\[[0-9;]*m/g, "");
    if (visible.length <= width) {
      out.push(line);
      continue;
    }
    const indent = " ".repeat((/^ */.exec(visible)?.[0].length ?? 0) + 2);
    let rest = line;
    let first = true;
    while (rest.replace(/\x1b\[[0-9;]*m/g, "").length > (first ? width : width - indent.length)) {
      const room = first ? width : width - indent.length;
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= (first ? indent.length : 0)) cut = room;
      out.push((first ? "" : indent) + rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
      first = false;
    }
    if (rest) out.push((first ? "" : indent) + rest);
  }
  return out;
}

function memberRow(m: MemberProbe, vid: (fp: string | undefined) => string): string[] {
  const ems = memberEms(m);
  const hello = !m.tls12.error || m.tls12.error.class === "client-certificate";
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
    hello ? yesNo(m.tls12.secureRenegotiation) : "?",
    m.renegotiation.outcome,
    m.clientAuth === "required" ? "req" : m.clientAuth === "not-required" ? "-" : "?",
    trust,
    failure ? plainError(failure) : `${m.handshake.handshakeMs ?? "-"} ms`,
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

/** A finding and its one-line fix (the remedy's first sentence; the whole remedy is in the JSON). */
function findingLines(f: Finding, options: TextOptions): string[] {
  const label = options.color ? `${COLOR[f.severity]}${SEVERITY_LABEL[f.severity]}\x1b[0m` : SEVERITY_LABEL[f.severity];
  const lines = [`  ${label} ${f.kind}: ${f.message}`];
  if (f.remedy) lines.push(`           fix: ${firstSentence(f.remedy)}`);
  return lines;
}
