/**
 * The text report as the operator's first screen, on real pools: the headline first, findings before evidence,
 * every line at most 100 columns with nothing cut, OpenSSL's strings in plain words (the raw ones in the JSON).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeEndpoint } from "../../lambda/analysis/index.js";
import { startDemoPool } from "../../lambda/lab/demo-pool.js";
import { probeEndpoint } from "../../lambda/probe/endpoint.js";
import { endpointReport } from "../../lambda/report/json.js";
import { fit, firstSentence, renderText, TEXT_WIDTH } from "../../lambda/report/text.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterAll(() => harness.closeAll());

const columns = (line: string) => [...line].length;

async function report(endpoint: Parameters<typeof probeEndpoint>[0]) {
  const probe = await probeEndpoint(endpoint);
  const analysis = analyzeEndpoint(probe);
  return { probe, analysis, lines: renderText(probe, analysis).split("\n") };
}

describe("the text report", () => {
  it("the demo pool: the verdict first, findings before the evidence, 100 columns at most", async () => {
    const pool = harness.track(await startDemoPool(4));
    const { lines, analysis, probe } = await report(pool.endpoint);
    // An 80-column terminal: every line fits it (the CLI passes the terminal's width), words are not split.
    const narrow = renderText(probe, analysis, { width: 80 }).split("\n");
    expect(narrow.filter((l) => columns(l) > 80)).toEqual([]);
    expect(narrow.join(" ").replace(/\s+/g, " ")).toContain("Java clients without endpoint identification can abort");
    const withoutEms = analysis.remedies.find((r) => r.action === "enable-ems")!.members[0]!;
    expect(lines.slice(0, 2).join(" ").replace(/\s+/g, " ")).toMatch(
      new RegExp(
        `^CRITICAL demo-puppetdb: Java clients without endpoint identification can abort: 3 identities in the pool; ${withoutEms.replace(/\./g, "\\.")} lacks EMS`,
      ),
    );
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(at("Findings (1 critical")).toBeLessThan(at("What to do, best first"));
    expect(at("What to do, best first")).toBeLessThan(at("Certificate variants"));
    expect(at("Certificate variants")).toBeLessThan(at("Members"));
    expect(lines.filter((l) => columns(l) > TEXT_WIDTH)).toEqual([]);
    // Findings in impact order, each with its one-line fix.
    const findings = lines.filter((l) => /^ {2}(CRITICAL|WARNING|info) /.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(findings[0]).toBe("java-client-abort:");
    expect(lines.filter((l) => l.trim().startsWith("fix: ")).length).toBe(analysis.findings.filter((f) => f.remedy).length);
    // The remedies: the first to-do is the one certificate; TLS 1.3 (every demo member has it) is said to be in place.
    expect(lines[at("What to do, best first") + 1]).toMatch(/^ {3}1\. {2}same-certificate on /);
    expect(lines.some((l) => l.startsWith("  in place  enable-tls13: Every member negotiates TLS 1.3."))).toBe(true);
    const text = lines.join("\n").replace(/\n\s+/g, " ");
    expect(text).toMatch(/exposed: Apache HttpClient 4\.5 \(sync and async\); Apache HttpClient 5\.2; Puppet's clj-http-client/);
  });

  it("a healthy pool: OK in the first line, nothing to do but what is in place", async () => {
    const certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const keys = Buffer.alloc(48, 7);
    const pool = await harness.pool(
      pki,
      [0, 1, 2].map(() => ({ certificate, ticketKeys: keys })),
    );
    const { lines, analysis } = await report(pool.endpoint({ attempts: 4 }));
    expect(lines[0]).toMatch(/^OK {2}pool: 3 members, one certificate per client offer; nothing that breaks clients/);
    expect(analysis.remedies.every((r) => r.inPlace)).toBe(true);
    expect(lines.filter((l) => /^ {2}in place {2}/.test(l)).length).toBe(analysis.remedies.length);
    expect(lines.filter((l) => columns(l) > TEXT_WIDTH)).toEqual([]);
  });

  it("a member that does not speak TLS: plain words in the table, the raw error in the JSON", async () => {
    const certificate = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const pool = await harness.pool(pki, [{ certificate }]);
    const port = await harness.rawServer((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const endpoint = pool.endpoint({ attempts: 2 });
    endpoint.members.push({ address: "127.0.0.1", port, label: `127.0.0.1:${port}` });
    const { lines, probe, analysis } = await report(endpoint);
    const i = lines.findIndex((l) => l.startsWith(`  127.0.0.1:${port} `));
    const row = `${lines[i]} ${lines[i + 1]!.trim()}`; // the long row wraps onto the next line, nothing is cut
    expect(row).toContain("the port does not speak TLS");
    expect(lines.join("\n")).not.toMatch(/ERR_SSL_|routines:/);
    const json = endpointReport(probe, analysis);
    expect(json.members.find((m) => m.port === port)!.handshake.error).toMatchObject({ class: "not-tls", code: expect.stringMatching(/^ERR_SSL_/) });
  });
});

describe("fit and firstSentence", () => {
  it("wraps at spaces, splits a word longer than a line, drops nothing", () => {
    const long = `  ${"word ".repeat(40)}${"x".repeat(150)} end`;
    const out = fit([long], 40);
    expect(out.every((l) => columns(l) <= 40)).toBe(true);
    expect(out.join(" ").replace(/\s+/g, "")).toBe(long.replace(/\s+/g, ""));
  });

  it("the first sentence ends at a full stop outside parentheses; a list number is not one", () => {
    expect(firstSentence("Enable EMS (OpenSSL ≥ 1.1.0 has it on; check it). Then more.")).toBe("Enable EMS (OpenSSL ≥ 1.1.0 has it on; check it)");
    expect(firstSentence("1. Present one certificate. 2. Share keys.")).toBe("Present one certificate");
  });
});
