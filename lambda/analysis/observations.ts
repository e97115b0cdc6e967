/** Read-only views over an endpoint probe that several rules need. */
import type { ChainConnection, EndpointProbe, HandshakeRecord, MemberProbe } from "../probe/types.js";
import { RESUMPTION_MECHANISMS } from "../probe/types.js";

export function vipConnections(probe: EndpointProbe): ChainConnection[] {
  return RESUMPTION_MECHANISMS.flatMap((m) => probe.vip.chains[m]);
}

/** Every handshake made to a member, with the member it went to. */
export function memberHandshakes(probe: EndpointProbe): Array<{ member: MemberProbe; record: HandshakeRecord; kind: string }> {
  return probe.members.flatMap((member) => [
    { member, record: member.handshake, kind: "best version" },
    { member, record: member.tls12, kind: "TLS 1.2" },
    { member, record: member.tls12Ticket, kind: "TLS 1.2 ticket" },
  ]);
}

/** The leaf a member presents: from its best-version handshake, else from any TLS 1.2 one. */
export function memberLeaf(member: MemberProbe): string | undefined {
  return member.handshake.leaf ?? member.tls12.leaf ?? member.tls12Ticket.leaf;
}

/** A TLS 1.3 chain that failed only because TLS 1.3 is not offered is a capability, not a failure. */
export function isVersionRefusal(record: HandshakeRecord): boolean {
  return record.error?.class === "protocol-version";
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

export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
