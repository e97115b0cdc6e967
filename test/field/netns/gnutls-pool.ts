/**
 * Runs INSIDE a network namespace the gnutls suite makes (`unshare -n`, loopback up): gnutls-serv binds every
 * address and has no option to bind one, so it and everything that talks to it live where every address is
 * loopback. Starts the case's servers, probes, prints the EndpointProbe as JSON on stdout, stops everything.
 * Usage: gnutls-pool.ts <case>
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestPki, type IssuedCertificate } from "../../../lambda/lab/pki.js";
import { probeEndpoint } from "../../../lambda/probe/endpoint.js";
import { endpointOf, type Endpoint } from "../../../lambda/registry/schema.js";
import { freePort, startDaemon, startHaproxy, startOpensslServer, type RunningProcess } from "../../helpers/processes.js";

type GnutlsCase = "gnutls-and-openssl-one-certificate" | "gnutls-without-tls13-as-vip" | "gnutls-without-rfc5746";
const SERVICE = "pool.test";

async function startGnutls(certificate: IssuedCertificate, priority: string): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), "tpm-gnutls-"));
  writeFileSync(join(dir, "cert.pem"), certificate.chainPem);
  writeFileSync(join(dir, "key.pem"), certificate.keyPem, { mode: 0o600 });
  const port = await freePort();
  const args = [
    "--http",
    "--quiet",
    "--disable-client-cert",
    `--priority=${priority}`,
    "--x509certfile",
    join(dir, "cert.pem"),
    "--x509keyfile",
    join(dir, "key.pem"),
    "-p",
    String(port),
  ];
  return startDaemon("gnutls-serv", "/usr/bin/gnutls-serv", args, dir, port);
}

async function main(name: GnutlsCase): Promise<void> {
  const pki = await TestPki.create();
  const cert = await pki.issue({ subject: `CN=${SERVICE}`, dns: [SERVICE] });
  const running: RunningProcess[] = [];
  const endpoint = (vip: RunningProcess, members: RunningProcess[]): Endpoint =>
    endpointOf({
      name,
      host: vip.host,
      port: vip.port,
      servername: SERVICE,
      members: members.map((m) => m.label),
      discover: "none",
      attempts: 4,
      ca: pki.caPem,
      timeoutMs: 3000,
    });
  try {
    let target: Endpoint;
    if (name === "gnutls-and-openssl-one-certificate") {
      const members = [await startGnutls(cert, "NORMAL"), await startOpensslServer(cert)];
      running.push(...members);
      const vip = await startHaproxy(members);
      running.push(vip);
      target = endpoint(vip, members);
    } else if (name === "gnutls-without-tls13-as-vip") {
      const server = await startGnutls(cert, "NORMAL:-VERS-TLS1.3");
      running.push(server);
      target = endpoint(server, []);
    } else {
      const member = await startGnutls(cert, "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION");
      running.push(member);
      target = endpoint(member, [member]);
    }
    process.stdout.write(JSON.stringify(await probeEndpoint(target)));
  } finally {
    await Promise.all(running.map((r) => r.close()));
  }
}

main(process.argv[2] as GnutlsCase).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
