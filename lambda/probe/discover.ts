import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { classifyError } from "./errors.js";
import type { DiscoveryResult } from "./types.js";

const NO_RECORDS = new Set(["ENODATA", "ENOTFOUND"]);

/**
 * Finds the addresses behind a name (A and AAAA). dns.resolve* asks the DNS servers directly and ignores
 * /etc/hosts; names it cannot find are tried once more through the system resolver, which reads /etc/hosts.
 */
export async function discoverAddresses(host: string, timeoutMs: number): Promise<DiscoveryResult> {
  if (isIP(host)) return { method: "dns", addresses: [], note: `${host} is an address: nothing to discover` };
  const resolver = new dns.Resolver({ timeout: Math.min(timeoutMs, 5000), tries: 2 });
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
  if (addresses.length > 0) return { method: "dns", addresses: [...new Set(addresses)] };
  const failures = [v4, v6].filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as NodeJS.ErrnoException);
  const hard = failures.find((e) => !NO_RECORDS.has(String(e.code)));
  try {
    const found = await dns.lookup(host, { all: true, verbatim: true });
    if (found.length > 0) return { method: "dns", addresses: [...new Set(found.map((a) => a.address))], note: "found by the system resolver (/etc/hosts)" };
  } catch {
    // reported below with the DNS servers' answer
  }
  return {
    method: "dns",
    addresses: [],
    error: classifyError(hard ?? failures[0] ?? Object.assign(new Error(`${host}: no A or AAAA record`), { code: "ENODATA" })),
  };
}
