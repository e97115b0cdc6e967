/**
 * The documentation's samples are the program's own output, so they cannot go stale: each `<!-- sample:NAME -->`
 * block is compared with what the program prints now (ports, times, durations, serials and fingerprints, which change
 * every run, normalised on both sides). `UPDATE_DOC_SAMPLES=1 npx vitest run test/docs.test.ts` rewrites them.
 * Also: every relative link of the README and docs/ resolves, and every runbook anchor an alarm names exists.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../lambda/cli.js";
import { startDemoPool, type DemoPool } from "../lambda/lab/demo-pool.js";
import { fold } from "../lambda/monitor.js";
import { outcomeOf } from "../lambda/outcome.js";
import { probeEndpoint } from "../lambda/probe/endpoint.js";
import { USAGE } from "../lambda/usage.js";
import { endpointAlarmConditions, HEARTBEAT_CONDITION } from "../infra/alarms.js";

const UPDATE = process.env.UPDATE_DOC_SAMPLES === "1";

/** The block between the markers, without its code fence. */
function sampleIn(file: string, name: string): string {
  const text = readFileSync(file, "utf8");
  const m = new RegExp(`<!-- sample:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n<!-- /sample:${name} -->`).exec(text);
  if (!m) throw new Error(`${file}: no <!-- sample:${name} --> block`);
  return m[1]!;
}

function writeSample(file: string, name: string, body: string): void {
  const text = readFileSync(file, "utf8");
  writeFileSync(
    file,
    text.replace(
      new RegExp(`(<!-- sample:${name} -->\\n\`\`\`[a-z]*\\n)[\\s\\S]*?(\\n\`\`\`\\n<!-- /sample:${name} -->)`),
      (_m, a: string, b: string) => a + body + b,
    ),
  );
}

/** What changes from run to run, replaced; whitespace collapsed (a longer duration rewraps a line). */
function normalise(text: string): string {
  return text
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "TIME")
    .replace(/\b\d+(\.\d+)? ms\b/g, "N ms")
    .replace(/"durationMs":\s*[\d.]+/g, '"durationMs": N')
    .replace(/\b[0-9A-F]{2}(:[0-9A-F]{2}){31}\b/g, "FINGERPRINT")
    .replace(/\b[0-9A-Fa-f]{64}\b/g, "FINGERPRINT")
    .replace(/\b[0-9A-F]{30,40}\b/g, "SERIAL")
    .replace(/\s+/g, " ")
    .trim();
}

function checkSample(file: string, name: string, actual: string, more: (text: string) => string = (t) => t): void {
  if (UPDATE) writeSample(file, name, actual);
  expect(more(normalise(sampleIn(file, name))), `${file} sample:${name} (UPDATE_DOC_SAMPLES=1 rewrites it)`).toBe(more(normalise(actual)));
}

/** A log line's counts depend on the run's routing and timing; its fields and their kinds are what must not go stale. */
const countsOut = (text: string) => text.replace(/": \d+/g, '": N');

describe("samples are the program's output", () => {
  let pool: DemoPool;
  beforeAll(async () => {
    pool = await startDemoPool();
  });
  afterAll(() => pool.close());

  it("README: the demo's first screen (headline, the first two findings with their fixes)", async () => {
    let stdout = "";
    const code = await runCli(["demo"], { stdout: (t) => (stdout += t), stderr: () => undefined });
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    const findings = lines.flatMap((l, i) => (/^ {2}(CRITICAL|WARNING|info) {1,2}\S/.test(l) ? [i] : []));
    expect(findings.length).toBeGreaterThanOrEqual(3);
    checkSample("README.md", "demo", [...lines.slice(0, findings[2]), "  …"].join("\n"));
  });

  it("docs/cli.md: --help as the program prints it", () => {
    if (UPDATE) writeSample("docs/cli.md", "help", USAGE);
    expect(sampleIn("docs/cli.md", "help")).toBe(USAGE);
  });

  it("docs/function.md: the function's log line for a divergent endpoint", async () => {
    const probe = await probeEndpoint(pool.endpoint);
    const lines: Array<Record<string, unknown>> = [];
    fold(outcomeOf(pool.endpoint, probe), new Date(), (line) => lines.push(line));
    const line = lines.find((l) => l.msg === "endpoint")!;
    // A critical finding (Java clients can abort): the line is at error, which any log level keeps.
    expect(line.level).toBe("error");
    checkSample("docs/function.md", "log-line", JSON.stringify(line, null, 2), countsOut);
  });
});

describe("links and runbook anchors", () => {
  const docs = ["README.md", ...readdirSync("docs").map((f) => join("docs", f))];

  it("every relative link of the README and docs/ resolves to a file", () => {
    const broken: string[] = [];
    for (const file of docs) {
      for (const [, target] of readFileSync(file, "utf8").matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        if (!existsSync(join(dirname(file), target!))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("every alarm's runbook anchor is a section of docs/alarms.md", () => {
    const sections = new Set([...readFileSync("docs/alarms.md", "utf8").matchAll(/^## ([a-z-]+)$/gm)].map((m) => m[1]));
    const anchors = [...endpointAlarmConditions(21).map((c) => c.anchor), HEARTBEAT_CONDITION.anchor];
    // The monitor's own alarms (infra/construct.ts addRunAlarms) name theirs inline.
    const construct = readFileSync("infra/construct.ts", "utf8");
    anchors.push(...[...construct.matchAll(/anchor: "([a-z-]+)"/g)].map((m) => m[1]!));
    expect(anchors.filter((a) => !sections.has(a))).toEqual([]);
    expect(anchors.length).toBeGreaterThanOrEqual(9);
  });
});
