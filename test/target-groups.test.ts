/**
 * Members from ELBv2 target groups: the lookup against aws-sdk-client-mock, then end to end through the CLI and
 * `npm run invoke` against a fake ELBv2/EC2/CloudWatch/SNS endpoint over HTTP, with real TLS members bound to
 * 127.0.0.1, 127.0.0.2 and 127.0.0.3 on one port (as an NLB's targets share theirs).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AwsTargetGroups } from "../lambda/aws/publisher.js";
import { runCli } from "../lambda/cli.js";
import { EC2_CLIENT_MODULE } from "../scripts/bundle-handler.js";
import { FakeAwsHttp } from "./helpers/fake-aws-http.js";
import { Moto } from "./helpers/moto.js";
import { Harness, SERVICE, TestPki, type Pool } from "./helpers/pool.js";

const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef";
const MISSING_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gone/fedcba9876543210";
const INSTANCE = "i-0123456789abcdef0";
const LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:hook";
const GONE_INSTANCE = "i-0deadbeefdeadbeef";

describe("the lookup (aws-sdk-client-mock)", () => {
  // Made in beforeAll, not at collection: a mock made there would outlive a filtered run's skipped hooks.
  const mocks = () => ({ elb: mockClient(ElasticLoadBalancingV2Client), ec2: mockClient(EC2Client) });
  let elb: ReturnType<typeof mocks>["elb"];
  let ec2: ReturnType<typeof mocks>["ec2"];
  beforeAll(() => {
    ({ elb, ec2 } = mocks());
  });
  afterEach(() => {
    elb.reset();
    ec2.reset();
  });
  afterAll(() => {
    elb.restore();
    ec2.restore();
  });
  const groups = () => new AwsTargetGroups({ credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }, maxAttempts: 1 });

  it("IP targets at their address, instances at their private IPv4, Lambda and ALB targets listed and not probed", async () => {
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: ARN }).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: "10.0.1.11", Port: 8081, AvailabilityZone: "eu-west-1a" }, TargetHealth: { State: "healthy" } },
        { Target: { Id: INSTANCE, Port: 8081 }, TargetHealth: { State: "draining", Reason: "Target.DeregistrationInProgress" } },
        { Target: { Id: "i-0fedcba9876543210", Port: 8081 }, TargetHealth: { State: "unused", Reason: "Target.NotInUse" } },
        { Target: { Id: LAMBDA }, TargetHealth: { State: "healthy" } },
        {
          Target: { Id: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/inner/0123456789abcdef", Port: 443 },
          TargetHealth: { State: "healthy" },
        },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: INSTANCE, PrivateIpAddress: "10.0.2.22" }] }] });
    const result = await groups().lookup(ARN);
    expect(result.error).toBeUndefined();
    expect(result.targets.map((t) => [t.id, t.address, t.port, t.health.state])).toEqual([
      ["10.0.1.11", "10.0.1.11", 8081, "healthy"],
      [INSTANCE, "10.0.2.22", 8081, "draining"],
      ["i-0fedcba9876543210", undefined, 8081, "unused"],
      [LAMBDA, undefined, undefined, "healthy"],
      ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/inner/0123456789abcdef", undefined, 443, "healthy"],
    ]);
    expect(result.targets[1]!.health.reason).toBe("Target.DeregistrationInProgress");
    expect(result.targets.slice(2).map((t) => t.skipped)).toEqual([
      "DescribeInstances did not return this instance",
      "a Lambda function target: no TLS server to probe",
      "an Application Load Balancer target: register the ALB as an endpoint of its own",
    ]);
    // One DescribeInstances for both instance ids, none for IP targets.
    expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.Filters)).toEqual([
      [{ Name: "instance-id", Values: [INSTANCE, "i-0fedcba9876543210"] }],
    ]);
  });

  it("only IP targets: EC2 is never called", async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: [{ Target: { Id: "10.0.1.11", Port: 443 }, TargetHealth: { State: "initial" } }] });
    const result = await groups().lookup(ARN);
    expect(result.targets[0]).toMatchObject({ address: "10.0.1.11", health: { state: "initial" } });
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it.each([
    ["AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/monitor is not authorized to perform: elasticloadbalancing:DescribeTargetHealth"],
    ["TargetGroupNotFoundException", "One or more target groups not found"],
    ["Throttling", "Rate exceeded"],
    ["TimeoutError", "Connection timed out after 3000 ms"],
  ])("DescribeTargetHealth failing with %s: the endpoint's error, never a throw", async (name, message) => {
    elb.on(DescribeTargetHealthCommand).rejects(Object.assign(new Error(message), { name }));
    const result = await groups().lookup(ARN);
    expect(result).toEqual({ arn: ARN, targets: [], error: { class: "aws", code: name, message: `${name}: ${message}` } });
  });

  it("DescribeInstances denied: the instance targets say why they were not probed, the IP targets still are", async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: "10.0.1.11", Port: 443 }, TargetHealth: { State: "healthy" } },
        { Target: { Id: INSTANCE, Port: 443 }, TargetHealth: { State: "healthy" } },
      ],
    });
    ec2.on(DescribeInstancesCommand).rejects(Object.assign(new Error("not authorized to perform: ec2:DescribeInstances"), { name: "UnauthorizedOperation" }));
    const result = await groups().lookup(ARN);
    expect(result.targets[0]!.address).toBe("10.0.1.11");
    expect(result.targets[1]!.skipped).toBe(
      "its private address is unknown: DescribeInstances failed (UnauthorizedOperation: not authorized to perform: ec2:DescribeInstances)",
    );
  });
});

describe("end to end: target-group members probed and labelled", () => {
  const harness = new Harness();
  let pki: TestPki;
  let pool: Pool;
  let fake: FakeAwsHttp;
  let moto: Moto;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    pki = await TestPki.create();
    const current = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const old = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    // The first member picks the port; the other two bind the same port on their own loopback addresses.
    const first = await harness.member({ certificate: current });
    port = first.port;
    const second = await harness.member({ certificate: current, host: "127.0.0.2", port });
    const third = await harness.member({ certificate: old, host: "127.0.0.3", port });
    const { startVip } = await import("./helpers/pool.js");
    const vip = harness.track(await startVip([first, second, third]));
    pool = {
      members: [first, second, third],
      vip,
      endpoint: () => {
        throw new Error("unused");
      },
    };
    fake = await FakeAwsHttp.start();
    fake.targetGroups.set(ARN, [
      { id: "127.0.0.1", port, state: "healthy" },
      { id: "127.0.0.2", port, state: "healthy" },
      { id: INSTANCE, port, state: "draining", reason: "Target.DeregistrationInProgress" },
      { id: LAMBDA, state: "healthy" },
      // Terminated but still registered: EC2 no longer knows it, and that must not cost the other instance target.
      { id: GONE_INSTANCE, port, state: "draining" },
    ]);
    fake.instances.set(INSTANCE, "127.0.0.3");
    // The memory (DynamoDB) is moto's, through the fake.
    moto = await Moto.start();
    fake.dynamoUpstream = moto.url;
    dir = mkdtempSync(join(tmpdir(), "tpm-tg-"));
    writeFileSync(join(dir, "root.pem"), pki.caPem);
  });
  afterAll(async () => {
    await harness.closeAll();
    await fake.close();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const awsEnv = () => ({
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_EC2_METADATA_DISABLED: "true",
  });

  it(
    "npm run invoke: every target probed (the draining one named in the alert), a missing group is that endpoint's finding only",
    { timeout: 90_000 },
    async () => {
      const registry = join(dir, "registry.json");
      const entry = { host: "127.0.0.1", port: pool.vip.port, servername: SERVICE, ca: "root.pem", attempts: 4, timeoutMs: 3000 };
      writeFileSync(
        registry,
        JSON.stringify({
          endpoints: [
            { name: "api", ...entry, targetGroupArn: ARN },
            { name: "gone", ...entry, targetGroupArn: MISSING_ARN },
          ],
        }),
      );
      const { stdout, stderr } = await promisify(execFile)("npx", ["tsx", "scripts/invoke.ts", registry, "--timeout-seconds", "60"], {
        env: {
          ...process.env,
          ...awsEnv(),
          ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:alerts",
          CONFIRM_RUNS: "1",
          STATE_TABLE: await moto.createTable("target-groups", "eu-west-1"),
          METRICS: "full",
        },
        maxBuffer: 64 * 1024 * 1024,
      });
      const summary = JSON.parse(stderr.slice(stderr.indexOf("{"))) as { probed: number; divergent: string[]; notFinished: string[] };
      // "gone" sees the same VIP, so its chains see both certificates too: divergent, without a member to name.
      expect(summary).toMatchObject({ probed: 2, notFinished: [] });
      expect(summary.divergent.sort()).toEqual(["api", "gone"]);
      const lines = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const api = lines.find((l) => l.msg === "endpoint" && l.endpoint === "api")!;
      expect(api).toMatchObject({ finished: true, membersProbed: 3, certificateVariants: 2, membersDiverging: 1 });
      const gone = lines.find((l) => l.msg === "endpoint" && l.endpoint === "gone")!;
      expect(gone).toMatchObject({ finished: true, membersProbed: 0 });
      expect((gone.findings as { warning: number }).warning).toBeGreaterThan(0);
      expect(fake.requests.DescribeTargetHealth).toBe(2);
      expect(fake.requests.DescribeInstances).toBe(1);
      expect(fake.values("ProbeCompleted", "api")).toEqual([1]);
      expect(fake.values("ProbeCompleted", "gone")).toEqual([1]);
      expect(fake.values("CertificateVariants", "api")).toEqual([2]);
      // The run says one endpoint is watched through its VIP only (the shard's member-discovery alarm reads it).
      expect(fake.values("DiscoveryProblems", "0" /* its one dimension: Shard 0 */)).toEqual([1]);
      expect(gone.findingKinds).toContain("warning:discovery");
      const alert = fake.published.find((p) => p.subject.includes("api"))!;
      expect(alert.message).toContain(`127.0.0.3:${port} (target draining)`);
    },
  );

  it(
    "bundled as the stack bundles it (EC2's client left out), an instance target still resolves: require() finds the SDK on NODE_PATH, as in the Lambda runtime",
    { timeout: 60_000 },
    async () => {
      const { build } = await import("esbuild");
      const out = mkdtempSync(join(tmpdir(), "tpm-bundle-"));
      try {
        const entry = join(out, "entry.ts");
        writeFileSync(
          entry,
          `import { AwsTargetGroups } from ${JSON.stringify(join(process.cwd(), "lambda/aws/publisher.js"))};\nconsole.log(JSON.stringify(await new AwsTargetGroups().lookup(${JSON.stringify(ARN)})));\n`,
        );
        await build({
          entryPoints: [entry],
          outfile: join(out, "index.mjs"),
          bundle: true,
          platform: "node",
          format: "esm",
          mainFields: ["module", "main"],
          external: [EC2_CLIENT_MODULE],
          banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
          logLevel: "silent",
        });
        // No node_modules beside the bundle: the ES import of the client fails, NODE_PATH serves require().
        const { stdout } = await promisify(execFile)(process.execPath, [join(out, "index.mjs")], {
          cwd: out,
          env: { ...process.env, ...awsEnv(), NODE_PATH: join(process.cwd(), "node_modules") },
        });
        const result = JSON.parse(stdout) as { targets: Array<{ id: string; address?: string }> };
        expect(result.targets.find((t) => t.id === INSTANCE)!.address).toBe("127.0.0.3");
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  it("the CLI's --target-group: members from the group, where each came from, its health, the skipped Lambda target", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv());
    let stdout = "";
    try {
      const argv = ["probe", `127.0.0.1:${pool.vip.port}`, "--servername", SERVICE, "--ca", join(dir, "root.pem"), "--attempts", "3", "--target-group", ARN];
      const code = await runCli([...argv, "--json"], { stdout: (t) => (stdout += t), stderr: () => undefined });
      expect(code).toBe(1); // a divergent pool breaks clients that compare certificates
      const doc = JSON.parse(stdout) as {
        members: Array<{ label: string; source: string; targetHealth?: { state: string } }>;
        targetGroup: { arn: string; targets: Array<{ id: string; skipped?: string }> };
        findings: Array<{ kind: string; message: string }>;
      };
      expect(doc.targetGroup).toMatchObject({ arn: ARN });
      expect(doc.targetGroup.targets, JSON.stringify(doc.targetGroup)).toHaveLength(5);
      expect(doc.targetGroup.targets.find((t) => t.id === GONE_INSTANCE)!.skipped).toBe("DescribeInstances did not return this instance");
      expect(doc.members.map((m) => [m.label, m.source, m.targetHealth?.state])).toEqual([
        [`127.0.0.1:${port}`, "target-group", "healthy"],
        [`127.0.0.2:${port}`, "target-group", "healthy"],
        [`127.0.0.3:${port}`, "target-group", "draining"],
      ]);
      expect(doc.targetGroup.targets.find((t) => t.id === LAMBDA)!.skipped).toMatch(/Lambda/);
      expect(doc.findings.find((f) => f.kind === "certificate-divergence")!.message).toContain(`127.0.0.3:${port} (target draining)`);
      expect(doc.findings.some((f) => f.kind === "discovery" && f.message.includes("draining"))).toBe(true);
      stdout = "";
      await runCli(argv, { stdout: (t) => (stdout += t), stderr: () => undefined });
      expect(stdout).toMatch(new RegExp(`127\\.0\\.0\\.3:${port}\\s+target-group draining`));
      // The report wraps at 100 columns: read it with its line breaks joined.
      expect(stdout.replace(/\n\s+/g, " ")).toContain(`target group ${ARN}: 5 registered target(s)`);
    } finally {
      process.env = saved;
    }
  });
});
