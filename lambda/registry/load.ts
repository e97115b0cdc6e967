import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseRegistry, RegistryError, type RegistryLoad } from "./schema.js";

/** Loads a registry file; `ca` references are read relative to the file's folder. */
export function loadRegistryFile(path: string): RegistryLoad {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return { endpoints: [], errors: [new RegistryError(path, undefined, undefined, `cannot read: ${(err as Error).message}`)] };
  }
  const base = dirname(path);
  return parseRegistry(text, path, (ref) => {
    const file = isAbsolute(ref) ? ref : resolve(base, ref);
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
}
