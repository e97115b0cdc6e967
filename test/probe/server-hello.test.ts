import { describe, expect, it } from "vitest";
import { parseServerHello } from "../../lambda/probe/server-hello.js";

/** Builds a record stream holding one ServerHello with the given extensions. */
function serverHello(opts: { version?: number; extensions?: Array<[number, Buffer]>; sessionId?: number; random?: Buffer }): Buffer {
  const exts = Buffer.concat(
    (opts.extensions ?? []).map(([type, data]) => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(type, 0);
      h.writeUInt16BE(data.length, 2);
      return Buffer.concat([h, data]);
    }),
  );
  const extLen = Buffer.alloc(2);
  extLen.writeUInt16BE(exts.length);
  const sid = Buffer.alloc(opts.sessionId ?? 32, 7);
  const body = Buffer.concat([
    Buffer.from([0x03, opts.version ?? 0x03]),
    opts.random ?? Buffer.alloc(32, 1),
    Buffer.from([sid.length]),
    sid,
    Buffer.from([0xc0, 0x2f, 0x00]),
    extLen,
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([2, 0, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 3, 3, (hs.length >> 8) & 0xff, hs.length & 0xff]), hs]);
}

describe("parseServerHello", () => {
  it("reads EMS, renegotiation_info and the ticket extension", () => {
    const r = parseServerHello(serverHello({ extensions: [[0x0017, Buffer.alloc(0)], [0xff01, Buffer.from([0])], [0x0023, Buffer.alloc(0)]] }));
    expect(r).toEqual({
      state: "parsed",
      hello: { version: "TLSv1.2", extendedMasterSecret: true, secureRenegotiation: true, ticketPromised: true, sessionIdLength: 32 },
    });
  });

  it("reports their absence", () => {
    const r = parseServerHello(serverHello({ sessionId: 0 }));
    expect(r).toMatchObject({ state: "parsed", hello: { extendedMasterSecret: false, secureRenegotiation: false, ticketPromised: false, sessionIdLength: 0 } });
  });

  it("takes the version from supported_versions (TLS 1.3)", () => {
    const r = parseServerHello(serverHello({ extensions: [[0x002b, Buffer.from([3, 4])]] }));
    expect(r).toMatchObject({ state: "parsed", hello: { version: "TLSv1.3" } });
  });

  it("waits for more bytes when the record is cut, whatever the cut", () => {
    const full = serverHello({ extensions: [[0x0017, Buffer.alloc(0)]] });
    for (let cut = 0; cut < full.length; cut++) expect(parseServerHello(full.subarray(0, cut)).state).toBe("need-more");
    expect(parseServerHello(full).state).toBe("parsed");
  });

  it("reassembles a ServerHello split over two records", () => {
    const full = serverHello({ extensions: [[0x0017, Buffer.alloc(0)]] });
    const hs = full.subarray(5);
    const rec = (b: Buffer) => Buffer.concat([Buffer.from([22, 3, 3, 0, b.length]), b]);
    const r = parseServerHello(Buffer.concat([rec(hs.subarray(0, 20)), rec(hs.subarray(20))]));
    expect(r).toMatchObject({ state: "parsed", hello: { extendedMasterSecret: true } });
  });

  it("skips a HelloRetryRequest and reads the real ServerHello", () => {
    const hrr = serverHello({
      random: Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex"),
      extensions: [[0x002b, Buffer.from([3, 4])]],
    });
    const real = serverHello({ extensions: [[0x002b, Buffer.from([3, 4])], [0x0017, Buffer.alloc(0)]] });
    expect(parseServerHello(hrr).state).toBe("need-more");
    expect(parseServerHello(Buffer.concat([hrr, real]))).toMatchObject({ state: "parsed", hello: { extendedMasterSecret: true } });
  });

  it("recognises an alert and bytes that are not TLS", () => {
    expect(parseServerHello(Buffer.from([21, 3, 3, 0, 2, 2, 40]))).toEqual({ state: "alert", level: 2, description: 40 });
    expect(parseServerHello(Buffer.from("HTTP/1.1 400 Bad Request\r\n"))).toEqual({ state: "not-tls" });
    expect(parseServerHello(Buffer.from("SSH-2.0-OpenSSH_9.2\r\n"))).toEqual({ state: "not-tls" });
  });
});
