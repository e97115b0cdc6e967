import { realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { MAX_CLIENT_CERTIFICATE_BYTES } from "./client-certificate.js";
import { MAX_CA_BYTES, MAX_REGISTRY_BYTES, readTextFile } from "./files.js";
import { parseRegistry, RegistryError, type RegistryLoad } from "./schema.js";

/**
 * Who reads the registry decides which files it may name:
 * - `cli`: the operator's own machine. `ca` and the client certificate's files may be anywhere (an absolute path
 *   such as Puppet's /etc/puppetlabs/puppet/ssl/certs/ca.pem, or relative to the registry's folder).
 * - `bundle`: `cdk synth` and the function. The registry is bundled into the function, so a `ca` must stay inside
 *   the registry's folder once symlinks are resolved (an absolute path, `../`, a link to /etc would ship whatever it
 *   points at), and client certificate files are refused: a private key never enters the bundle (use a secret).
 */
export type RegistryReader = "cli" | "bundle";

export interface LoadOptions {
  reader?: RegistryReader;
  /** The passphrase of encrypted client keys (the CLI reads KEY_PASSPHRASE_ENV). */
  passphrase?: string;
}

export function loadRegistryFile(path: string, options: LoadOptions = {}): RegistryLoad & { caFiles: string[] } {
  let text: string;
  try {
    text = readTextFile(path, MAX_REGISTRY_BYTES);
  } catch (err) {
    return { endpoints: [], errors: [new RegistryError(path, undefined, undefined, (err as Error).message.replace(`${path}: `, ""))], caFiles: [] };
  }
  return loadRegistryText(text, path, dirname(path), options);
}

/**
 * A registry's text, named `source` in every error; the files it names are read relative to `base` (the registry
 * file's folder, or the working directory for endpoints given to the construct as objects).
 */
export function loadRegistryText(text: string, source: string, base: string, options: LoadOptions = {}): RegistryLoad & { caFiles: string[] } {
  const reader = options.reader ?? "bundle";
  const caFiles: string[] = [];
  const locate = (ref: string, what: string): string => {
    if (reader === "bundle" && isAbsolute(ref))
      throw new Error(
        `${what} ${ref}: absolute paths are not bundled (synth and the function read files only inside the registry's folder); name a file in the registry's folder`,
      );
    const file = resolve(base, ref);
    let real: string;
    try {
      real = realpathSync(file);
    } catch (err) {
      throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    if (reader === "bundle") {
      const inside = relative(realpathSync(base), real);
      if (inside.startsWith("..") || isAbsolute(inside))
        throw new Error(`${what} ${ref} resolves outside the registry's folder (${real}), which synth does not bundle`);
    }
    return real;
  };
  const load = parseRegistry(text, source, {
    readCa: (ref) => {
      const real = locate(ref, "CA file");
      const pem = readTextFile(real, MAX_CA_BYTES);
      if (!caFiles.includes(real)) caFiles.push(real);
      return pem;
    },
    readClientFile: (ref) => {
      if (reader === "bundle")
        throw new Error(
          `${ref}: client certificate files are never bundled into the function (a private key must not enter the bundle); use { "secretArn": ... } for the function, files with the CLI`,
        );
      return readTextFile(locate(ref, "client certificate file"), MAX_CLIENT_CERTIFICATE_BYTES);
    },
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  });
  return { ...load, caFiles };
}
