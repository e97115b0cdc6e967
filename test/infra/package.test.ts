/**
 * The construct as a library: the package packed (`npm pack`), installed into a fresh CDK app outside the
 * repository (only the npm registry and its cache reached), imported by its documented path, type-checked against
 * the shipped declarations, and synthesized. The fresh app has no cdk-nag, no esbuild, no TypeScript sources of ours.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(".");
const version = (name: string) => (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

let dir: string;
let tarball: string;
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tpm-consumer-"));
  // `npm pack` runs `prepare` (the build: tsc and the handler bundle) as a publish would.
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [packed] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, packed!.filename);
  files = packed!.files.map((f) => f.path);
  const app = join(dir, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { "tls-pool-monitor": `file:${tarball}`, "aws-cdk-lib": version("aws-cdk-lib"), constructs: version("constructs") },
    }),
  );
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: app, stdio: "ignore", timeout: 240_000 });
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packed package", () => {
  it("ships the construct's compiled code and declarations and the prebuilt handler, not our sources or tests", () => {
    expect(files).toEqual(expect.arrayContaining(["dist/infra/index.js", "dist/infra/index.d.ts", "dist/infra/construct.d.ts", "dist/handler/index.mjs"]));
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("dist/test/"))).toEqual([]);
  });

  it("a fresh CDK app imports it from tls-pool-monitor/cdk, type-checks against its declarations, and synthesizes function, schedule and alarms", () => {
    const app = join(dir, "app");
    writeFileSync(
      join(app, "main.ts"),
      `import { App, Stack } from "aws-cdk-lib";
import { TlsPoolMonitor, type TlsPoolMonitorProps } from "tls-pool-monitor/cdk";

const app = new App({ outdir: "cdk.out" });
const stack = new Stack(app, "Consumer", { env: { region: "eu-west-1" } });
const props: TlsPoolMonitorProps = {
  registry: [{ name: "puppetdb", host: "puppetdb.example.com", port: 8081, members: ["10.0.1.11", "10.0.1.12"], discover: "none" }],
  alertEmails: ["ops@example.com"],
};
const monitor = new TlsPoolMonitor(stack, "Monitor", props);
// The helpers compose with CloudWatch as any metric does.
monitor.metricJavaAbortRisk({ endpoint: "puppetdb" }).toMetricConfig();
const conditions: string[] = monitor.alarms.map((a) => a.condition);
// @ts-expect-error rateMinutes is a number: the declarations are real types, not any
new TlsPoolMonitor(stack, "Typed", { ...props, rateMinutes: "5" });
console.log(JSON.stringify(conditions));
`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ["main.ts"],
      }),
    );
    // Our TypeScript compiler, the consumer's node_modules: what the consumer's own `tsc` would say.
    execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });

    // Synthesized by plain Node from plain JavaScript (what the TypeScript above compiles to, less the typed error).
    writeFileSync(
      join(app, "main.mjs"),
      `import { App, Stack } from "aws-cdk-lib";
import { TlsPoolMonitor } from "tls-pool-monitor/cdk";
const app = new App({ outdir: "cdk.out" });
const stack = new Stack(app, "Consumer", { env: { region: "eu-west-1" } });
const monitor = new TlsPoolMonitor(stack, "Monitor", {
  registry: [{ name: "puppetdb", host: "puppetdb.example.com", port: 8081, members: ["10.0.1.11", "10.0.1.12"], discover: "none" }],
  alertEmails: ["ops@example.com"],
});
app.synth();
console.log(JSON.stringify(monitor.alarms.map((a) => a.alarmName)));
`,
    );
    const out = execFileSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const alarmNames = JSON.parse(out.trim().split("\n").pop()!) as string[];
    expect(alarmNames).toEqual(
      expect.arrayContaining([
        "TlsPoolMonitor/puppetdb/java-abort-risk",
        "TlsPoolMonitor/puppetdb/handshake-failures",
        "TlsPoolMonitor/shard-0-of-1/heartbeat",
        "TlsPoolMonitor/monitor/failed-invocations",
      ]),
    );
    const template = JSON.parse(readFileSync(join(app, "cdk.out", "Consumer.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const resources = Object.values(template.Resources);
    // A consumer's app: no cdk-nag, so the construct's suppressions are simply not added.
    const fn = resources.find((r) => r.Type === "AWS::Lambda::Function" && r.Properties.Handler === "index.handler")!;
    expect(fn.Properties).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"], LoggingConfig: { LogFormat: "JSON" } });
    expect(resources.filter((r) => r.Type === "AWS::Events::Rule")).toHaveLength(1);
    expect(resources.filter((r) => r.Type === "AWS::DynamoDB::Table")).toHaveLength(1);
    expect(resources.filter((r) => r.Type === "AWS::CloudWatch::Dashboard")).toHaveLength(1);
    // The function's code: the shipped bundle and the registry it reads, staged as one asset.
    const code = fn.Properties.Code as { S3Key: string };
    const assets = JSON.parse(readFileSync(join(app, "cdk.out", "Consumer.assets.json"), "utf8")) as {
      files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
    };
    const asset = Object.values(assets.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === code.S3Key))!;
    const assetDir = join(app, "cdk.out", asset.source.path);
    expect(readdirSync(assetDir).sort()).toEqual(["index.mjs", "index.mjs.map", "registry.json"]);
    expect(JSON.parse(readFileSync(join(assetDir, "registry.json"), "utf8")).endpoints[0].name).toBe("puppetdb");
    // Per-endpoint alarms live in a nested stack of their own.
    const nested = readdirSync(join(app, "cdk.out")).filter((f) => f.endsWith(".nested.template.json"));
    expect(nested).toHaveLength(1);
    const alarms = Object.values(
      (JSON.parse(readFileSync(join(app, "cdk.out", nested[0]!), "utf8")) as { Resources: Record<string, { Type: string }> }).Resources,
    ).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(4);
    expect(existsSync(join(app, "node_modules", "cdk-nag"))).toBe(false);
  }, 120_000);
});
