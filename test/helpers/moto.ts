/**
 * moto's server (pip: moto[server]) as a local DynamoDB with real semantics (conditional writes, BatchGetItem),
 * started per suite on a free loopback port, and the table the construct creates (key `endpoint`).
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATE_TABLE_KEY } from "../../lambda/aws/state-table.js";
import { announcedPort, stop } from "./processes.js";

export const TEST_CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

export class Moto {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(): Promise<Moto> {
    const dir = mkdtempSync(join(tmpdir(), "moto-"));
    const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const port = await announcedPort(child, /Running on http:\/\/127\.0\.0\.1:(\d+)/, "moto_server", 15_000);
    return new Moto(child, dir, `http://127.0.0.1:${port}`);
  }

  /** A fresh table as the construct makes it (on-demand, key `endpoint`), in the region the function will ask (moto keeps regions apart). */
  async createTable(name: string, region = "us-east-1"): Promise<string> {
    const client = new DynamoDBClient({ endpoint: this.url, region, credentials: TEST_CREDENTIALS });
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: STATE_TABLE_KEY, AttributeType: "S" }],
        KeySchema: [{ AttributeName: STATE_TABLE_KEY, KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    client.destroy();
    return name;
  }

  stop(): Promise<void> {
    return stop(this.child, this.dir);
  }
}
