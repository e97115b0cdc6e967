/** The command line's help, in a module of its own so that `--help` loads nothing else (bin.ts). */
import { existsSync, readFileSync } from "node:fs";
import { DEFAULT_CONCURRENCY } from "./probe/limiter.js";

/** The package's version, from its own package.json (beside lambda/, or dist/lambda/ built); "unknown" without one. */
export function toolVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "tls-pool-monitor") return pkg.version ?? "unknown";
  }
  return "unknown";
}

/** `tls-pool-monitor <version>`. */
export function versionLine(): string {
  const version = toolVersion();
  return version === "unknown" ? "tls-pool-monitor (version unknown: no package.json beside it)" : `tls-pool-monitor ${version}`;
}

export const USAGE = `Usage:
  tls-pool-monitor probe <host[:port]> [options]    probe one endpoint: its VIP, then each member
  tls-pool-monitor probe --registry FILE [options]  probe every endpoint of a registry file
  tls-pool-monitor demo [--json] [--html FILE]      probe a divergent pool it starts on loopback
  tls-pool-monitor timeline NAME --history FILE     what the monitor's memory holds of an
  tls-pool-monitor timeline NAME --table TABLE      endpoint: what was told, each member's
                                                    certificates and since when (--table:
                                                    the function's DynamoDB table)
  tls-pool-monitor --help | --version

Probe options:
  --servername NAME   SNI and the name the certificate must match (default: the host)
  --member IP[:PORT]  a pool member to probe directly (repeatable; IPv6 as [addr]:port)
  --no-dns            do not discover members from the host's A/AAAA records
  --target-group ARN  also probe every target of this ELBv2 target group (DescribeTargetHealth with
                      the default AWS credentials, in the ARN's region); DNS discovery is then off
  --attempts N        connections per resumption chain (default 8)
  --ca FILE           PEM bundle of extra trust anchors (a private PKI), added to the system roots
  --cert FILE         client certificate (PEM, leaf first; may hold the key) for members that
                      require one (mutual TLS); an encrypted key's passphrase comes from
                      TLS_POOL_MONITOR_KEY_PASSPHRASE
  --key FILE          the client certificate's key, when not in --cert's file
  --proxy-protocol V  v1 or v2: members expect a PROXY protocol header (HAProxy send-proxy[-v2], an
                      NLB target group with proxy_protocol_v2.enabled)
  --timeout MS        per-connection timeout (default 5000)
  --concurrency N     connections open at once, over all endpoints (default ${DEFAULT_CONCURRENCY})
  --endpoint NAME     with --registry: probe only this entry (repeatable)
  --json              print one JSON document instead of the report
  --jsonl             with --registry: one JSON line per endpoint as soon as it is done (records are
                      not kept: for big registries)
  --html FILE         also write one self-contained HTML page (findings, remedies, chains, the
                      matrix, certificates side by side); no script, no external asset
  --plan              print what the probe would connect to and what it costs, without connecting
  --deadline S        stop after S seconds: endpoints not done are reported NOT FINISHED (exit 1)
  --history FILE      keep the monitor's memory in FILE (created if missing), as the function keeps
                      it in DynamoDB: certificate changes and rollouts per member, and what the
                      function would announce (stderr)

Per-endpoint options (--servername, --member, --no-dns, --target-group, --attempts, --ca, --cert,
--key, --proxy-protocol, --timeout) describe one endpoint; with --registry each entry carries its
own, and giving them is a usage error.

While a run is long and stderr is a terminal, progress is shown there. The report fits the
terminal's width (100 columns when stdout is not a terminal).

Exit status:
  0  no finding that breaks or can break clients (hygiene warnings such as a member's EMS, TLS 1.3
     or client renegotiation are shown but do not count)
  1  at least one such finding, an endpoint NOT FINISHED, verdicts unknown, or a bad registry entry
  2  usage error: an unknown option, a bad value, an unreadable file; nothing was probed
  3  nothing could be probed: no endpoint answered a handshake or presented a certificate
demo exits 0 once its pool was probed and reported: the pool is divergent on purpose.`;
