/**
 * The raw SSL 3.0 hello (OpenSSL 3 cannot speak SSL 3.0, so no real server here can show an acceptance): servers that
 * answer it are stood in by raw TCP servers writing the records an SSL 3.0 server and a refusing server write;
 * real refusals (openssl s_server, nginx, testssl.sh's agreement) are in test/field/protocols.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { probeSsl3, readSsl3Answer } from "../../lambda/probe/ssl3.js";
import { Harness } from "../helpers/pool.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

/** A ServerHello record at `major.minor` (random and session id zero, suite TLS_RSA_WITH_AES_128_CBC_SHA). */
function serverHello(major: number, minor: number): Buffer {
  const body = Buffer.concat([Buffer.from([major, minor]), Buffer.alloc(32), Buffer.from([0x00, 0x00, 0x2f, 0x00])]);
  const handshake = Buffer.concat([Buffer.from([0x02, 0, 0, body.length]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x00, 0, handshake.length]), handshake]);
}

describe("SSL 3.0 by a raw hello", () => {
  it.each([
    ["a ServerHello at 3.0", serverHello(3, 0), true],
    ["a ServerHello at another version", serverHello(3, 1), false],
    ["a handshake_failure alert", Buffer.from([0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x28]), false],
    ["a protocol_version alert at TLS 1.2's record version", Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), false],
    ["an HTTP answer", Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"), undefined],
  ])("%s → %s", async (_name, answer, expected) => {
    expect(readSsl3Answer(answer)).toBe(expected);
    let hello: Buffer | undefined;
    const port = await harness.rawServer((s) =>
      s.once("data", (chunk: Buffer) => {
        hello = chunk;
        s.end(answer);
      }),
    );
    expect(await probeSsl3("127.0.0.1", port, 2000)).toBe(expected);
    // What was sent: a handshake record at 3.0 carrying a ClientHello at 3.0.
    expect([...hello!.subarray(0, 3)]).toEqual([0x16, 0x03, 0x00]);
    expect([hello![5], hello![9], hello![10]]).toEqual([0x01, 0x03, 0x00]);
  });

  it("a server that says nothing: unknown within the timeout, not 'refused'", async () => {
    const port = await harness.rawServer(() => undefined);
    expect(await probeSsl3("127.0.0.1", port, 300)).toBeUndefined();
  });
});
