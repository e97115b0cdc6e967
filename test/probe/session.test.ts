/** The session reader against sessions real servers issued (openssl s_server, Node members with EMS on and off). */
import tls from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sessionFacts } from "../../lambda/probe/session.js";
import { startOpensslServer } from "../helpers/processes.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

/** A TLS 1.2 client's session for the server at `port`, as Node hands it out. */
function sessionOf(port: number, noTicket = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: "127.0.0.1", port, servername: SERVICE, ca: pki.caPem, maxVersion: "TLSv1.2", ...(noTicket ? { secureOptions: 0x4000 } : {}) },
      () => {
        const session = socket.getSession();
        socket.end();
        if (session) resolve(session);
        else reject(new Error("no session"));
      },
    );
    socket.on("error", reject);
  });
}

describe("sessionFacts", () => {
  it("reads EMS, the ticket and the session ID from an OpenSSL server's session", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const withTickets = harness.track(await startOpensslServer(cert));
    const noTickets = harness.track(await startOpensslServer(cert, ["-no_ticket"]));
    expect(sessionFacts(await sessionOf(withTickets.port))).toEqual({ extendedMasterSecret: true, ticketIssued: true, sessionIdLength: 32 });
    expect(sessionFacts(await sessionOf(noTickets.port))).toEqual({ extendedMasterSecret: true, ticketIssued: false, sessionIdLength: 32 });
  });

  it("tells a member without EMS", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }), ems: false });
    expect(sessionFacts(await sessionOf(member.port))?.extendedMasterSecret).toBe(false);
  });

  it("finds the session inside a wrapper (Node ≥ 22.23 prefixes it with its servername)", async () => {
    const member = await harness.member({ certificate: await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] }) });
    const der = await sessionOf(member.port);
    const inner = der.subarray(der.indexOf(0x30));
    const wrapped = Buffer.concat([Buffer.from("\0nodejs:tls:session:1\0\0\x09pool.test\x30\x00", "latin1"), inner]);
    expect(sessionFacts(wrapped)).toEqual(sessionFacts(der));
  });

  it("says nothing (undefined) for bytes that hold no session", () => {
    expect(sessionFacts(Buffer.alloc(0))).toBeUndefined();
    expect(sessionFacts(Buffer.from("30820100020101", "hex"))).toBeUndefined();
    expect(sessionFacts(Buffer.from("not a session at all"))).toBeUndefined();
  });
});
