/**
 * The function's code as the construct deploys it: the prebuilt bundle (scripts/bundle-handler.ts, shipped in the
 * package as dist/handler/) and the registry staged beside it (infra/registry.ts), in one folder for
 * `lambda.Code.fromAsset`. A consumer needs neither our TypeScript sources nor esbuild.
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BUNDLE_FILES = ["index.mjs", "index.mjs.map"];

/**
 * dist/handler/ beside this module: `../handler/` from the built dist/infra/, `../dist/handler/` from the sources
 * (the repository's own app runs infra/ through tsx and builds the bundle first: cdk.json).
 */
export function handlerBundleDir(): string {
  const candidates = ["../handler/", "../dist/handler/"].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, "index.mjs")));
  if (!found)
    throw new Error(
      `tls-pool-monitor: the probe function's bundle is missing (looked in ${candidates.join(", ")}); in the tls-pool-monitor repository run \`npm run build\``,
    );
  return found;
}

/** Copies the bundle into the staged registry folder: the folder becomes the function's code asset. */
export function addHandlerBundle(stagedDir: string): string {
  const from = handlerBundleDir();
  for (const file of BUNDLE_FILES) if (existsSync(join(from, file))) copyFileSync(join(from, file), join(stagedDir, file));
  return stagedDir;
}
