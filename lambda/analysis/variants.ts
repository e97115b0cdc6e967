/** Certificate variants: the distinct leaves the pool presents, who presents each, and how they differ. */
import type { CertificateInfo, EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { certificateName, connectionName, memberHandshakes, memberLeaf, plural, vipConnections } from "./observations.js";

export interface CertificateVariant {
  /** "A", "B", … in order of first sighting (members first, in the order they are listed; then the VIP chains). */
  id: string;
  fingerprint: string;
  members: string[];
  vipConnections: string[];
}

export interface FieldDifference {
  field: keyof CertificateInfo;
  /** Value per variant id. */
  values: Record<string, string>;
}

const COMPARED_FIELDS: Array<keyof CertificateInfo> = [
  "subject",
  "issuer",
  "sanDns",
  "sanIp",
  "serialNumber",
  "validFrom",
  "validTo",
  "keyType",
  "keySize",
];

export function certificateVariants(probe: EndpointProbe): CertificateVariant[] {
  const variants = new Map<string, CertificateVariant>();
  const variant = (fingerprint: string) => {
    let v = variants.get(fingerprint);
    if (!v) {
      v = { id: variantId(variants.size), fingerprint, members: [], vipConnections: [] };
      variants.set(fingerprint, v);
    }
    return v;
  };
  for (const { member, record } of memberHandshakes(probe)) {
    if (record.leaf && !variant(record.leaf).members.includes(member.label)) variant(record.leaf).members.push(member.label);
  }
  for (const c of vipConnections(probe)) {
    if (c.leaf) variant(c.leaf).vipConnections.push(connectionName(c));
  }
  return [...variants.values()];
}

function variantId(n: number): string {
  return n < 26 ? String.fromCharCode(65 + n) : `V${n + 1}`;
}

function show(value: CertificateInfo[keyof CertificateInfo] | undefined): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "(none)";
  return String(value);
}

/** The fields whose values are not the same in every variant. */
export function variantDifferences(probe: EndpointProbe, variants: CertificateVariant[]): FieldDifference[] {
  if (variants.length < 2) return [];
  const diffs: FieldDifference[] = [];
  for (const field of COMPARED_FIELDS) {
    const values: Record<string, string> = {};
    for (const v of variants) values[v.id] = show(probe.certificates[v.fingerprint]?.[field]);
    if (new Set(Object.values(values)).size > 1) diffs.push({ field, values });
  }
  return diffs;
}

/** The variant most members present (ties: the first seen); the others are "diverging". */
export function majorityVariant(probe: EndpointProbe, variants: CertificateVariant[]): CertificateVariant | undefined {
  const counts = new Map<string, number>();
  for (const m of probe.members) {
    const leaf = memberLeaf(m);
    if (leaf) counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
  }
  let best: CertificateVariant | undefined;
  for (const v of variants) if (!best || (counts.get(v.fingerprint) ?? 0) > (counts.get(best.fingerprint) ?? 0)) best = v;
  return best;
}

export function divergingMembers(probe: EndpointProbe, variants: CertificateVariant[]): string[] {
  const majority = majorityVariant(probe, variants);
  return probe.members.filter((m) => memberLeaf(m) && memberLeaf(m) !== majority?.fingerprint).map((m) => m.label);
}

export function divergenceFinding(probe: EndpointProbe, variants: CertificateVariant[], diffs: FieldDifference[]): Finding[] {
  if (variants.length < 2) return [];
  const who = variants
    .map((v) => {
      const where = v.members.length ? v.members.join(", ") : `only through the VIP (${v.vipConnections.slice(0, 3).join(", ")})`;
      return `${v.id} ${certificateName(probe, v.fingerprint)} on ${where}`;
    })
    .join("; ");
  const fields = diffs.map((d) => d.field).join(", ");
  return [
    {
      kind: "certificate-divergence",
      severity: "warning",
      message: `The pool presents ${plural(variants.length, "certificate variant")}: ${who}. They differ in ${fields || "encoding only"}.`,
      remedy:
        "Install one certificate (same key and chain) on every member, or give each member a certificate that carries the shared service name as a SAN. Until then, clients that resume TLS sessions see the certificate change between connections.",
      evidence: { variants, differences: diffs },
    },
  ];
}
