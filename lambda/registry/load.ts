import { realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { MAX_CA_BYTES, MAX_REGISTRY_BYTES, readTextFile } from "./files.js";
import { parseRegistry, RegistryError, type RegistryLoad } from "./schema.js";

/**
 * Loads a registry file. A `ca` that is not inline PEM names a file relative to the registry's folder and must stay
 * inside it once symlinks are resolved: the registry is bundled into the function, and a reference that reaches
 * anywhere (an absolute path, `../`, a link to /etc) would ship whatever it points at.
 */
export function loadRegistryFile(path: string): RegistryLoad & { caFiles: string[] } {
  let text: string;
  try {
    text = readTextFile(path, MAX_REGISTRY_BYTES);
  } catch (err) {
    return { endpoints: [], errors: [new RegistryError(path, undefined, undefined, (err as Error).message.replace(`${path}: `, ""))], caFiles: [] };
  }
  const base = dirname(path);
  const caFiles: string[] = [];
  const load = parseRegistry(text, path, (ref) => {
    if (isAbsolute(ref)) throw new Error(`CA file ${ref}: absolute paths are not allowed; name a file in the registry's folder`);
    const file = resolve(base, ref);
    let real: string;
    try {
      real = realpathSync(file);
    } catch (err) {
      throw new Error(`cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const inside = relative(realpathSync(base), real);
    if (inside.startsWith("..") || isAbsolute(inside)) throw new Error(`CA file ${ref} resolves outside the registry's folder (${real})`);
    const pem = readTextFile(real, MAX_CA_BYTES);
    if (!caFiles.includes(real)) caFiles.push(real);
    return pem;
  });
  return { ...load, caFiles };
}
