/** HAProxy terminating TLS for the pool: one certificate for every client, whatever the plain backends are. */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { endpointOf } from "../../lambda/registry/schema.js";
import { findingKinds, probeField } from "../helpers/field.js";
import { Harness, SERVICE, TestPki } from "../helpers/pool.js";
import { startHaproxy } from "../helpers/processes.js";

const harness = new Harness();
let pki: TestPki;
beforeAll(async () => {
  pki = await TestPki.create();
});
afterEach(() => harness.closeAll());

describe("HAProxy terminating TLS", () => {
  it("one certificate in front of plain backends: clean, exit 0", async () => {
    const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
    const backends = [await harness.plainHttp(), await harness.plainHttp(), await harness.plainHttp()];
    const vip = harness.track(await startHaproxy(backends, cert));
    const r = await probeField(
      endpointOf({ name: "haproxy-tls", host: vip.host, port: vip.port, servername: SERVICE, discover: "none", attempts: 6, ca: pki.caPem, timeoutMs: 3000 }),
    );
    expect(r.analysis.summary.certificateVariants).toBe(1);
    expect(r.analysis.summary.handshakeFailures).toBe(0);
    expect(r.analysis.summary.certificateChangesOnResumption).toBe(0);
    // HAProxy keeps one session cache and one ticket key for the whole frontend: every offer resumes.
    expect(r.analysis.summary.resumptionResumed).toBe(r.analysis.summary.resumptionAttempts);
    // With no members listed, nothing can be compared member by member: said, never guessed as safe.
    expect(r.analysis.javaClients.every((v) => v.verdict === "unknown")).toBe(true);
    expect(r.exitCode, findingKinds(r).join()).toBe(0);
  });
});
