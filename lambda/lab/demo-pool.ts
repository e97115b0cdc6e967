/**
 * The demo's pool: three members with distinct identities and no shared session state behind a round-robin
 * TCP VIP, all on loopback. Member 2 was renewed with a wildcard certificate (valid for the name, but not
 * "identity-equivalent" for Java: the JDK compares SANs literally) and has EMS switched off, as happens when one
 * member's TLS terminator is configured apart from the others.
 */
import { endpointOf, type Endpoint } from "../registry/schema.js";
import { startMember, type RunningMember } from "./member.js";
import { TestPki } from "./pki.js";
import { startVip, type RunningVip } from "./vip.js";

export const DEMO_SERVICE_NAME = "puppetdb.pool.test";

export interface DemoPool {
  endpoint: Endpoint;
  members: RunningMember[];
  vip: RunningVip;
  close(): Promise<void>;
}

export async function startDemoPool(attempts = 8): Promise<DemoPool> {
  const pki = await TestPki.create();
  const specs = [
    { subject: "CN=puppetdb-1.pool.test, O=Example Ops", dns: [DEMO_SERVICE_NAME, "puppetdb-1.pool.test"], ems: true },
    { subject: "CN=*.pool.test, O=Example Ops", dns: ["*.pool.test"], ems: false },
    { subject: "CN=puppetdb-3.pool.test, O=Example Ops", dns: ["puppetdb-3.pool.test", DEMO_SERVICE_NAME], ems: true },
  ];
  const members: RunningMember[] = [];
  let vip: RunningVip | undefined;
  const close = async () => {
    await Promise.all([vip?.close(), ...members.map((m) => m.close())]);
  };
  try {
    for (const s of specs) members.push(await startMember({ certificate: await pki.issue({ subject: s.subject, dns: s.dns }), ems: s.ems }));
    vip = await startVip(members);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    endpoint: endpointOf({
      name: "demo-puppetdb",
      host: vip.host,
      port: vip.port,
      servername: DEMO_SERVICE_NAME,
      members: members.map((m) => m.label),
      discover: "none",
      attempts,
      ca: pki.caPem,
    }),
    members,
    vip,
    close,
  };
}
