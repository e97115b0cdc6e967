/**
 * The published JSON Schemas, generated (never kept by hand; test/contract.test.ts fails when one is stale):
 * - schema/report.schema.json from the declared types of the `--json` document (lambda/report/json.ts). Published
 *   open: a document may carry properties the schema does not declare (docs/json.md: adding a field keeps the
 *   schemaVersion; consumers ignore what they do not know). The generator's closed form is what our tests hold our
 *   own documents to (test/helpers/contract.ts).
 * - schema/registry.schema.json from the registry's zod schema (lambda/registry/schema.ts EndpointSchema): an editor
 *   given `"$schema": "./node_modules/tls-pool-monitor/schema/registry.schema.json"` validates and completes a
 *   registry. What JSON Schema cannot say (a hostname or IP, a PEM bundle, a member address) stays the loader's.
 * `npm run schema` writes both.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createGenerator } from "ts-json-schema-generator";
import * as z from "zod/mini";
import { EndpointSchema } from "../lambda/registry/schema.js";

export const REPORT_SCHEMA_PATH = "schema/report.schema.json";
export const REGISTRY_SCHEMA_PATH = "schema/registry.schema.json";

/** Every `additionalProperties: false` removed: the schema the document's consumers validate against. */
function open(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(open);
  if (!schema || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k, v]) => !(k === "additionalProperties" && v === false))
      .map(([k, v]) => [k, open(v)]),
  );
}

export function reportJsonSchema(): unknown {
  const generated = createGenerator({ path: "lambda/report/json.ts", type: "ReportDocument", tsconfig: "tsconfig.json", skipTypeCheck: true }).createSchema(
    "ReportDocument",
  );
  return open(JSON.parse(JSON.stringify(generated)));
}

export function registryJsonSchema(): Record<string, unknown> {
  const document = z.strictObject({ $schema: z.optional(z.string()), endpoints: z.array(EndpointSchema) });
  return {
    ...z.toJSONSchema(document, { io: "input", unrepresentable: "any" }),
    title: "tls-pool-monitor registry",
    description: "The endpoints tls-pool-monitor probes (docs/registry.md). Generated from lambda/registry/schema.ts.",
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  writeFileSync(REPORT_SCHEMA_PATH, JSON.stringify(reportJsonSchema(), null, 2) + "\n");
  writeFileSync(REGISTRY_SCHEMA_PATH, JSON.stringify(registryJsonSchema(), null, 2) + "\n");
}
