/**
 * Compiles and runs the Java programs in test/java: the clients (a raw SSLSocket and Apache HttpClient 4.5, replaying
 * connections through a VIP, with a client certificate when the pool requires one) and JSSE pool members.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JavaProfileId } from "../../lambda/analysis/java/profiles.js";
import type { IssuedCertificate } from "../../lambda/lab/pki.js";
import { startVip } from "../../lambda/lab/vip.js";
import { announcedPort, stop, type RunningProcess } from "./processes.js";

const exec = promisify(execFile);

/** How the installed JDK (17 here) is made to behave like each profile (the ones it can stand in for). */
export const JDK_RUN_OPTIONS: Partial<Record<JavaProfileId, { properties: string[]; protocols: string }>> = {
  "jdk8u60-8u152": {
    properties: ["-Djdk.tls.useExtendedMasterSecret=false", "-Djdk.tls.client.enableSessionTicketExtension=false"],
    protocols: "TLSv1.2",
  },
  "jdk8u161+": { properties: ["-Djdk.tls.client.enableSessionTicketExtension=false"], protocols: "TLSv1.2" },
  "jdk11+": { properties: [], protocols: "TLSv1.3,TLSv1.2" },
  "jdk11+-tls12": { properties: [], protocols: "TLSv1.2" },
  "jdk11+-no-ems": { properties: ["-Djdk.tls.useExtendedMasterSecret=false"], protocols: "TLSv1.3,TLSv1.2" },
};

/** Apache HttpClient 4.5 and its dependencies, from Debian's libhttpclient-java (.ci/run installs it). */
const HTTPCLIENT_JARS = ["httpclient.jar", "httpcore.jar", "commons-logging.jar", "commons-codec.jar"].map((jar) => join("/usr/share/java", jar));

export interface JavaConnection {
  index: number;
  /** `ok`: HttpClient's request completed (it does not say whether the handshake resumed). */
  outcome: "full" | "resumed" | "aborted" | "error" | "ok";
  detail: string;
}

export type JavaClientKind = "sslsocket" | "httpclient";

export interface JsseMember {
  certificate: IssuedCertificate;
  /** JSSE's setNeedClientAuth / setWantClientAuth (trapperkeeper-webserver-jetty's `client-auth`: need, want, none). */
  clientAuth?: "none" | "want" | "need";
  /** PEM of the CAs trusted for client certificates. */
  clientCa?: string;
  /** JDK system properties, e.g. -Djdk.tls.useExtendedMasterSecret=false. */
  properties?: string[];
  /** Enabled protocols, comma-separated (default TLSv1.3,TLSv1.2). */
  protocols?: string;
}

/** x, x, y for every ordered pair of distinct members: each member's session resumed once, then offered to another. */
export function adversarialRouting(n: number): number[] {
  const routing: number[] = [];
  for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) if (x !== y) routing.push(x, x, y);
  return routing;
}

export class JavaClient {
  private constructor(private readonly dir: string) {}

  static async compile(): Promise<JavaClient> {
    const missing = HTTPCLIENT_JARS.filter((jar) => !existsSync(jar));
    if (missing.length) throw new Error(`Apache HttpClient is not installed (${missing.join(", ")}): apt-get install libhttpclient-java`);
    const dir = mkdtempSync(join(tmpdir(), "tpm-java-"));
    await exec("javac", [
      "-d",
      dir,
      "-cp",
      HTTPCLIENT_JARS.join(":"),
      ...["ResumeReplay", "HttpClientReplay", "JsseServer"].map((name) => join(process.cwd(), `test/java/${name}.java`)),
    ]);
    return new JavaClient(dir);
  }

  /**
   * A JSSE pool member (test/java/JsseServer.java) on 127.0.0.1, JDK 17's own TLS server as Jetty runs it.
   * `properties` are JDK system properties (the knobs PuppetDB's JVM options set).
   */
  async startJsse(spec: JsseMember): Promise<RunningProcess> {
    const dir = mkdtempSync(join(this.dir, "jsse-"));
    writeFileSync(join(dir, "chain.pem"), spec.certificate.chainPem);
    writeFileSync(join(dir, "key.pem"), spec.certificate.keyPem, { mode: 0o600 });
    if (spec.clientCa) writeFileSync(join(dir, "client-ca.pem"), spec.clientCa);
    const child = spawn(
      "java",
      [
        // A member starts in ~0.3 s instead of ~0.6 s: no JIT beyond C1, the serial collector.
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        ...(spec.properties ?? []),
        "-cp",
        this.dir,
        "JsseServer",
        join(dir, "chain.pem"),
        join(dir, "key.pem"),
        spec.clientAuth ?? "none",
        spec.clientCa ? join(dir, "client-ca.pem") : "-",
        spec.protocols ?? "TLSv1.3,TLSv1.2",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const port = await announcedPort(child, /LISTENING (\d+)/, "JsseServer", 20_000);
    return { host: "127.0.0.1", port, label: `127.0.0.1:${port}`, close: () => stop(child, dir) };
  }

  /**
   * The replay through a scripted VIP (lambda/lab/vip.ts) that sends the n-th connection to `backends[routing[n]]`,
   * started for this replay and stopped after it.
   */
  async replayRouted(
    profile: JavaProfileId,
    backends: Array<{ host: string; port: number }>,
    routing: number[],
    servername: string,
    caPem: string,
    kind: JavaClientKind = "sslsocket",
    clientCertificate?: IssuedCertificate,
  ): Promise<JavaConnection[]> {
    const vip = await startVip(backends, { route: (n) => routing[n]! });
    try {
      return await this.replay(profile, vip, servername, caPem, routing.length, kind, clientCertificate);
    } finally {
      await vip.close();
    }
  }

  async replay(
    profile: JavaProfileId,
    vip: { host: string; port: number },
    servername: string,
    caPem: string,
    count: number,
    kind: JavaClientKind = "sslsocket",
    clientCertificate?: IssuedCertificate,
  ): Promise<JavaConnection[]> {
    const options = JDK_RUN_OPTIONS[profile];
    if (!options) throw new Error(`the installed JDK cannot stand in for ${profile}`);
    const caFile = join(this.dir, "ca.pem");
    writeFileSync(caFile, caPem);
    const clientFiles: string[] = [];
    if (clientCertificate) {
      writeFileSync(join(this.dir, "client-chain.pem"), clientCertificate.chainPem);
      writeFileSync(join(this.dir, "client-key.pem"), clientCertificate.keyPem, { mode: 0o600 });
      clientFiles.push(`${join(this.dir, "client-chain.pem")}:${join(this.dir, "client-key.pem")}`);
    }
    const [main, classpath] = kind === "httpclient" ? ["HttpClientReplay", [this.dir, ...HTTPCLIENT_JARS].join(":")] : ["ResumeReplay", this.dir];
    const { stdout } = await exec(
      "java",
      [...options.properties, "-cp", classpath, main, vip.host, String(vip.port), servername, caFile, String(count), options.protocols, ...clientFiles],
      { timeout: 60_000 },
    );
    return stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [index, outcome, ...rest] = line.split(" ");
        return { index: Number(index), outcome: outcome as JavaConnection["outcome"], detail: rest.join(" ") };
      });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
