import type { EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { DNS_MEMBERS_ESTIMATE } from "../probe/plan.js";

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
  if (d.addresses.length > DNS_MEMBERS_ESTIMATE) {
    return [
      {
        kind: "discovery",
        severity: "info",
        message: `DNS discovery of ${probe.endpoint.host} found ${d.addresses.length} members; the deployment plans ${DNS_MEMBERS_ESTIMATE} per DNS-discovered endpoint when it sizes its shards.`,
        remedy: "List the members in the registry so that synth sizes the shards by them (a big pool planned as small can miss its deadline).",
        evidence: { discovered: d.addresses.length, planned: DNS_MEMBERS_ESTIMATE },
      },
    ];
  }
  return [];
}
