/** The `--json` contract: documents validated against the published schema (schema/report.schema.json) with Ajv. */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

export const REPORT_SCHEMA_FILE = new URL("../../schema/report.schema.json", import.meta.url);

let validator: (((doc: unknown) => boolean) & { errors?: unknown }) | undefined;

/**
 * The published schema lets documents carry properties it does not declare (docs/json.md: adding a field keeps the
 * schemaVersion, consumers ignore what they do not know). Our own documents are held to the strict form: every
 * object closed, so that a field we print but never declared fails here.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v);
  if ("properties" in out && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

/** The strict schema's complaints about one of our documents, empty when it conforms. */
export function reportSchemaErrors(doc: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(strict(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, "utf8"))) as object);
  if (validator(JSON.parse(JSON.stringify(doc)))) return [];
  return ((validator.errors ?? []) as Array<{ instancePath: string; message?: string }>).slice(0, 10).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
