import type { EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { certificateName, memberHandshakes, vipConnections } from "./observations.js";

/** Below this many days a leaf that is still valid is worth a warning. */
export const EXPIRY_WARNING_DAYS = 21;

/** Leaves actually presented (intermediates and roots have their own, usually longer, lives). */
export function presentedLeaves(probe: EndpointProbe): string[] {
  const leaves = new Set<string>();
  for (const { record } of memberHandshakes(probe)) if (record.leaf) leaves.add(record.leaf);
  for (const c of vipConnections(probe)) if (c.leaf) leaves.add(c.leaf);
  return [...leaves];
}

export function minDaysToExpiry(probe: EndpointProbe): number | undefined {
  const days = presentedLeaves(probe)
    .map((fp) => probe.certificates[fp]?.daysToExpiry)
    .filter((d): d is number => d !== undefined);
  return days.length ? Math.min(...days) : undefined;
}

export function expiryFindings(probe: EndpointProbe): Finding[] {
  const soon = presentedLeaves(probe)
    .map((fp) => probe.certificates[fp]!)
    .filter((c) => c && c.daysToExpiry >= 0 && c.daysToExpiry < EXPIRY_WARNING_DAYS)
    .sort((a, b) => a.daysToExpiry - b.daysToExpiry);
  if (soon.length === 0) return [];
  return [
    {
      kind: "expiry-soon",
      severity: "warning",
      message: `${soon.map((c) => `${certificateName(probe, c.fingerprint256)} expires in ${c.daysToExpiry} days (${c.validTo.slice(0, 10)})`).join("; ")}.`,
      remedy: "Renew now, and install the renewed certificate on every member at once so the pool does not diverge.",
      evidence: { certificates: soon.map((c) => ({ fingerprint: c.fingerprint256, daysToExpiry: c.daysToExpiry, validTo: c.validTo })) },
    },
  ];
}
