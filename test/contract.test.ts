/**
 * The `--json` document as a contract: the published JSON Schema is generated from the declared types (never kept by
 * hand: a stale file fails here), and the documents the CLI prints conform to it. The real-server suites check every
 * result they probe against it too (test/helpers/field.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGenerator } from "ts-json-schema-generator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../lambda/cli.js";
import { REPORT_SCHEMA_VERSION } from "../lambda/report/json.js";
import { REPORT_SCHEMA_FILE, reportSchemaErrors } from "./helpers/contract.js";
import { Harness } from "./helpers/pool.js";

const harness = new Harness();
afterAll(() => harness.closeAll());

async function cli(...argv: string[]) {
  let stdout = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: () => undefined });
  return { code, stdout };
}

describe("the --json contract", () => {
  it("schema/report.schema.json is what the declared types generate (run npm run schema after changing them)", { timeout: 60_000 }, () => {
    const generated = createGenerator({ path: "lambda/report/json.ts", type: "ReportDocument", tsconfig: "tsconfig.json", skipTypeCheck: true }).createSchema(
      "ReportDocument",
    );
    expect(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, "utf8"))).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  let demo: Record<string, unknown>;
  beforeAll(async () => {
    const { code, stdout } = await cli("demo", "--json");
    expect(code).toBe(0);
    demo = JSON.parse(stdout) as Record<string, unknown>;
  });

  it("the demo's document conforms, with its schemaVersion", () => {
    expect(demo.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(reportSchemaErrors(demo)).toEqual([]);
  });

  it("the schema is strict enough to catch a broken document (canary)", () => {
    const { summary: _summary, ...withoutSummary } = demo;
    expect(reportSchemaErrors(withoutSummary).length).toBeGreaterThan(0);
    expect(reportSchemaErrors({ ...demo, findings: [{ kind: "no-such-kind", severity: "warning", message: "x", evidence: {} }] }).length).toBeGreaterThan(0);
  });

  it("a not-finished endpoint's document conforms (a silent member, cut by --deadline)", async () => {
    const port = await harness.rawServer(() => undefined);
    const { stdout } = await cli("probe", `127.0.0.1:${port}`, "--no-dns", "--timeout", "5000", "--deadline", "1", "--json");
    const doc = JSON.parse(stdout) as { notFinished?: unknown };
    expect(doc.notFinished).toBeDefined();
    expect(reportSchemaErrors(doc)).toEqual([]);
  });

  it("a registry's document (with a rejected entry) and each --jsonl line conform", async () => {
    const port = await harness.rawServer((s) => s.end("not tls\r\n"));
    const dir = mkdtempSync(join(tmpdir(), "tpm-contract-"));
    try {
      const file = join(dir, "registry.json");
      writeFileSync(
        file,
        JSON.stringify({
          endpoints: [
            { name: "plain", host: "127.0.0.1", port, discover: "none", attempts: 1, timeoutMs: 1000 },
            { name: "bad", host: "x.example", attempts: 0 },
          ],
        }),
      );
      const whole = JSON.parse((await cli("probe", "--registry", file, "--json")).stdout) as { registryErrors: string[] };
      expect(whole.registryErrors).toHaveLength(1);
      expect(reportSchemaErrors(whole)).toEqual([]);
      const lines = (await cli("probe", "--registry", file, "--jsonl")).stdout.trim().split("\n");
      expect(lines).toHaveLength(1);
      for (const line of lines) expect(reportSchemaErrors(JSON.parse(line))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
