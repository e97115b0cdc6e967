/** Compiles and runs test/java/ResumeReplay.java: a real JDK client replaying connections through a VIP. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JavaProfileId } from "../../lambda/analysis/java/profiles.js";

const exec = promisify(execFile);

/** How the installed JDK is made to behave like each profile (the ones it can stand in for). */
export const JDK_RUN_OPTIONS: Partial<Record<JavaProfileId, { properties: string[]; protocols: string }>> = {
  "jdk8u60-8u152": {
    properties: ["-Djdk.tls.useExtendedMasterSecret=false", "-Djdk.tls.client.enableSessionTicketExtension=false"],
    protocols: "TLSv1.2",
  },
  "jdk8u161+": { properties: ["-Djdk.tls.client.enableSessionTicketExtension=false"], protocols: "TLSv1.2" },
  "jdk11+": { properties: [], protocols: "TLSv1.3,TLSv1.2" },
};

export interface JavaConnection {
  index: number;
  outcome: "full" | "resumed" | "aborted" | "error";
  detail: string;
}

export class JavaClient {
  private constructor(private readonly dir: string) {}

  static async compile(): Promise<JavaClient> {
    const dir = mkdtempSync(join(tmpdir(), "tpm-java-"));
    await exec("javac", ["-d", dir, join(process.cwd(), "test/java/ResumeReplay.java")]);
    return new JavaClient(dir);
  }

  async replay(profile: JavaProfileId, vip: { host: string; port: number }, servername: string, caPem: string, count: number): Promise<JavaConnection[]> {
    const options = JDK_RUN_OPTIONS[profile];
    if (!options) throw new Error(`the installed JDK cannot stand in for ${profile}`);
    const caFile = join(this.dir, "ca.pem");
    writeFileSync(caFile, caPem);
    const { stdout } = await exec(
      "java",
      [...options.properties, "-cp", this.dir, "ResumeReplay", vip.host, String(vip.port), servername, caFile, String(count), options.protocols],
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
