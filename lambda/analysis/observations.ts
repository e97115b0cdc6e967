/** Read-only views over an endpoint probe that several rules need. */
import type { CertificateInfo, ChainConnection, EndpointProbe, HandshakeRecord, MemberProbe, ResumptionMechanism } from "../probe/types.js";
import { RESUMPTION_MECHANISMS } from "../probe/types.js";

export function vipConnections(probe: EndpointProbe): ChainConnection[] {
  return RESUMPTION_MECHANISMS.flatMap((m) => probe.vip.chains[m]);
}

/**
 * The client offer (ClientHello) a handshake was made with. A server picks its certificate from the offer (nginx
 * with an RSA and an ECDSA certificate gives RSA to Node's TLS 1.2 offer and ECDSA to its TLS 1.3 one), and a real
 * client keeps one offer: so certificates are compared between members for the SAME offer only.
 *   tls12: TLS 1.2 only (session-ID and ticket handshakes); best: TLS 1.2–1.3; tls13: TLS 1.3 only.
 */
export type Offer = "tls12" | "best" | "tls13";
export const OFFERS: readonly Offer[] = ["tls12", "best", "tls13"];
export const OFFER_LABEL: Record<Offer, string> = { tls12: "a TLS 1.2 offer", best: "a TLS 1.2–1.3 offer", tls13: "a TLS 1.3-only offer" };

export const offerOfChain = (mechanism: ResumptionMechanism): Offer => (mechanism === "tls13-psk" ? "tls13" : "tls12");

/** Every handshake made to a member, with the member it went to and the offer it was made with. */
export function memberHandshakes(probe: EndpointProbe): Array<{ member: MemberProbe; record: HandshakeRecord; kind: string; offer: Offer }> {
  return probe.members.flatMap((member) => [
    { member, record: member.handshake, kind: "best version", offer: "best" as const },
    { member, record: member.tls12, kind: "TLS 1.2", offer: "tls12" as const },
    { member, record: member.tls12Ticket, kind: "TLS 1.2 ticket", offer: "tls12" as const },
    // A legacy-only member's certificate is what a client offering TLS 1.0–1.2 gets there (JDK 8 before 8u291).
    ...(member.legacy && member.tls12.error ? [{ member, record: member.legacy, kind: "TLS 1.0/1.1", offer: "tls12" as const }] : []),
  ]);
}

/**
 * The leaf a member presents to an offer. Without an offer: the TLS 1.2 one (the only protocol in which the Java
 * check runs), else the best-version one.
 */
export function memberLeaf(member: MemberProbe, offer?: Offer): string | undefined {
  const tls12 = member.tls12.leaf ?? member.tls12Ticket.leaf;
  if (offer === "tls12") return tls12;
  if (offer === "best") return member.handshake.leaf;
  if (offer === "tls13") return member.handshake.protocol === "TLSv1.3" ? member.handshake.leaf : undefined;
  return tls12 ?? member.handshake.leaf;
}

/** The distinct leaves a member presents, one per offer that got one (more than one: alternates). */
export function memberLeavesByOffer(member: MemberProbe): Partial<Record<Offer, string>> {
  const byOffer: Partial<Record<Offer, string>> = {};
  for (const offer of ["tls12", "best"] as const) {
    const leaf = memberLeaf(member, offer);
    if (leaf) byOffer[offer] = leaf;
  }
  return byOffer;
}

const HANDSHAKE_FAILURE_ALERT = /ALERT_HANDSHAKE_FAILURE$/;

/**
 * Handshakes that failed only because the server does not speak the version asked for: a capability, not a
 * failure. OpenSSL and nginx answer a TLS 1.3-only offer with protocol_version; GnuTLS 3.7 with TLS 1.3 off answers
 * handshake_failure, so that alert on a TLS 1.3-only offer counts as a refusal of the version when the pool's other
 * handshakes show it lacks TLS 1.3: a member without it, or (no members probed) TLS 1.2 working through the VIP.
 */
export function versionRefusal(probe: EndpointProbe): (record: HandshakeRecord) => boolean {
  const tls13Chain = new Set<HandshakeRecord>(probe.vip.chains["tls13-psk"]);
  const lacksTls13 =
    probe.members.some((m) => m.tls13Supported === false) ||
    (probe.members.every((m) => m.tls13Supported === undefined) &&
      vipConnections(probe).some((c) => c.mechanism !== "tls13-psk" && !c.error && c.protocol === "TLSv1.2"));
  // Only a TLS 1.3-only offer refused is a capability: a TLS 1.2 (or 1.2–1.3) offer refused as a version means the
  // member speaks neither, and every modern client fails there (issue 23: a TLS 1.0-only member read as OK).
  return (record) => {
    if (!tls13Chain.has(record)) return false;
    if (record.error?.class === "protocol-version") return true;
    return lacksTls13 && record.error?.class === "tls-alert" && HANDSHAKE_FAILURE_ALERT.test(record.error.code ?? "");
  };
}

export const connectionName = (c: ChainConnection) => `${c.mechanism} #${c.index}`;

/** Short certificate name for messages: subject CN, else the whole subject, else the fingerprint's start. */
export function certificateName(probe: EndpointProbe, fingerprint: string | undefined): string {
  if (!fingerprint) return "no certificate";
  const cert = probe.certificates[fingerprint];
  if (!cert) return fingerprint.slice(0, 14);
  const cn = /(?:^|, )CN=([^,]+)/.exec(cert.subject)?.[1];
  return cn ? `CN=${cn}` : cert.subject || fingerprint.slice(0, 14);
}

/** What tells two certificates apart, for messages: the fields that differ, each as `field a → b`. */
export function certificateChange(probe: EndpointProbe, from: string | undefined, to: string | undefined): string {
  const a = from ? probe.certificates[from] : undefined;
  const b = to ? probe.certificates[to] : undefined;
  if (!a || !b) return `${certificateName(probe, from)} → ${certificateName(probe, to)}`;
  const fields: Array<[string, (c: CertificateInfo) => string]> = [
    ["subject", (c) => c.subject || "(empty)"],
    ["SAN", (c) => [...c.sanDns, ...c.sanIp].join(", ") || "(none)"],
    ["issuer", (c) => c.issuer],
    ["key", (c) => `${c.keyType}${c.keySize ? ` ${c.keySize}` : ""}`],
    ["serial", (c) => c.serialNumber],
    ["expiry", (c) => c.validTo.slice(0, 10)],
  ];
  const differing = fields.filter(([, get]) => get(a) !== get(b)).map(([name, get]) => `${name} ${get(a)} → ${get(b)}`);
  const same = a.subject === b.subject ? `${certificateName(probe, from)}, ` : "";
  return `${same}${differing.join("; ") || "same fields, other encoding"}`;
}

export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** How reports name a member: its address, and its target health when the target group says it is not healthy. */
export function memberLabels(probe: EndpointProbe): (label: string) => string {
  const health = new Map(probe.members.map((m) => [m.label, m.targetHealth?.state]));
  return (label) => {
    const state = health.get(label);
    return state && state !== "healthy" ? `${label} (target ${state})` : label;
  };
}
