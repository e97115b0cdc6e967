/**
 * The probe function as it ships: lambda/handler.ts bundled by esbuild into dist/handler/index.mjs (with its source
 * map), built by `npm run build` and packed with the package, so that the construct (infra/construct.ts) needs
 * neither our TypeScript sources nor esbuild in the app that uses it.
 */
import { resolve } from "node:path";
import { build, type BuildOptions } from "esbuild";

/**
 * EC2's and Secrets Manager's clients come from the Lambda runtime (lambda/aws/publisher.ts loadEc2,
 * loadSecretsManager): loaded only for instance targets and secret client certificates, bundled they
 * would triple the bundle and double the init of every run. The other SDK clients are bundled: one tested version,
 * and one minified file loads faster than the runtime's many (BENCHMARKS.md, cold start).
 */
export const EC2_CLIENT_MODULE = "@aws-sdk/client-ec2";
export const SECRETS_MANAGER_CLIENT_MODULE = "@aws-sdk/client-secrets-manager";

export const HANDLER_BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  sourcemap: true,
  mainFields: ["module", "main"],
  external: [EC2_CLIENT_MODULE, SECRETS_MANAGER_CLIENT_MODULE],
  // Some dependencies are CommonJS: give the ESM bundle a require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
};

/** Where the construct looks for the bundle (infra/handler-asset.ts). */
export const HANDLER_BUNDLE = "dist/handler/index.mjs";

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  await build({ ...HANDLER_BUNDLE_OPTIONS, entryPoints: ["lambda/handler.ts"], outfile: HANDLER_BUNDLE });
}
