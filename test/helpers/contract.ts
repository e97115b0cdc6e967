/** The `--json` contract: documents validated against the published schema (schema/report.schema.json) with Ajv. */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

export const REPORT_SCHEMA_FILE = new URL("../../schema/report.schema.json", import.meta.url);

let validator: (((doc: unknown) => boolean) & { errors?: unknown }) | undefined;

/** The schema's complaints about a document, empty when it conforms. */
export function reportSchemaErrors(doc: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, "utf8")));
  if (validator(JSON.parse(JSON.stringify(doc)))) return [];
  return ((validator.errors ?? []) as Array<{ instancePath: string; message?: string }>).slice(0, 10).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
