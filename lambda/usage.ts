/** The command line's help, in a module of its own so that `--help` loads nothing else (bin.ts). */
import { existsSync, readFileSync } from "node:fs";
import { DEFAULT_CONCURRENCY } from "./probe/limiter.js";

/** `tls-pool-monitor <version>`, from the package's own package.json (beside lambda/ in the sources, dist/lambda/ built). */
export function versionLine(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "tls-pool-monitor") return `tls-pool-monitor ${pkg.version ?? "unknown"}`;
  }
  return "tls-pool-monitor (version unknown: no package.json beside it)";
}

export const USAGE = `Usage:
  tls-pool-monitor probe <host[:port]> [options]     probe one endpoint through its VIP and member by member
  tls-pool-monitor probe --registry FILE [options]   probe every endpoint of a registry file
  tls-pool-monitor demo [--json] [--html FILE]       start a divergent pool on loopback, probe it, stop it
  tls-pool-monitor timeline NAME --history FILE      what the memory holds of an endpoint: what was told, each
  tls-pool-monitor timeline NAME --table TABLE       member's certificates and since when (a history file, or the
                                                     function's DynamoDB table with the default AWS credentials)
  tls-pool-monitor --help | --version

Probe options:
  --servername NAME   SNI and the name the certificate must match (default: the host)
  --member IP[:PORT]  a pool member to probe directly (repeatable; IPv6 as [addr]:port)
  --no-dns            do not discover members from the host's A/AAAA records
  --target-group ARN  also probe every target of this ELBv2 target group (DescribeTargetHealth with the default
                      AWS credentials, in the ARN's region); DNS discovery is then off (an NLB's name resolves to its nodes)
  --attempts N        connections per resumption chain (default 8)
  --ca FILE           PEM bundle of extra trust anchors (a private PKI), added to the system roots
  --cert FILE         client certificate (PEM, leaf first; may hold the key) for members that require one (mutual
                      TLS); an encrypted key's passphrase comes from TLS_POOL_MONITOR_KEY_PASSPHRASE
  --key FILE          the client certificate's key, when not in --cert's file
  --proxy-protocol V  v1 or v2: members expect a PROXY protocol header (HAProxy send-proxy[-v2], an NLB target
                      group with proxy_protocol_v2.enabled); the member probes send one
  --timeout MS        per-connection timeout (default 5000)
  --concurrency N     connections open at once, over all endpoints (default ${DEFAULT_CONCURRENCY})
  --json              print one JSON document instead of the report
  --jsonl             with --registry: one JSON line per endpoint as soon as it is done (records not kept: for big
                      registries); the one JSON document of --json stays the default
  --html FILE         also write one self-contained HTML page (findings, remedies, chains as strips, the matrix as
                      a grid, certificates side by side); no script, no external asset
  --plan              print what the probe would connect to and what it costs, without connecting
  --deadline S        stop after S seconds: endpoints not done are reported NOT FINISHED (exit 1), never analysed
  --history FILE      keep the monitor's memory in FILE (created if missing), as the function keeps it in DynamoDB:
                      certificate changes and rollouts per member, and what the function would announce (stderr)

Per-endpoint options (--servername, --member, --no-dns, --target-group, --attempts, --ca, --cert, --key,
--proxy-protocol, --timeout) describe one
endpoint; with --registry each entry carries its own, and giving them is a usage error.

Exit status: 0 no finding that breaks or can break clients (hygiene warnings such as a member's EMS, TLS 1.3 or
client renegotiation are shown but do not count); 1 at least one; 2 usage error or nothing could be probed.
demo exits 0 once its pool was probed and reported: the pool is divergent on purpose, so probe's rule would always
say 1.`;
