/**
 * The registry at synth time: validated with the probe core's own schema (every error names the file, the endpoint
 * and the field), normalised (CA files inlined) and written out for bundling with the function.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistryFile } from "../lambda/registry/load.js";
import type { Endpoint, EndpointInput } from "../lambda/registry/schema.js";

export class RegistryInvalidError extends Error {
  constructor(readonly messages: string[]) {
    super(`the registry is invalid:\n  ${messages.join("\n  ")}`);
    this.name = "RegistryInvalidError";
  }
}

/** Loads and validates; any error fails the synth (unlike at run time, where a bad entry only skips itself). */
export function loadRegistryForSynth(path: string, log: (line: string) => void = (line) => console.error(line)): Endpoint[] {
  const { endpoints, errors, caFiles } = loadRegistryFile(path, { reader: "bundle" });
  // A client certificate given as PEM text in the registry would put its key into the bundle too.
  const inlineKeys = endpoints
    .filter((e) => e.credentials !== undefined)
    .map((e) => `${path}: endpoint ${JSON.stringify(e.name)}: clientCertificate: a private key is never bundled into the function; use { "secretArn": ... }`);
  if (errors.length || inlineKeys.length) throw new RegistryInvalidError([...errors.map((e) => e.message), ...inlineKeys]);
  // Their certificates go into the function's bundle: say which files those were.
  for (const file of caFiles) log(`tls-pool-monitor: bundling the CA certificates of ${file}`);
  return endpoints;
}

/**
 * The registry as the function reads it, with CA bundles inline so that no other file needs shipping. The inverse
 * of validateEndpoint by construction: every field as it is, members back to their labels (round trip tested).
 */
export function serializeRegistry(endpoints: Endpoint[]): string {
  // The checked credentials never leave the process (synth refuses them; this keeps any code path from writing them).
  const entries: EndpointInput[] = endpoints.map(({ credentials: _credentials, ...e }) => ({ ...e, members: e.members.map((m) => m.label) }));
  return JSON.stringify({ endpoints: entries });
}

/** Writes the normalised registry to a fresh folder and returns the file's path. */
export function stageRegistry(endpoints: Endpoint[]): string {
  const dir = mkdtempSync(join(tmpdir(), "tpm-registry-"));
  const file = join(dir, "registry.json");
  writeFileSync(file, serializeRegistry(endpoints));
  return file;
}
