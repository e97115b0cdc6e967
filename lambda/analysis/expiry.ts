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
    .filter((d): d is number => typeof d === "number");
  return days.length ? Math.min(...days) : undefined;
}

/** Presented certificates with fields that do not parse: each named with what failed; its handshakes still count. */
export function unparseableFindings(probe: EndpointProbe): Finding[] {
  const bad = presentedLeaves(probe)
    .map((fp) => probe.certificates[fp])
    .filter((c): c is NonNullable<typeof c> => c?.problems !== undefined);
  if (bad.length === 0) return [];
  return [
    {
      kind: "certificate-unparseable",
      severity: "warning",
      message: `${bad.length === 1 ? "A presented certificate has" : `${bad.length} presented certificates have`} fields that do not parse: ${bad
        .map((c) => `${certificateName(probe, c.fingerprint256)} (sha256 ${c.fingerprint256.slice(0, 23)}…): ${c.problems!.join("; ")}`)
        .join("; ")}. Strict clients reject it; what those fields say is unknown here.`,
      remedy: "Reissue the certificate; a CA that produced it has a bug worth reporting.",
      evidence: { certificates: bad.map((c) => ({ fingerprint: c.fingerprint256, problems: c.problems })) },
    },
  ];
}

export function expiryFindings(probe: EndpointProbe, warningDays = EXPIRY_WARNING_DAYS): Finding[] {
  const soon = presentedLeaves(probe)
    .map((fp) => probe.certificates[fp]!)
    .filter((c): c is typeof c & { daysToExpiry: number } => c !== undefined && c.daysToExpiry !== null && c.daysToExpiry >= 0 && c.daysToExpiry < warningDays)
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
