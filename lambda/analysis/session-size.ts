/**
 * Sessions Node could not keep: a server whose resumable session (it carries the server's chain) is over Node's
 * 10 KiB limit gets no 'session' event, so the probe could not offer it back. That is "not measured", never "no
 * session" (a member with big tickets read as ticket-less, and the report said OK; openssl s_client kept 23 KB).
 */
import { NODE_MAX_SESSION_BYTES } from "../probe/handshake.js";
import type { EndpointProbe, MemberProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import { connectionName, plural, vipConnections } from "./observations.js";

/** The largest dropped session of a member's handshakes, when one was. */
export function droppedSessionOf(member: MemberProbe): number | undefined {
  const sizes = [member.handshake, member.tls12, member.tls12Ticket].flatMap((r) => (r.sessionTooLarge === undefined ? [] : [r.sessionTooLarge]));
  return sizes.length ? Math.max(...sizes) : undefined;
}

export function sessionSizeFindings(probe: EndpointProbe): Finding[] {
  const members = probe.members.flatMap((m) => {
    const bytes = droppedSessionOf(m);
    return bytes === undefined ? [] : [{ name: m.label, bytes }];
  });
  const vip = vipConnections(probe).flatMap((c) => (c.sessionTooLarge === undefined ? [] : [{ name: connectionName(c), bytes: c.sessionTooLarge }]));
  const all = [...members, ...vip];
  if (all.length === 0) return [];
  const bytes = Math.max(...all.map((x) => x.bytes));
  const where = members.length ? members.map((m) => m.name).join(", ") : `the VIP (${plural(vip.length, "connection")})`;
  return [
    {
      kind: "session-too-large",
      severity: "warning",
      message: `${where} issued sessions of up to ${bytes} bytes, more than the ${NODE_MAX_SESSION_BYTES} Node keeps: the probe could not offer them back, so resumption there was not measured (it is not "no session"; JSSE and OpenSSL clients do keep them).`,
      remedy:
        "Send a shorter chain (the session carries it): the leaf and its intermediates, without the root or cross-signed extras; then resumption can be measured.",
      evidence: { connections: all.map((x) => x.name), bytes },
    },
  ];
}
