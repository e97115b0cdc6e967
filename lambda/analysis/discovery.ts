import type { EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";

export function discoveryFindings(probe: EndpointProbe): Finding[] {
  const d = probe.discovery;
  if (d.error) {
    return [
      {
        kind: "discovery",
        severity: probe.members.length ? "info" : "warning",
        message: `DNS discovery of ${probe.endpoint.host} failed (${d.error.class}: ${d.error.message}); ${probe.members.length ? "only the listed members were probed" : "no member could be probed one by one"}.`,
        remedy: "List the pool members explicitly (--member / the registry's members) to compare them one by one.",
        evidence: { error: d.error },
      },
    ];
  }
  if (probe.members.length === 0) {
    return [
      {
        kind: "discovery",
        severity: "info",
        message: `No members were probed one by one${d.note ? ` (${d.note})` : ""}: only the VIP's view is available.`,
        remedy: "List the pool members (--member ip:port, or members in the registry) to see which member presents which certificate.",
        evidence: { discovery: d },
      },
    ];
  }
  return [];
}
