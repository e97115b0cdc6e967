/**
 * GnuTLS 3.7 (`gnutls-serv`, Debian gnutls-bin) beside OpenSSL. gnutls-serv binds every address, so each case
 * runs in a network namespace this test makes (`unshare -n`, then `ip link set lo up`): the servers and the probe
 * run there (test/field/netns/gnutls-pool.ts) and the probe's records come back as JSON. Where namespaces cannot
 * be made, the suite fails saying so; it never skips.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { EndpointProbe } from "../../lambda/probe/types.js";
import { findingKinds, resultOf } from "../helpers/field.js";
import { findBinary } from "../helpers/processes.js";

const exec = promisify(execFile);

async function inNamespace(name: string): Promise<EndpointProbe> {
  findBinary("gnutls-serv");
  const unshare = findBinary("unshare");
  const script = `ip link set lo up && exec "${process.execPath}" --import tsx test/field/netns/gnutls-pool.ts ${name}`;
  try {
    const { stdout } = await exec(unshare, ["-n", "--", "sh", "-c", script], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as EndpointProbe;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    if (/unshare failed|Operation not permitted/.test(e.stderr ?? ""))
      throw new Error(`network namespaces are unavailable here (unshare -n needs root or CAP_SYS_ADMIN): ${e.stderr}`);
    throw new Error(`the namespace run of ${name} failed: ${e.message}\n${e.stderr ?? ""}`);
  }
}

describe("gnutls-serv, in a network namespace", () => {
  it("gnutls-serv and openssl s_server with one certificate behind HAProxy: clean, exit 0; GnuTLS accepting client renegotiation is named", async () => {
    const r = resultOf(await inNamespace("gnutls-and-openssl-one-certificate"));
    expect(r.analysis.summary.certificateVariants).toBe(1);
    expect(r.analysis.summary.handshakeFailures).toBe(0);
    expect(r.exitCode, findingKinds(r).join()).toBe(0);
    const [gnutls, openssl] = r.probe.members;
    expect(gnutls!.renegotiation.outcome).toBe("ok");
    expect(openssl!.renegotiation.outcome).toBe("refused");
    expect(r.finding("client-renegotiation-accepted")).toMatchObject({ severity: "warning", evidence: { members: [gnutls!.label] } });
    expect(r.probe.members.map((m) => m.tls12.session?.extendedMasterSecret)).toEqual([true, true]);
  });

  it("gnutls-serv with TLS 1.3 off, probed as the VIP: tls13-unsupported, 0 handshake failures (its handshake_failure alert is a version refusal)", async () => {
    const r = resultOf(await inNamespace("gnutls-without-tls13-as-vip"));
    const tls13 = r.probe.vip.chains["tls13-psk"];
    // OpenSSL 3.0 (Node 20) names it ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE, OpenSSL 3.5 (Node 22) ERR_SSL_SSL/TLS_ALERT_….
    expect(
      tls13.every((c) => /^ERR_SSL_.*_ALERT_HANDSHAKE_FAILURE$/.test(c.error?.code ?? "")),
      JSON.stringify(tls13.map((c) => c.error)),
    ).toBe(true);
    expect(r.analysis.summary.handshakeFailures).toBe(0);
    expect(r.finding("handshake-failure")).toBeUndefined();
    expect(r.finding("tls13-unsupported")?.severity).toBe("info");
    expect(r.exitCode, findingKinds(r).join()).toBe(0);
  });

  it("gnutls-serv without RFC 5746 (%DISABLE_SAFE_RENEGOTIATION): a default client's refusal is the evidence, the member is still seen", async () => {
    const r = resultOf(await inNamespace("gnutls-without-rfc5746"));
    const [member] = r.probe.members;
    expect(member!.tls12.error).toBeUndefined();
    expect(member!.tls12.secureRenegotiation).toBe(false);
    expect(member!.tls12.leaf).toBeDefined();
    expect(r.finding("secure-renegotiation-missing")?.evidence.members).toEqual([member!.label]);
  });
});
