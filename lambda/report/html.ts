/**
 * `--html FILE`: one self-contained page (inline CSS, no script, no external asset, no network) per run. Per
 * endpoint: the headline and findings first, the computed remedies, each resumption chain as a strip of connections
 * coloured by outcome and lettered by variant, the member × member matrix as a coloured grid, the certificates side
 * by side with their differences highlighted, and the Java verdicts. Pure: outcomes in, HTML text out.
 */
import type { EndpointAnalysis } from "../analysis/index.js";
import { profileLabel } from "../analysis/remedies.js";
import type { EndpointOutcome } from "../outcome.js";
import { plainError } from "../probe/errors.js";
import type { CertificateInfo, ChainConnection, EndpointProbe, MatrixCell } from "../probe/types.js";
import { RESUMPTION_MECHANISMS } from "../probe/types.js";
import { firstSentence, headlineOf } from "./text.js";

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The colours the page uses for outcomes; the Chromium test looks for these exact pixels. */
export const HTML_COLORS = {
  full: "#4a78c2",
  resumed: "#2e9e5b",
  changed: "#d6452f",
  failed: "#222222",
  accepted: "#2e9e5b",
  refused: "#e8b64a",
  matrixFailed: "#d6452f",
  noSession: "#c8c8c8",
} as const;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1d; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.endpoint { border-top: 3px solid #444; padding-top: 12px; margin-bottom: 40px; }
.state { font-weight: 700; padding: 2px 8px; border-radius: 4px; color: #fff; }
.state.critical { background: #b3261e; } .state.warning { background: #b86e00; } .state.ok { background: #2e7d32; } .state.info { background: #555; }
.meta { color: #555; }
.finding { margin: 6px 0; } .finding .sev { font-weight: 700; display: inline-block; width: 84px; }
.finding .fix { color: #333; margin-left: 84px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
.strip { display: flex; gap: 3px; margin: 4px 0 10px; align-items: center; }
.strip .label { width: 90px; }
.conn { width: 34px; height: 34px; display: inline-flex; align-items: center; justify-content: center; color: #fff; font-weight: 700; border-radius: 3px; }
.conn.full { background: ${HTML_COLORS.full}; } .conn.resumed { background: ${HTML_COLORS.resumed}; }
.conn.changed { background: ${HTML_COLORS.changed}; } .conn.failed { background: ${HTML_COLORS.failed}; }
.matrix td.cell { width: 34px; height: 34px; text-align: center; }
.matrix td.accepted { background: ${HTML_COLORS.accepted}; } .matrix td.refused { background: ${HTML_COLORS.refused}; }
.matrix td.failed { background: ${HTML_COLORS.matrixFailed}; } .matrix td.no-session { background: ${HTML_COLORS.noSession}; }
.certs td { word-break: break-all; max-width: 360px; } .certs td.diff { background: #fff1a8; font-weight: 600; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
`;

export function renderHtml(outcomes: EndpointOutcome[], generatedAt: Date = new Date()): string {
  const sections = outcomes.map((o) =>
    o.kind === "finished"
      ? endpointSection(o.probe, o.analysis)
      : `<section class="endpoint"><h1><span class="state critical">NOT FINISHED</span> ${escape(o.endpoint.name)}</h1><p>${escape(o.message)}. Nothing is concluded from a cut probe.</p></section>`,
  );
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    // No script and no external asset: the page cannot fetch anything (and says so to the browser).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>tls-pool-monitor report</title><style>${STYLE}</style></head><body>`,
    `<p class="meta">tls-pool-monitor, ${escape(generatedAt.toISOString())}, ${outcomes.length} endpoint(s)</p>`,
    ...sections,
    "</body></html>",
    "",
  ].join("\n");
}

function endpointSection(probe: EndpointProbe, analysis: EndpointAnalysis): string {
  const { state, text } = headlineOf(probe, analysis);
  const variantOf = new Map(analysis.variants.map((v) => [v.fingerprint, v.id]));
  const e = probe.endpoint;
  const parts = [
    `<section class="endpoint" data-endpoint="${escape(e.name)}">`,
    `<h1><span class="state ${state.toLowerCase() === "ok" ? "ok" : escape(state.toLowerCase())}">${escape(state)}</span> ${escape(e.name)}: ${escape(text)}</h1>`,
    `<p class="meta">${escape(`${e.host}:${e.port}`)}, servername ${escape(e.servername)}; probed ${escape(probe.startedAt)} in ${probe.durationMs} ms; ${probe.members.length} member(s)</p>`,
    "<h2>Findings</h2>",
    analysis.findings.length
      ? analysis.findings
          .map(
            (f) =>
              `<div class="finding ${f.severity}"><span class="sev">${f.severity.toUpperCase()}</span> <b>${escape(f.kind)}</b>: ${escape(f.message)}` +
              (f.remedy ? `<div class="fix">fix: ${escape(firstSentence(f.remedy))}</div>` : "") +
              "</div>",
          )
          .join("\n")
      : "<p>None: every member presents the same certificate and resumption behaves.</p>",
  ];
  if (analysis.remedies.length) {
    parts.push(
      "<h2>What to do, best first</h2>",
      '<table class="remedies"><tr><th>change</th><th>members</th><th>makes safe</th><th>detail</th></tr>',
      ...analysis.remedies.map(
        (r) =>
          `<tr class="${r.inPlace ? "in-place" : "todo"}"><td>${escape(r.action)}${r.inPlace ? " (in place)" : ""}</td><td>${escape(r.members.join(", ") || "-")}</td>` +
          `<td>${escape(r.makesSafe.map(profileLabel).join(", ") || "-")}</td><td>${escape(r.detail)}</td></tr>`,
      ),
      "</table>",
    );
  }
  parts.push("<h2>Resumption through the VIP</h2>", chainLegend());
  for (const mechanism of RESUMPTION_MECHANISMS) {
    const chain = probe.vip.chains[mechanism];
    if (chain.length === 0) continue;
    parts.push(
      `<div class="strip" data-mechanism="${mechanism}"><span class="label">${mechanism}</span>${chain.map((c) => connection(c, variantOf)).join("")}</div>`,
    );
  }
  if (probe.members.length > 1 && probe.matrix.some((c) => c.outcome !== "no-session")) parts.push(matrixGrid(probe));
  parts.push(certificateTable(probe, analysis), javaTable(analysis), "</section>");
  return parts.join("\n");
}

function chainLegend(): string {
  const item = (color: string, label: string) => `<span><i style="background:${color}"></i>${label}</span>`;
  return `<p class="legend">${item(HTML_COLORS.full, "full handshake")}${item(HTML_COLORS.resumed, "resumed")}${item(HTML_COLORS.changed, "refused, certificate changed")}${item(HTML_COLORS.failed, "failed")} (letter: certificate variant)</p>`;
}

function connection(c: ChainConnection, variantOf: Map<string, string>): string {
  const kind = c.error ? "failed" : c.resumed ? "resumed" : c.certificateChanged ? "changed" : "full";
  const letter = c.error ? "✗" : (variantOf.get(c.leaf ?? "") ?? "?");
  const title = c.error
    ? `#${c.index}: ${plainError(c.error)}`
    : `#${c.index}: ${c.resumed ? "resumed" : c.sessionOffered ? "session refused, full handshake" : "full handshake"}${c.certificateChanged ? ", certificate changed" : ""}`;
  return `<span class="conn ${kind}" title="${escape(title)}">${escape(letter)}</span>`;
}

function matrixGrid(probe: EndpointProbe): string {
  const labels = probe.members.map((m) => m.label);
  const cells = new Map(probe.matrix.map((c) => [`${c.mechanism} ${c.from} ${c.to}`, c]));
  const mark = (c: MatrixCell | undefined) => (c ? { accepted: "✓", refused: "·", failed: "✗", "no-session": "-" }[c.outcome] : "?");
  const grids = (["session-id", "ticket"] as const).map((mechanism) => {
    const head = `<tr><th>${mechanism}: session of ↓ offered to →</th>${labels.map((l) => `<th>${escape(l)}</th>`).join("")}</tr>`;
    const rows = labels.map((from) => {
      const row = labels.map((to) => {
        const c = cells.get(`${mechanism} ${from} ${to}`);
        return `<td class="cell ${c?.outcome ?? "unknown"}" title="${escape(`${from} → ${to}: ${c?.outcome ?? "not offered"}`)}">${mark(c)}</td>`;
      });
      return `<tr><th>${escape(from)}</th>${row.join("")}</tr>`;
    });
    return `<table class="matrix" data-mechanism="${mechanism}">${head}${rows.join("")}</table>`;
  });
  return `<h2>Cross-member resumption</h2>${grids.join("<br>")}`;
}

const CERT_FIELDS: Array<[keyof CertificateInfo, string]> = [
  ["subject", "subject"],
  ["issuer", "issuer"],
  ["sanDns", "DNS SANs"],
  ["sanIp", "IP SANs"],
  ["serialNumber", "serial"],
  ["keyType", "key"],
  ["validFrom", "valid from"],
  ["validTo", "valid to"],
  ["fingerprint256", "sha256"],
];

function certificateTable(probe: EndpointProbe, analysis: EndpointAnalysis): string {
  const certs = analysis.variants.map((v) => ({ v, c: probe.certificates[v.fingerprint]! }));
  const value = (c: CertificateInfo, f: keyof CertificateInfo) => {
    const x = c[f];
    return Array.isArray(x) ? x.join(", ") : String(x ?? "");
  };
  const rows = CERT_FIELDS.map(([field, label]) => {
    const values = certs.map(({ c }) => value(c, field));
    const differs = new Set(values).size > 1;
    return `<tr><th>${label}</th>${values.map((x) => `<td class="${differs ? "diff" : "same"}">${escape(x)}</td>`).join("")}</tr>`;
  });
  const head = `<tr><th></th>${certs.map(({ v }) => `<th>[${v.id}] ${escape(v.members.join(", ") || "VIP only")}</th>`).join("")}</tr>`;
  return `<h2>Certificates, side by side (differences highlighted)</h2><table class="certs">${head}${rows.join("")}</table>`;
}

function javaTable(analysis: EndpointAnalysis): string {
  const rows = [...analysis.javaClients, ...analysis.javaClientsWithoutSni].map(
    (v) => `<tr class="${v.verdict}"><td>${escape(v.label)}</td><td>${v.verdict}</td><td>${escape(v.reason)}</td></tr>`,
  );
  return `<h2>Java clients without endpoint identification</h2><table class="java"><tr><th>profile</th><th>verdict</th><th>why</th></tr>${rows.join("")}</table>`;
}
