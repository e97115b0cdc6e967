/**
 * The registry at synth time: validated with the probe core's own schema (every error names the file, the endpoint
 * and the field), normalised (CA files inlined) and written out for bundling with the function.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistryFile } from "../lambda/registry/load.js";
import type { Endpoint } from "../lambda/registry/schema.js";

export class RegistryInvalidError extends Error {
  constructor(readonly messages: string[]) {
    super(`the registry is invalid:\n  ${messages.join("\n  ")}`);
    this.name = "RegistryInvalidError";
  }
}

/** Loads and validates; any error fails the synth (unlike at run time, where a bad entry only skips itself). */
export function loadRegistryForSynth(path: string, log: (line: string) => void = (line) => console.error(line)): Endpoint[] {
  const { endpoints, errors, caFiles } = loadRegistryFile(path);
  if (errors.length) throw new RegistryInvalidError(errors.map((e) => e.message));
  // Their certificates go into the function's bundle: say which files those were.
  for (const file of caFiles) log(`tls-pool-monitor: bundling the CA certificates of ${file}`);
  return endpoints;
}

/** The registry as the function reads it, with CA bundles inline so that no other file needs shipping. */
export function serializeRegistry(endpoints: Endpoint[]): string {
  return JSON.stringify({
    endpoints: endpoints.map((e) => ({
      name: e.name,
      host: e.host,
      port: e.port,
      servername: e.servername,
      members: e.members.map((m) => m.label),
      ...(e.targetGroupArn ? { targetGroupArn: e.targetGroupArn } : {}),
      discover: e.discover,
      attempts: e.attempts,
      ...(e.ca ? { ca: e.ca } : {}),
      timeoutMs: e.timeoutMs,
    })),
  });
}

/** Writes the normalised registry to a fresh folder and returns the file's path. */
export function stageRegistry(endpoints: Endpoint[]): string {
  const dir = mkdtempSync(join(tmpdir(), "tpm-registry-"));
  const file = join(dir, "registry.json");
  writeFileSync(file, serializeRegistry(endpoints));
  return file;
}
