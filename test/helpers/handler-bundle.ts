/** vitest globalSetup: the function's bundle as the construct deploys it (dist/handler), built from the sources once per run. */
import { build } from "esbuild";
import { HANDLER_BUNDLE, HANDLER_BUNDLE_OPTIONS } from "../../scripts/bundle-handler.js";

export default async function setup(): Promise<void> {
  await build({ ...HANDLER_BUNDLE_OPTIONS, entryPoints: ["lambda/handler.ts"], outfile: HANDLER_BUNDLE, logLevel: "error" });
}
