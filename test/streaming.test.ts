/**
 * Streaming, structurally: what the run keeps of an endpoint once it is folded holds no reference into its records
 * (probe, certificates, analysis), so each endpoint's records can be collected as soon as it is done.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fold } from "../lambda/monitor.js";
import { outcomeOf } from "../lambda/outcome.js";
import { probeEndpoint } from "../lambda/probe/endpoint.js";
import { Harness, SERVICE, TestPki } from "./helpers/pool.js";

/** Every object reachable from `root`. */
function reachable(root: unknown, seen = new Set<object>()): Set<object> {
  if (root === null || typeof root !== "object" || seen.has(root)) return seen;
  seen.add(root);
  for (const value of Object.values(root)) reachable(value, seen);
  return seen;
}

describe("the fold keeps no records", () => {
  const harness = new Harness();
  let pki: TestPki;
  beforeAll(async () => {
    pki = await TestPki.create();
  });
  afterAll(() => harness.closeAll());

  it.each(["divergent", "consistent"])("a %s pool: the kept outcome and its datums share no object with the probe or its analysis", async (kind) => {
    const certs =
      kind === "divergent"
        ? [await pki.issue({ subject: `CN=a.${SERVICE}`, dns: [`a.${SERVICE}`] }), await pki.issue({ subject: `CN=b.${SERVICE}`, dns: [`b.${SERVICE}`] })]
        : [await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] })];
    const pool = await harness.pool(
      pki,
      certs.map((certificate) => ({ certificate })),
    );
    const endpoint = pool.endpoint({ attempts: 2 });
    const outcome = outcomeOf(endpoint, await probeEndpoint(endpoint));
    expect(outcome.kind).toBe("finished");
    const records = reachable(outcome.probe);
    if (outcome.kind === "finished") reachable(outcome.analysis, records);
    const logged: unknown[] = [];
    const { kept, datums } = fold(outcome, new Date(), (line) => logged.push(line));
    const keptObjects = reachable({ kept, datums });
    for (const o of keptObjects) expect(records.has(o), "a kept object is part of the records").toBe(false);
    expect(kept.kind === "finished" && kept.observation.state).toBe(kind);
    expect(logged).toHaveLength(1);
    if (kind === "divergent") expect(kept.kind === "finished" && kept.observation.announcement?.kind).toBe("divergence");
    // Each member's leaves, small: the fingerprint, subject, serial and expiry, not the certificate.
    if (kept.kind === "finished")
      for (const leaves of Object.values(kept.observation.members))
        for (const l of leaves) expect(Object.keys(l).sort()).toEqual(["fingerprint", "notAfter", "serial", "subject"]);
  });
});
