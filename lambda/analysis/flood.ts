/**
 * Servers that kept sending after the handshake until the probe cut the connection: application data past what the
 * probe reads, TLS 1.3 KeyUpdates or TLS 1.2 renegotiations past a handful, tickets past a handful, or bytes past
 * the post-handshake budget (lambda/probe/handshake.ts). Each cost this process CPU (a KeyUpdate flood took 2 s of it
 * per connection before the cut, measured) and costs every real client the same, so it is said, with the member.
 */
import { MAX_APPLICATION_BYTES, MAX_POST_HANDSHAKE_BYTES, MAX_POST_HANDSHAKE_KEY_CHANGES, MAX_SESSIONS_PER_CONNECTION } from "../probe/handshake.js";
import type { EndpointProbe, HandshakeRecord } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { connectionName, memberHandshakes, vipConnections } from "./observations.js";

/** What one record shows was cut, in words, or nothing. */
function floodOf(r: HandshakeRecord): string[] {
  const what: string[] = [];
  if (r.excessKeyChanges !== undefined)
    what.push(`${r.excessKeyChanges} key changes (KeyUpdates or renegotiations; the probe allows ${MAX_POST_HANDSHAKE_KEY_CHANGES})`);
  if (r.excessSessions !== undefined) what.push(`${r.excessSessions} session tickets (allowed: ${MAX_SESSIONS_PER_CONNECTION})`);
  if (r.excessPostHandshakeBytes !== undefined)
    what.push(`${r.excessPostHandshakeBytes} bytes after the handshake (allowed: ${MAX_POST_HANDSHAKE_BYTES / 1024} KiB)`);
  if (r.excessApplicationData !== undefined)
    what.push(`${r.excessApplicationData} bytes of application data unasked (allowed: ${MAX_APPLICATION_BYTES / 1024} KiB)`);
  return what;
}

export function floodFindings(probe: EndpointProbe): Finding[] {
  const members = new Map<string, string[]>();
  for (const { member, record } of memberHandshakes(probe)) {
    const what = floodOf(record);
    if (what.length) members.set(member.label, [...new Set([...(members.get(member.label) ?? []), ...what])]);
  }
  const vip = vipConnections(probe).flatMap((c) => {
    const what = floodOf(c);
    return what.length ? [{ name: connectionName(c), what }] : [];
  });
  if (members.size === 0 && vip.length === 0) return [];
  const parts = [
    ...[...members].map(([member, what]) => `${member} sent ${what.join(", ")}`),
    ...(vip.length
      ? [`through the VIP, ${vip.map((c) => c.name).join(", ")} got ${vip[0]!.what.join(", ")}${vip.length > 1 ? " (the first of them)" : ""}`]
      : []),
  ];
  return [
    {
      kind: "server-flood",
      severity: "warning",
      message: `A server kept sending after the handshake and the probe cut the connection: ${parts.join("; ")}. Every client spends its CPU on that; what those connections would have shown next (tickets, resumption) was not measured.`,
      remedy:
        "Take the member out of the pool and look at its TLS stack: no real server sends KeyUpdates, renegotiations or tickets in a loop (a bug, a broken middlebox or a hostile host); then probe again.",
      evidence: { members: [...members.keys()], connections: vip.map((c) => c.name) },
    },
  ];
}
