/**
 * Small builders of probe records, for rule tests that need no real pool: a member presents a leaf (per offer),
 * has EMS or not, TLS 1.3 or not; the matrix says who resumes whom; the VIP chain lists connections by member.
 */
import type { CertificateInfo, ChainConnection, EndpointProbe, HandshakeRecord, MatrixCell, MemberProbe, ProbeError } from "../../lambda/probe/types.js";

export interface LeafFacts {
  fingerprint: string;
  subject?: string;
  issuer?: string;
  dns?: string[];
  ips?: string[];
  keyType?: string;
  serial?: string;
  daysToExpiry?: number;
}

export function certificate(f: LeafFacts): CertificateInfo {
  return {
    fingerprint256: f.fingerprint,
    subject: f.subject ?? `CN=${f.fingerprint}`,
    issuer: f.issuer ?? "CN=Test CA",
    sanDns: f.dns ?? [],
    sanIp: f.ips ?? [],
    serialNumber: f.serial ?? f.fingerprint,
    validFrom: "2026-11-01T00:00:00.000Z",
    validTo: "2027-02-01T00:00:00.000Z",
    daysToExpiry: f.daysToExpiry ?? 60,
    keyType: f.keyType ?? "EC prime256v1",
    pem: "",
  };
}

export interface MemberFacts {
  label: string;
  /** Leaf to TLS 1.2 offers; `best` defaults to it (a member with alternates gives another). */
  leaf: string;
  best?: string;
  /** undefined: the session could not be read. */
  ems?: boolean | undefined;
  tls13?: boolean;
  renegotiation?: MemberProbe["renegotiation"]["outcome"];
  /** What the member does with its own session offered without EMS (default accepted, as OpenSSL servers do; JSSE: refused). */
  emsLess?: NonNullable<MemberProbe["emsLessResumption"]>["outcome"];
  /** Every handshake fails with this. */
  down?: ProbeError;
  /**
   * The member requires a client certificate and the probe had none: TLS 1.2 handshakes end in its alert after its
   * certificate (recorded); the TLS 1.3 one completes on the client's side and then fails the same way.
   */
  requiresClientCertificate?: boolean;
}

const handshake = (target: string, leaf: string | undefined, protocol: string, extra: Partial<HandshakeRecord> = {}): HandshakeRecord => ({
  target,
  sessionOffered: false,
  resumed: false,
  chain: leaf ? [leaf] : [],
  sessionIssued: true,
  protocol,
  ...(leaf ? { leaf, verification: { chainTrusted: true, hostnameMatches: true } } : {}),
  handshakeMs: 1,
  ...extra,
});

export function member(f: MemberFacts): MemberProbe {
  const [address, port] = [f.label.slice(0, f.label.lastIndexOf(":")), Number(f.label.slice(f.label.lastIndexOf(":") + 1))];
  if (f.down) {
    const failed = { target: f.label, sessionOffered: false, resumed: false, chain: [], sessionIssued: false, error: f.down };
    return {
      label: f.label,
      address,
      port,
      source: "listed",
      handshake: failed,
      tls12: failed,
      tls12Ticket: failed,
      tls13Supported: undefined,
      renegotiation: { outcome: "not-attempted" },
    };
  }
  const tls13 = f.tls13 ?? true;
  const session = "ems" in f && f.ems === undefined ? {} : { session: { extendedMasterSecret: f.ems ?? true, ticketIssued: true, sessionIdLength: 32 } };
  const refused = f.requiresClientCertificate
    ? {
        sessionIssued: false,
        error: { class: "client-certificate" as const, code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", message: "the server requires a client certificate" },
      }
    : {};
  const tls12 = handshake(f.label, f.leaf, "TLSv1.2", { secureRenegotiation: true, ...session, ...refused });
  if (f.requiresClientCertificate) delete tls12.verification;
  return {
    label: f.label,
    address,
    port,
    source: "listed",
    handshake: handshake(f.label, f.best ?? f.leaf, tls13 ? "TLSv1.3" : "TLSv1.2", refused),
    tls12,
    tls12Ticket: { ...tls12 },
    tls13Supported: tls13,
    renegotiation: f.requiresClientCertificate
      ? { outcome: "not-attempted", detail: "the TLS 1.2 handshake failed (client-certificate)" }
      : { outcome: f.renegotiation ?? "refused" },
    emsLessResumption: f.requiresClientCertificate ? { outcome: "failed", error: refused.error! } : { outcome: f.emsLess ?? "accepted" },
    ...(f.requiresClientCertificate ? { clientAuth: "required" as const } : { clientAuth: "not-required" as const }),
  };
}

/** The matrix: every member resumes its own sessions; `shared` pairs resume each other's too. */
export function matrix(labels: string[], shared: Array<[string, string, MatrixCell["outcome"]?]> = []): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const mechanism of ["session-id", "ticket"] as const) {
    for (const from of labels) {
      for (const to of labels) {
        const pair = shared.find(([a, b]) => a === from && b === to);
        cells.push({ mechanism, from, to, outcome: from === to ? "accepted" : (pair?.[2] ?? (pair ? "accepted" : "refused")) });
      }
    }
  }
  return cells;
}

/** A session-id chain through the VIP: each connection's leaf and whether it resumed the previous full one. */
export function chain(
  steps: Array<{ leaf: string; resumed?: boolean }>,
  mechanism: ChainConnection["mechanism"] = "session-id",
  protocol = "TLSv1.2",
): ChainConnection[] {
  let lastFull: { index: number; leaf: string } | undefined;
  return steps.map((s, index) => {
    const c: ChainConnection = {
      ...handshake("vip", s.leaf, protocol, s.resumed ? { resumed: true, chain: [], sessionIssued: false } : {}),
      index,
      mechanism,
      sessionOffered: lastFull !== undefined,
      ...(lastFull ? { offeredFrom: lastFull.index } : {}),
    };
    if (lastFull && !s.resumed) c.certificateChanged = lastFull.leaf !== s.leaf;
    if (!s.resumed) lastFull = { index, leaf: s.leaf };
    return c;
  });
}

export interface ProbeFacts {
  members: MemberProbe[];
  certificates: CertificateInfo[];
  matrix?: MatrixCell[];
  chains?: Partial<EndpointProbe["vip"]["chains"]>;
}

export function probeOf(f: ProbeFacts): EndpointProbe {
  return {
    endpoint: { name: "unit", host: "vip", port: 443, servername: "pool.test", attempts: 4 },
    startedAt: "2026-12-01T00:00:00.000Z",
    durationMs: 1,
    discovery: { method: "none", addresses: [] },
    vip: { target: "vip:443", chains: { "session-id": [], ticket: [], "tls13-psk": [], ...f.chains } },
    members: f.members,
    matrix: f.matrix ?? matrix(f.members.map((m) => m.label)),
    certificates: Object.fromEntries(f.certificates.map((c) => [c.fingerprint256, c])),
  };
}
