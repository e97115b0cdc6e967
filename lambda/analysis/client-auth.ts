/**
 * Mutual TLS, judged from what the members answered: which require a client certificate, whether the configured
 * one was accepted, and whether it could be read at all. A member that requires a certificate the monitor does not
 * have is ONE finding about the monitor's reach, not a handshake failure and not a dead member: the server answered
 * (its certificate, protocol and EMS were seen before its alert).
 */
import type { EndpointProbe, HandshakeRecord, MemberProbe } from "../probe/types.js";
import { plainError } from "../probe/errors.js";
import type { Finding } from "./finding.js";
import { memberHandshakes, plural, vipConnections } from "./observations.js";

const HOW_TO_CONFIGURE =
  'Give the monitor a client certificate the members trust: the CLI\'s --cert FILE [--key FILE] (an encrypted key\'s passphrase in TLS_POOL_MONITOR_KEY_PASSPHRASE), or the registry field "clientCertificate": { "cert": FILE, "key": FILE } for the CLI, { "secretArn": ARN } for the function (SecretString {"cert": PEM, "key": PEM}). On a Puppet host the agent\'s own certificate and key serve: /etc/puppetlabs/puppet/ssl/certs/<host>.pem and private_keys/<host>.pem.';

const refusedBy = (records: HandshakeRecord[]) => records.some((r) => r.error?.class === "client-certificate" && r.clientCertificate === true);

/** Members that ended a handshake over the client certificate: it was missing (none configured) or refused. */
export function membersRequiringCertificate(probe: EndpointProbe): MemberProbe[] {
  return probe.members.filter((m) => m.clientAuth === "required");
}

/** The records of a connection the server ended over the client certificate: not handshake failures of the pool. */
export const isClientCertificateRefusal = (r: HandshakeRecord): boolean => r.error?.class === "client-certificate";

/**
 * Members whose sessions could not be measured because the server ended every TLS 1.2 handshake over the client
 * certificate: the Java verdict cannot be reached for them (no session to resume, no matrix).
 */
export function unmeasurableMembers(probe: EndpointProbe): MemberProbe[] {
  return probe.members.filter((m) => isClientCertificateRefusal(m.tls12) || isClientCertificateRefusal(m.tls12Ticket));
}

export function clientAuthFindings(probe: EndpointProbe): Finding[] {
  const findings: Finding[] = [];
  const use = probe.clientCertificate;
  const configured = use !== undefined && use.error === undefined;
  if (use?.error) {
    findings.push({
      kind: "client-certificate",
      severity: "warning",
      message: `The client certificate could not be read from ${use.secretArn ?? "its source"}: ${plainError(use.error)} (${use.error.code ?? use.error.class}). The endpoint was probed without one.`,
      remedy:
        'Check that the secret exists in the function\'s region, that its SecretString is {"cert": PEM, "key": PEM}, and that the function\'s role may call secretsmanager:GetSecretValue on it (and kms:Decrypt when the secret uses a customer-managed key).',
      evidence: { required: [], notRequired: [], refused: [], configured: false, ...(use.secretArn ? { secretArn: use.secretArn } : {}), error: use.error },
    });
  }
  const required = membersRequiringCertificate(probe);
  const notRequired = probe.members.filter((m) => m.clientAuth === "not-required");
  // One pass over the handshakes (not one per member: pools of thousands of members stay linear).
  const refusing = new Set(
    configured
      ? memberHandshakes(probe)
          .filter((h) => refusedBy([h.record]))
          .map((h) => h.member)
      : [],
  );
  const refused = probe.members.filter((m) => refusing.has(m));
  const vipRefusals = vipConnections(probe).filter(isClientCertificateRefusal);
  const evidence = {
    required: required.map((m) => m.label),
    notRequired: notRequired.map((m) => m.label),
    refused: refused.map((m) => m.label),
    configured,
  };
  if (configured && (refused.length || vipRefusals.some((r) => r.clientCertificate))) {
    const subject = use.subject ? ` (${use.subject})` : "";
    const some = refused.length > 0 && refused.length < probe.members.length;
    findings.push({
      kind: "client-certificate",
      // Members that differ in the client CAs they trust fail a share of every real client's connections.
      severity: some ? "critical" : "warning",
      message: some
        ? `${plural(refused.length, "member")} of ${probe.members.length} refuse${refused.length === 1 ? "s" : ""} the client certificate${subject} that the others accept: ${refused.map((m) => m.label).join(", ")}. Clients presenting it fail on every connection routed there.`
        : `The configured client certificate${subject} was refused${refused.length ? ` by every member (${refused.map((m) => m.label).join(", ")})` : " through the VIP"}.`,
      remedy: some
        ? "Make every member trust the same client CAs (PuppetDB: the same ssl-ca-cert / CRL on every member)."
        : "Give the monitor a certificate issued by the CA the members trust for clients (on a Puppet host, the agent's certificate), and check the members' CRL.",
      evidence,
    });
    return findings;
  }
  if (required.length === 0) return findings;
  if (configured) return findings; // required, and ours was accepted: that is mutual TLS working
  const mixed = notRequired.length > 0;
  findings.push({
    kind: "client-certificate",
    severity: "warning",
    message: mixed
      ? `${plural(required.length, "member")} require${required.length === 1 ? "s" : ""} a client certificate and ${plural(notRequired.length, "member")} do${notRequired.length === 1 ? "es" : ""} not: ${required.map((m) => m.label).join(", ")} require one. Clients without a certificate fail on every connection routed to ${required.length === 1 ? "it" : "them"}.`
      : `${required.length === probe.members.length && required.length > 1 ? "Every member requires" : `${required.map((m) => m.label).join(", ")} require${required.length === 1 ? "s" : ""}`} a client certificate (mutual TLS) and none is configured. ` +
        "Each member's certificate, protocol and EMS were read from what it sent before its alert; sessions could not be made, so resumption and the Java verdict are unknown.",
    remedy: HOW_TO_CONFIGURE,
    evidence,
  });
  return findings;
}
