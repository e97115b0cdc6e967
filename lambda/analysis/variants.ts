/**
 * Certificate variants: the distinct leaves the pool presents, who presents each to which client offer, and how
 * they differ. Divergence means members presenting different leaves to the SAME offer; one member presenting
 * different leaves to different offers (RSA and ECDSA for the same names) is one identity with alternates, as
 * sslyze lists certificate deployments.
 */
import type { CertificateInfo, EndpointProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import {
  certificateName,
  connectionName,
  memberHandshakes,
  memberLeavesByOffer,
  OFFER_LABEL,
  OFFERS,
  offerOfChain,
  plural,
  vipConnections,
  type Offer,
  memberLabels,
} from "./observations.js";

export interface CertificateVariant {
  /** "A", "B", … in order of first sighting (members first, in the order they are listed; then the VIP chains). */
  id: string;
  fingerprint: string;
  members: string[];
  vipConnections: string[];
  /** The client offers this leaf was presented to. */
  offers: Offer[];
}

export interface FieldDifference {
  field: keyof CertificateInfo;
  /** Value per variant id. */
  values: Record<string, string>;
}

/** Who presents which leaf to one offer. */
export interface OfferView {
  offer: Offer;
  leaves: Array<{ fingerprint: string; members: string[]; vipConnections: string[] }>;
}

const COMPARED_FIELDS: Array<keyof CertificateInfo> = ["subject", "issuer", "sanDns", "sanIp", "serialNumber", "validFrom", "validTo", "keyType", "keySize"];

export function certificateVariants(probe: EndpointProbe): CertificateVariant[] {
  const variants = new Map<string, CertificateVariant>();
  const variant = (fingerprint: string, offer: Offer) => {
    let v = variants.get(fingerprint);
    if (!v) {
      v = { id: variantId(variants.size), fingerprint, members: [], vipConnections: [], offers: [] };
      variants.set(fingerprint, v);
    }
    if (!v.offers.includes(offer)) v.offers.push(offer);
    return v;
  };
  for (const { member, record, offer } of memberHandshakes(probe)) {
    if (!record.leaf) continue;
    const v = variant(record.leaf, offer);
    // A member's handshakes come one after another (memberHandshakes): checking the last is checking all, in O(1)
    // (includes() made this quadratic: 3.6 s at 10,000 members sharing one leaf).
    if (v.members[v.members.length - 1] !== member.label) v.members.push(member.label);
  }
  for (const c of vipConnections(probe)) {
    if (c.leaf) variant(c.leaf, offerOfChain(c.mechanism)).vipConnections.push(connectionName(c));
  }
  return [...variants.values()];
}

function variantId(n: number): string {
  return n < 26 ? String.fromCharCode(65 + n) : `V${n + 1}`;
}

/** For each offer that got a certificate: which members (and VIP connections) presented which leaf. */
export function offerViews(probe: EndpointProbe): OfferView[] {
  // Read by several rules; computed once per probe (records are not changed after probing).
  let views = offerViewsOf.get(probe);
  if (!views) offerViewsOf.set(probe, (views = computeOfferViews(probe)));
  return views;
}
const offerViewsOf = new WeakMap<EndpointProbe, OfferView[]>();

function computeOfferViews(probe: EndpointProbe): OfferView[] {
  type Leaf = { fingerprint: string; members: string[]; vipConnections: string[] };
  const views = new Map<Offer, Map<string, Leaf>>();
  const entry = (offer: Offer, fingerprint: string): Leaf => {
    const leaves = views.get(offer) ?? new Map<string, Leaf>();
    views.set(offer, leaves);
    let e = leaves.get(fingerprint);
    if (!e) leaves.set(fingerprint, (e = { fingerprint, members: [], vipConnections: [] }));
    return e;
  };
  for (const { member, record, offer } of memberHandshakes(probe)) {
    if (!record.leaf) continue;
    const e = entry(offer, record.leaf);
    if (e.members[e.members.length - 1] !== member.label) e.members.push(member.label);
  }
  for (const c of vipConnections(probe)) if (c.leaf) entry(offerOfChain(c.mechanism), c.leaf).vipConnections.push(connectionName(c));
  return OFFERS.filter((o) => views.has(o)).map((offer) => ({ offer, leaves: [...views.get(offer)!.values()] }));
}

/** Offers to which the pool presents more than one leaf: the divergence a client with that offer sees. */
export const divergentOffers = (probe: EndpointProbe): OfferView[] => offerViews(probe).filter((v) => v.leaves.length > 1);

/** The most distinct leaves any one offer gets: the CertificateVariants metric (1 for a consistent pool). */
export const identitiesPerOffer = (probe: EndpointProbe): number => Math.max(0, ...offerViews(probe).map((v) => v.leaves.length));

/** Members that present different leaves to different offers (each offer getting one leaf pool-wide or not). */
export function membersWithAlternates(probe: EndpointProbe): Array<{ member: string; byOffer: Partial<Record<Offer, string>> }> {
  return probe.members.map((m) => ({ member: m.label, byOffer: memberLeavesByOffer(m) })).filter((m) => new Set(Object.values(m.byOffer)).size > 1);
}

function show(value: CertificateInfo[keyof CertificateInfo] | undefined): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "(none)";
  return String(value);
}

