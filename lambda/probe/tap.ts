import { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { parseServerHello, type ServerHelloParse } from "./server-hello.js";

/** Enough for any ServerHello, even behind a HelloRetryRequest. */
const CAPTURE_LIMIT = 64 * 1024;

/**
 * A Duplex over a TCP socket that keeps a copy of what the server sends until its ServerHello has been read.
 * TLS runs over it unchanged (tls.connect({ socket: tap })); the copy is only read, never altered.
 */
export class ServerHelloTap extends Duplex {
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private result: ServerHelloParse = { state: "need-more" };
  /** Bytes received from the server, over the whole connection. */
  bytesIn = 0;

  constructor(private readonly raw: Socket) {
    super();
    raw.on("data", (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.capture(chunk);
      if (!this.push(chunk)) raw.pause();
    });
    raw.on("end", () => this.push(null));
    raw.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
    // Errors of the raw socket are reported by whoever owns it; here they only end the stream.
    raw.on("error", () => undefined);
  }

  get serverHello(): ServerHelloParse {
    return this.result;
  }

  private capture(chunk: Buffer): void {
    if (this.result.state !== "need-more" || this.capturedBytes >= CAPTURE_LIMIT) return;
    this.captured.push(chunk);
    this.capturedBytes += chunk.length;
    this.result = parseServerHello(Buffer.concat(this.captured));
    if (this.result.state !== "need-more") this.captured = [];
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.raw.destroyed) return callback();
    this.raw.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }
}
