/** Apache httpd 2.4 mod_ssl members (Debian) behind HAProxy `mode tcp`. */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, ticketKeyFile, startApache, type ApacheMember } from "../helpers/field-servers.js";
import { endpointFor, findingKinds, probeField } from "../helpers/field.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { opensslResumes, startHaproxy } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

/** Members on 127.0.0.1, .2, .3 and one port, as on three hosts. */
async function pool(specs: ApacheMember[]) {
  const members = [];
  const port = await freePort();
  for (const [i, spec] of specs.entries()) members.push(harness.track(await startApache({ host: `127.0.0.${i + 1}`, port, ...spec })));
  const vip = harness.track(await startHaproxy(members));
  return { members, result: await probeField(endpointFor(vip, members, SERVICE, pki.caPem)) };
}

describe("Apache members", () => {
  it("one certificate, one member with SSLSessionTickets off: clean, exit 0", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const { result } = await pool([{ certificate: cert }, { certificate: cert, noTickets: true }, { certificate: cert }]);
    expect(result.analysis.summary.certificateVariants).toBe(1);
    expect(result.analysis.summary.handshakeFailures).toBe(0);
    expect(result.probe.members.map((m) => m.tls12Ticket.session?.ticketIssued)).toEqual([true, false, true]);
    // Apache refuses client-initiated renegotiation (OpenSSL's default), and every member has EMS and TLS 1.3.
    expect(result.probe.members.map((m) => m.renegotiation.outcome)).toEqual(["refused", "refused", "refused"]);
    expect(
      result.analysis.findings.filter((f) => f.severity !== "info"),
      findingKinds(result).join(),
    ).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it.each([
    ["debug", "accepted"],
    ["warn", "refused"],
  ] as const)(
    "a shared SSLSessionTicketKeyFile with distinct certificates, LogLevel %s: ticket offers across members %s, as openssl s_client sees",
    async (logLevel, expected) => {
      const ticketKey = ticketKeyFile();
      const certs = await Promise.all([1, 2, 3].map((i) => pki.issue({ subject: `CN=web-${i}.${SERVICE}`, dns: [`web-${i}.${SERVICE}`] })));
      const { members, result } = await pool(certs.map((certificate) => ({ certificate, ticketKey, logLevel })));
      // The oracle: s_client carries member 1's session (with its ticket) to member 2.
      expect(await opensslResumes(members[0]!, members[1]!, SERVICE, pki.caPem)).toBe(expected === "accepted");
      const tickets = result.probe.matrix.filter((c) => c.mechanism === "ticket");
      expect(tickets).toHaveLength(9);
      for (const cell of tickets) expect(cell.outcome, `${cell.from} → ${cell.to}`).toBe(cell.from === cell.to ? "accepted" : expected);
      // Session IDs live in each member's own cache: refused across members either way.
      for (const cell of result.probe.matrix.filter((c) => c.mechanism === "session-id"))
        expect(cell.outcome).toBe(cell.from === cell.to ? "accepted" : "refused");
      if (expected === "accepted") expect(result.finding("resumption-shared")?.message).toContain("6 ticket offers accepted across members");
      else expect(result.finding("resumption-shared")).toBeUndefined();
      expect(result.analysis.summary.certificateVariants).toBe(3);
      // JDK 8 offers session IDs only: it still meets refusals that change the identity.
      expect(result.verdict("jdk8u60-8u152")).not.toBe("safe");
    },
  );
});