/** The fields whose values differ between the leaves that diverge (those presented to one offer). */
export function variantDifferences(probe: EndpointProbe, variants: CertificateVariant[]): FieldDifference[] {
  const diverging = new Set(divergentOffers(probe).flatMap((v) => v.leaves.map((l) => l.fingerprint)));
  const compared = variants.filter((v) => diverging.has(v.fingerprint));
  if (compared.length < 2) return [];
  const diffs: FieldDifference[] = [];
  for (const field of COMPARED_FIELDS) {
    const values: Record<string, string> = {};
    for (const v of compared) values[v.id] = show(probe.certificates[v.fingerprint]?.[field]);
    if (new Set(Object.values(values)).size > 1) diffs.push({ field, values });
  }
  return diffs;
}

/** Members whose leaf, for some offer, is not the one most members present to that offer (ties: the first seen). */
export function divergingMembers(probe: EndpointProbe): string[] {
  const diverging = new Set<string>();
  for (const view of divergentOffers(probe)) {
    const majority = view.leaves.reduce((best, l) => (l.members.length > best.members.length ? l : best), view.leaves[0]!);
    for (const l of view.leaves) if (l !== majority) for (const m of l.members) diverging.add(m);
  }
  return probe.members.map((m) => m.label).filter((label) => diverging.has(label));
}

export function divergenceFinding(probe: EndpointProbe, variants: CertificateVariant[], diffs: FieldDifference[]): Finding[] {
  const views = divergentOffers(probe);
  if (views.length === 0) return [];
  const idOf = new Map(variants.map((v) => [v.fingerprint, v.id]));
  // Offers that split the members the same way are said once; an offer seen only through the VIP whose leaves the
  // members' offers already show adds nothing.
  const onMembers = new Set(views.filter((v) => v.leaves.some((l) => l.members.length)).flatMap((v) => v.leaves.map((l) => l.fingerprint)));
  const groups = new Map<string, { offers: Offer[]; view: OfferView }>();
  for (const view of views) {
    if (!view.leaves.some((l) => l.members.length) && view.leaves.every((l) => onMembers.has(l.fingerprint))) continue;
    const key = view.leaves
      .map((l) => `${l.fingerprint}:${[...l.members].sort().join(",")}`)
      .sort()
      .join("|");
    const group = groups.get(key);
    if (group) group.offers.push(view.offer);
    else groups.set(key, { offers: [view.offer], view });
  }
  const named = memberLabels(probe);
  const who = [...groups.values()]
    .map(
      ({ offers, view }) =>
        `to ${offers.map((o) => OFFER_LABEL[o]).join(" and ")}: ` +
        view.leaves
          .map((l) => {
            const where = l.members.length ? l.members.map(named).join(", ") : `only through the VIP (${l.vipConnections.slice(0, 3).join(", ")})`;
            return `${idOf.get(l.fingerprint)} ${certificateName(probe, l.fingerprint)} on ${where}`;
          })
          .join("; "),
    )
    .join(". ");
  const fields = diffs.map((d) => d.field);
  const sameNames = !fields.includes("subject") && !fields.includes("sanDns") && !fields.includes("sanIp");
  const count = Math.max(...views.map((v) => v.leaves.length));
  const keyOnly = sameNames && fields.every((f) => f === "keyType" || f === "keySize" || f === "serialNumber" || f === "validFrom" || f === "validTo");
  return [
    {
      kind: "certificate-divergence",
      severity: "warning",
      message:
        `Members present ${plural(count, "different certificate")} to the same client offer, so what a client gets depends on routing: ${who}. ` +
        `They differ in ${fields.join(", ") || "encoding only"}` +
        (sameNames
          ? keyOnly && fields.includes("keyType")
            ? " (same names, another key type: some members serve only one of the key types the others serve; clients that pin a key or compare certificates see it change)."
            : " (same names: a renewal or rotation in progress, or members out of step)."
          : "."),
      remedy:
        "Install one certificate (same key and chain) on every member, or give each member a certificate that carries the shared service name as a SAN. Where members serve RSA and ECDSA, serve both on every member. Until then, clients that resume TLS sessions see the certificate change between connections.",
      evidence: {
        offers: views,
        variants: variants.filter((v) => views.some((view) => view.leaves.some((l) => l.fingerprint === v.fingerprint))),
        differences: diffs,
      },
    },
  ];
}

/** Members with one certificate per offer (RSA and ECDSA, say): listed, never counted as divergence. */
export function alternatesFinding(probe: EndpointProbe, variants: CertificateVariant[]): Finding[] {
  const members = membersWithAlternates(probe);
  if (members.length === 0) return [];
  const idOf = new Map(variants.map((v) => [v.fingerprint, v.id]));
  const describe = (byOffer: Partial<Record<Offer, string>>) =>
    Object.entries(byOffer)
      .map(([offer, fp]) => `${idOf.get(fp)} (${probe.certificates[fp]?.keyType ?? "?"}) to ${OFFER_LABEL[offer as Offer]}`)
      .join(", ");
  return [
    {
      kind: "certificate-alternates",
      severity: "info",
      message: `${plural(members.length, "member")} present${members.length === 1 ? "s" : ""} one certificate per client offer: ${members
        .map((m) => `${m.member}: ${describe(m.byOffer)}`)
        .slice(0, 4)
        .join("; ")}${members.length > 4 ? "; …" : ""}. A client keeps one offer, so it sees one of them: alternates, not divergence.`,
      evidence: { members },
    },
  ];
}
