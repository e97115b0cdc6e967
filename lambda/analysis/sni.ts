/**
 * Clients that send no SNI: the JDK sends no server_name for an IP address or a host name without a dot
 * (`https://10.0.1.11:8081`, `https://puppetdb:8081`), nor with -Djdk.tls.client.enableSNIExtension=false; a member's
 * default server (nginx `default_server`, Apache's first VirtualHost) then answers with its own certificate. Measured:
 * three nginx members, one certificate with SNI, two with a fallback certificate without: a real JDK connecting by IP
 * aborted 10 of 60 connections, 0 of 40 with SNI.
 */
import type { EndpointProbe, MemberProbe } from "../probe/types.js";
import type { Finding } from "./finding.js";
import type { PoolModel } from "./java/pool-model.js";
import { certificateName, memberLeaf, plural } from "./observations.js";

export const NO_SNI_CLIENTS =
  "clients that send no SNI: Java clients given an IP address or a host name without a dot (https://10.0.1.11:8081, https://puppetdb:8081) or run with -Djdk.tls.client.enableSNIExtension=false";

/** The leaf a member presents without SNI, when that handshake completed. */
export const noSniLeaf = (m: MemberProbe): string | undefined => (m.noSni && !m.noSni.error ? m.noSni.leaf : undefined);

/** Members whose certificate without SNI is another than with it. */
export function sniDependentMembers(probe: EndpointProbe): MemberProbe[] {
  return probe.members.filter((m) => {
    const without = noSniLeaf(m);
    return without !== undefined && memberLeaf(m, "tls12") !== undefined && without !== memberLeaf(m, "tls12");
  });
}

/**
 * The pool as a client without SNI sees it: each member with the certificate it presents then (members that
 * completed no such handshake are left out: such a client cannot connect there). Undefined when nothing changes.
 */
export function modelWithoutSni(probe: EndpointProbe, model: PoolModel): PoolModel | undefined {
  if (sniDependentMembers(probe).length === 0) return undefined;
  const byLabel = new Map(probe.members.map((m) => [m.label, m]));
  const members = model.members.flatMap((mm) => {
    const fp = noSniLeaf(byLabel.get(mm.label)!);
    const leaf = fp ? probe.certificates[fp] : undefined;
    return leaf ? [{ ...mm, leaf }] : [];
  });
  return { ...model, members };
}

export function sniFindings(probe: EndpointProbe): Finding[] {
  const dependent = sniDependentMembers(probe);
  if (dependent.length === 0) return [];
  const withNoSni = probe.members.filter((m) => noSniLeaf(m) !== undefined);
  const leaves = new Set(withNoSni.map(noSniLeaf));
  const evidence = {
    members: withNoSni.map((m) => ({ member: m.label, withSni: memberLeaf(m, "tls12"), withoutSni: noSniLeaf(m) })),
    differing: dependent.map((m) => m.label),
  };
  const named = dependent.map((m) => `${m.label} (${certificateName(probe, noSniLeaf(m))})`).join(", ");
  if (leaves.size > 1) {
    return [
      {
        kind: "sni-certificate",
        severity: "warning",
        message:
          `Without SNI, members present different certificates: ${named} instead of ${certificateName(probe, memberLeaf(dependent[0]!, "tls12"))}. ` +
          `Affected: ${NO_SNI_CLIENTS}. With SNI the same members may agree.`,
        remedy:
          "Make every member's default server present the service certificate (nginx: the `default_server` block, or `ssl_certificate` in the one server block; Apache: the first VirtualHost on the port), or have clients use the service's DNS name.",
        evidence,
      },
    ];
  }
  return [
    {
      kind: "sni-certificate",
      severity: "info",
      message: `Without SNI every member presents ${certificateName(probe, noSniLeaf(dependent[0]!))}, another certificate than with SNI (${plural(dependent.length, "member")}). It is the same on every member, so routing does not change it; ${NO_SNI_CLIENTS} that check the name against it may fail.`,
      remedy: "Present the service certificate from the default server too, or have clients connect by the service's DNS name.",
      evidence,
    },
  ];
}
