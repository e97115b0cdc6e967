/** Compiles and runs the Java clients in test/java: a raw SSLSocket and Apache HttpClient 4.5, replaying connections through a VIP. */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JavaProfileId } from "../../lambda/analysis/java/profiles.js";

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
      join(process.cwd(), "test/java/ResumeReplay.java"),
      join(process.cwd(), "test/java/HttpClientReplay.java"),
    ]);
    return new JavaClient(dir);
  }

  async replay(
    profile: JavaProfileId,
    vip: { host: string; port: number },
    servername: string,
    caPem: string,
    count: number,
    kind: JavaClientKind = "sslsocket",
  ): Promise<JavaConnection[]> {
    const options = JDK_RUN_OPTIONS[profile];
    if (!options) throw new Error(`the installed JDK cannot stand in for ${profile}`);
    const caFile = join(this.dir, "ca.pem");
    writeFileSync(caFile, caPem);
    const [main, classpath] = kind === "httpclient" ? ["HttpClientReplay", [this.dir, ...HTTPCLIENT_JARS].join(":")] : ["ResumeReplay", this.dir];
    const { stdout } = await exec(
      "java",
      [...options.properties, "-cp", classpath, main, vip.host, String(vip.port), servername, caFile, String(count), options.protocols],
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
