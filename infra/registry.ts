/**
 * The registry at synth time: validated with the probe core's own schema (every error names the file, the endpoint
 * and the field), normalised (each distinct CA bundle one file, re-encoded) and written out for bundling.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistryFile, loadRegistryText } from "../lambda/registry/load.js";
import { MAX_CA_BYTES, MAX_REGISTRY_BYTES } from "../lambda/registry/files.js";
import { reencodeCaPem, type Endpoint, type EndpointInput } from "../lambda/registry/schema.js";

export class RegistryInvalidError extends Error {
  constructor(readonly messages: string[]) {
    super(`the registry is invalid:\n  ${messages.join("\n  ")}`);
    this.name = "RegistryInvalidError";
  }
}

/** The construct's registry: a file, or the entries themselves (what a registry file's `endpoints` holds). */
export type RegistrySource = string | readonly EndpointInput[];

/** What names endpoints given as objects in errors. */
export const INLINE_REGISTRY = "TlsPoolMonitor props.registry";

/**
 * Loads and validates; any error fails the synth (unlike at run time, where a bad entry only skips itself). Entries
 * given as objects go through the same schema, their CA files read relative to the working directory.
 */
export function loadRegistryForSynth(source: RegistrySource, log: (line: string) => void = (line) => console.error(line)): Endpoint[] {
  const label = typeof source === "string" ? source : INLINE_REGISTRY;
  const { endpoints, errors, caFiles } =
    typeof source === "string"
      ? loadRegistryFile(source, { reader: "bundle" })
      : loadRegistryText(JSON.stringify({ endpoints: source }), INLINE_REGISTRY, process.cwd(), { reader: "bundle" });
  // A client certificate given as PEM text in the registry would put its key into the bundle too.
  const inlineKeys = endpoints
    .filter((e) => e.credentials !== undefined)
    .map((e) => `${label}: endpoint ${JSON.stringify(e.name)}: clientCertificate: a private key is never bundled into the function; use { "secretArn": ... }`);
  if (errors.length || inlineKeys.length) throw new RegistryInvalidError([...errors.map((e) => e.message), ...inlineKeys]);
  // Their certificates go into the function's bundle: say which files those were.
  for (const file of caFiles) log(`tls-pool-monitor: bundling the CA certificates of ${file}`);
  return endpoints;
}

/**
 * The registry as the function reads it. The inverse of validateEndpoint by construction: every field as it is,
 * members back to their labels (round trip tested); a CA bundle inline, or as the file `caFile` names for it.
 */
export function serializeRegistry(endpoints: Endpoint[], caFile?: (pem: string) => string): string {
  // The checked credentials never leave the process (synth refuses them; this keeps any code path from writing them).
  const entries: EndpointInput[] = endpoints.map(({ credentials: _credentials, ...e }) => ({
    ...e,
    members: e.members.map((m) => m.label),
    ...(e.ca !== undefined && caFile ? { ca: caFile(e.ca) } : {}),
  }));
  return JSON.stringify({ endpoints: entries });
}

/**
 * Writes what the function reads to a fresh folder, and returns the folder: registry.json, and each distinct CA
 * bundle once (`ca-<sha256>.pem`, only its CERTIFICATE blocks, re-encoded), named from the entries that use it
 * (45 entries sharing one 385 KB bundle made a 17.7 MB registry.json that the function refused, probing nothing).
 * Fails, naming the cause, when the function would refuse what it is given.
 */
export function stageRegistry(endpoints: Endpoint[]): string {
  const dir = mkdtempSync(join(tmpdir(), "tpm-registry-"));
  const files = new Map<string, string>();
  const caFile = (pem: string): string => {
    const known = files.get(pem);
    if (known) return known;
    const text = reencodeCaPem(pem);
    const name = `ca-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.pem`;
    if (Buffer.byteLength(text) > MAX_CA_BYTES)
      throw new RegistryInvalidError([`a CA bundle re-encoded is ${Buffer.byteLength(text)} bytes, over the ${MAX_CA_BYTES} the function reads`]);
    writeFileSync(join(dir, name), text);
    files.set(pem, name);
    return name;
  };
  const json = serializeRegistry(endpoints, caFile);
  if (Buffer.byteLength(json) > MAX_REGISTRY_BYTES)
    throw new RegistryInvalidError([
      `the registry the function reads would be ${Buffer.byteLength(json)} bytes, over the ${MAX_REGISTRY_BYTES} it accepts (lambda/registry/files.ts MAX_REGISTRY_BYTES): split it into several deployments`,
    ]);
  writeFileSync(join(dir, "registry.json"), json);
  return dir;
}
