/**
 * The `--json` document as a contract: the published JSON Schema is generated from the declared types (never kept by
 * hand: a stale file fails here), and the documents the CLI prints conform to it. The real-server suites check every
 * result they probe against it too (test/helpers/field.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../lambda/cli.js";
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { REPORT_SCHEMA_VERSION } from "../lambda/report/json.js";
import { loadRegistryFile } from "../lambda/registry/load.js";
import { REGISTRY_SCHEMA_PATH, registryJsonSchema, reportJsonSchema } from "../scripts/schemas.js";
import { REPORT_SCHEMA_FILE, reportSchemaErrors } from "./helpers/contract.js";
import { Harness } from "./helpers/pool.js";

const harness = new Harness();
afterAll(() => harness.closeAll());

async function cli(...argv: string[]) {
  let stdout = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: () => undefined });
  return { code, stdout };
}

describe("the registry's JSON Schema", () => {
  it("schema/registry.schema.json is what the zod schema generates (run npm run schema after changing it)", () => {
    expect(JSON.parse(readFileSync(REGISTRY_SCHEMA_PATH, "utf8"))).toEqual(JSON.parse(JSON.stringify(registryJsonSchema())));
  });

  it("the example registry validates, with its $schema; a misspelt field, a bad port and a missing host do not", () => {
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(REGISTRY_SCHEMA_PATH, "utf8")) as object);
    const example = JSON.parse(readFileSync("registry.example.json", "utf8")) as { $schema?: string; endpoints: Array<Record<string, unknown>> };
    expect(example.$schema).toBe("./schema/registry.schema.json");
    expect(validate(example)).toBe(true);
    const first = example.endpoints[0]!;
    expect(validate({ endpoints: [{ ...first, servrname: "x" }] })).toBe(false);
    expect(validate({ endpoints: [{ ...first, port: 70000 }] })).toBe(false);
    expect(validate({ endpoints: [{ name: "x" }] })).toBe(false);
  });

  it("the loader accepts a registry carrying $schema (the example itself), and still refuses any other top-level key", () => {
    const dir = mkdtempSync(join(tmpdir(), "tpm-schema-"));
    try {
      const example = loadRegistryFile("registry.example.json");
      expect(example.errors.filter((e) => e.field === "$schema")).toEqual([]);
      const other = join(dir, "r.json");
      writeFileSync(other, JSON.stringify({ $schema: "x", version: 2, endpoints: [{ name: "a", host: "a.example" }] }));
      expect(loadRegistryFile(other).errors.map((e) => e.message)).toEqual([`${other}: version: unknown field (only "endpoints" and "$schema" are allowed)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the --json contract", () => {
  it("schema/report.schema.json is what the declared types generate (run npm run schema after changing them)", { timeout: 60_000 }, () => {
    expect(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, "utf8"))).toEqual(reportJsonSchema());
  });

  it("the published schema lets a later version's added field through (consumers ignore what they do not know); a removed one fails", () => {
    const lenient = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, "utf8")) as object);
    expect(lenient({ ...demo, addedLater: { any: "thing" } })).toBe(true);
    const { verdict: _verdict, ...withoutVerdict } = demo;
    expect(lenient(withoutVerdict)).toBe(false);
    // Our own documents are held to the strict form: a field printed but never declared fails.
    expect(reportSchemaErrors({ ...demo, undeclared: 1 })).not.toEqual([]);
  });

  it("every document says its verdict and the tool that wrote it", () => {
    expect(demo.tool).toEqual({ name: "tls-pool-monitor", version: (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version });
    // The demo pool is divergent on purpose: Java clients can abort.
    expect(demo.verdict).toBe("findings");
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
      const run = await cli("probe", "--registry", file, "--json");
      const whole = JSON.parse(run.stdout) as { registryErrors: string[]; verdict: string; endpoints: Array<{ verdict: string }> };
      expect(whole.registryErrors).toHaveLength(1);
      // The one valid entry could not be probed at all: unreachable, and so is the run (exit 3, not a usage error).
      expect(whole.endpoints.map((e) => e.verdict)).toEqual(["unreachable"]);
      expect(whole.verdict).toBe("unreachable");
      expect(run.code).toBe(3);
      expect(reportSchemaErrors(whole)).toEqual([]);
      const lines = (await cli("probe", "--registry", file, "--jsonl")).stdout.trim().split("\n");
      expect(lines).toHaveLength(1);
      for (const line of lines) expect(reportSchemaErrors(JSON.parse(line))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
