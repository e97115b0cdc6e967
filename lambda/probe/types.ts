/** Plain records produced by the probe, all JSON-serialisable (session buffers stay in probe/members.ts, never in a record). */
import type { SessionFacts } from "./session.js";
import type { ClientCredentials, SuiteFamily } from "./tls-context.js";

export type { SessionFacts } from "./session.js";

/** How a chain of connections tries to resume: TLS 1.2 session ID only, TLS 1.2 ticket, TLS 1.3 PSK. */
export type ResumptionMechanism = "session-id" | "ticket" | "tls13-psk";
export const RESUMPTION_MECHANISMS: readonly ResumptionMechanism[] = ["session-id", "ticket", "tls13-psk"];

/**
 * Why a connection failed. Certificate validation is not among them: the probe never lets a chain or name check fail
 * a handshake, it records and judges it (Verification), so that an untrusted member is still compared.
 */
export type ErrorClass =
  | "timeout"
  | "reset"
  | "refused"
  | "tls-alert"
  /**
   * The server answered the client's certificate, or its absence, with an alert: it requires one (mutual TLS) or
   * refused the one presented. Over TLS 1.2 after its own Certificate; over TLS 1.3 after the client's Finished.
   */
  | "client-certificate"
  /** The peer and we share no protocol version (e.g. no TLS 1.3): a tls-alert we keep apart because it is a capability. */
  | "protocol-version"
  | "not-tls"
  | "dns"
  /** An AWS API call failed (AccessDenied, TargetGroupNotFound, throttling, timeout); `code` is the AWS error name. */
  | "aws"
  /**
   * The probe's own machine could not open the connection (EMFILE, ENFILE: out of file descriptors; ENOBUFS,
   * ENOMEM): the server was never asked, so this is never its failure.
   */
  | "local-resource"
  | "other";

export interface ProbeError {
  class: ErrorClass;
  /** Node / OpenSSL error code when there is one. */
  code?: string;
  message: string;
}

export type VerificationClass = "untrusted" | "expired" | "hostname-mismatch";

/** Chain and hostname validation of the certificate a handshake presented (system roots plus the endpoint's `ca`). */
export interface Verification {
  chainTrusted: boolean;
  /** OpenSSL's reason when the chain is not trusted (e.g. CERT_HAS_EXPIRED). */
  chainError?: string;
  hostnameMatches: boolean;
  hostnameError?: string;
  /** The worst class when anything failed. */
  failure?: VerificationClass;
}

/**
 * One connection's handshake. One record rather than a success/failure union on purpose: an error can come after the
 * handshake completed (during the ticket wait, a renegotiation or the close), and the record then keeps both what was
 * negotiated and presented and the error. `error` absent: the connection completed.
 */
export interface HandshakeRecord {
  /** `ip:port` actually connected to (the VIP or a member). */
  target: string;
  protocol?: string;
  cipher?: string;
  sessionOffered: boolean;
  resumed: boolean;
  /** sha256 fingerprint of the leaf certificate. For a resumed connection: the leaf of the session it resumed. */
  leaf?: string;
  /** Fingerprints of the presented chain, leaf first (empty on resumption: nothing is presented). */
  chain: string[];
  /** TLS 1.2 only: what the session the server issued says (EMS, ticket), read from the client's session. */
  session?: SessionFacts;
  /**
   * TLS 1.2 only: RFC 5746 renegotiation_info. true when a default client (which insists on it) completed the
   * handshake; false when it refused the server for lacking it and a legacy-enabled retry got through.
   */
  secureRenegotiation?: boolean;
  /** The server sent more application data than the probe reads (bytes seen before the connection was cut). */
  excessApplicationData?: number;
  /**
   * The server sent more than MAX_POST_HANDSHAKE_BYTES after the handshake, whatever the records carried (a TLS 1.3
   * KeyUpdate flood): the connection was cut there (bytes seen by then).
   */
  excessPostHandshakeBytes?: number;
  /**
   * The server derived more than MAX_POST_HANDSHAKE_KEY_CHANGES new traffic secrets after the handshake (TLS 1.3
   * KeyUpdates or TLS 1.2 renegotiations, one key-log line each): the connection was cut (the count it reached, the
   * records already read included).
   */
  excessKeyChanges?: number;
  /** The server issued more than MAX_SESSIONS_PER_CONNECTION sessions (a NewSessionTicket flood): cut there (the count). */
  excessSessions?: number;
  verification?: Verification;
  /** TCP connect time, then connect to handshake completion. */
  connectMs?: number;
  handshakeMs?: number;
  /** The server issued a session (ID or ticket) the client could offer later. */
  sessionIssued: boolean;
  /**
   * The server issued a resumable session of this many bytes, more than Node keeps (NODE_MAX_SESSION_BYTES): it
   * could not be offered, so resumption there was not measured (it is not "no session").
   */
  sessionTooLarge?: number;
  /** A client certificate was configured for this connection (sent when the server asked for one). */
  clientCertificate?: boolean;
  error?: ProbeError;
}

export interface ChainConnection extends HandshakeRecord {
  index: number;
  mechanism: ResumptionMechanism;
  /** Index of the connection whose session was offered. */
  offeredFrom?: number;
  /** Offered a session, was not resumed, and the leaf differs from the offered session's leaf. */
  certificateChanged?: boolean;
}

export type RenegotiationOutcome = "ok" | "refused" | "failed" | "certificate-changed" | "not-attempted";

export interface RenegotiationResult {
  outcome: RenegotiationOutcome;
  detail?: string;
  /** Leaf of the initial handshake of the renegotiation's connection. */
  leafBefore?: string;
  /** Leaf after a renegotiation that completed. */
  leafAfter?: string;
}

export interface MemberProbe {
  label: string;
  address: string;
  port: number;
  /** Where this member came from (listed first: a listed member that is also a target keeps "listed"). */
  source: MemberSource;
  /** The member's ELBv2 target health, when it is a target of the endpoint's target group. */
  targetHealth?: TargetHealth;
  /** Full handshake with the client's best version (TLS 1.3 when both have it). */
  handshake: HandshakeRecord;
  /** Full TLS 1.2 handshake (no ticket): EMS and renegotiation_info are read here. */
  tls12: HandshakeRecord;
  /** TLS 1.2 handshake allowing tickets: the session offered across the pool in the ticket matrix. */
  tls12Ticket: HandshakeRecord;
  tls13Supported: boolean | undefined;
  renegotiation: RenegotiationResult;
  /** Whether the member resumes its own TLS 1.2 session offered without EMS (absent in records made before it was probed). */
  emsLessResumption?: EmsLessResumption;
  /**
   * Whether the TLS handshake requires a client certificate: `required` when the member ended a handshake because
   * none was presented (or refused the one configured). Absent when no handshake told (every one failed otherwise).
   */
  clientAuth?: ClientAuth;
  /** With a client certificate configured: a best-version handshake without it (whether the member requires one). */
  withoutClientCertificate?: HandshakeRecord;
  /**
   * A TLS 1.2 handshake without server_name (SNI): what a client gets that connects by IP address or by a host name
   * without a dot (the JDK sends no SNI then). Its certificate is compared, never validated against the name.
   */
  noSni?: HandshakeRecord;
  /** The certificates the member sent to a TLS 1.2 offer, leaf first, exactly (no trust store completed them). */
  sentChain?: string[];
  /** The protocol versions the member accepts (one version-pinned handshake each); undefined: not told. */
  protocols?: Record<ProtocolVersion, boolean | undefined>;
  /** TLS 1.2 cipher-suite families the member accepts (one handshake each, tls-context.ts SUITE_FAMILIES). */
  tls12Suites?: Record<SuiteFamily, boolean | undefined>;
  /** A TLS 1.1 or 1.0 handshake that completed: what legacy clients get (the certificate of a legacy-only member). */
  legacy?: HandshakeRecord;
}

export type ProtocolVersion = "SSLv3" | "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

export type ClientAuth = "required" | "not-required";

export interface EmsLessResumption {
  /** `no-session`: the member issued no session ID to offer back; `failed`: a connection failed (error). */
  outcome: "accepted" | "refused" | "no-session" | "failed";
  error?: ProbeError;
}

export type MatrixOutcome = "accepted" | "refused" | "no-session" | "failed";

export interface MatrixCell {
  mechanism: "session-id" | "ticket";
  from: string;
  to: string;
  outcome: MatrixOutcome;
  /** Leaf presented when the resumption was refused. */
  leaf?: string;
  error?: ProbeError;
}

export interface CertificateInfo {
  fingerprint256: string;
  subject: string;
  issuer: string;
  sanDns: string[];
  sanIp: string[];
  serialNumber: string;
  /** ISO dates; "" when the field does not parse (see `problems`). */
  validFrom: string;
  validTo: string;
  /** null when notAfter does not parse. */
  daysToExpiry: number | null;
  keyType: string;
  keySize?: number;
  /** The certificate itself, so that later analysis (e.g. the Java identity rule) can read any field. */
  pem: string;
  /** Fields that did not parse (a notAfter with month 13, say): the handshake still counts, the fields are unknown. */
  problems?: string[];
}

export type MemberSource = "listed" | "dns" | "target-group";

/** ELBv2 target health states (DescribeTargetHealth), kept as AWS spells them; a state AWS adds later is kept too. */
export type TargetHealthState = "initial" | "healthy" | "unhealthy" | "unhealthy.draining" | "unused" | "draining" | "unavailable" | (string & {});

export interface TargetHealth {
  state: TargetHealthState;
  /** AWS's reason code (Target.NotInUse, Elb.RegistrationInProgress, ...). */
  reason?: string;
  description?: string;
}

/** One registered target as DescribeTargetHealth lists it, with the address the probe connects to. */
export interface TargetGroupTarget {
  /** The target's Id: an IP address, an instance id, a Lambda ARN or an ALB ARN. */
  id: string;
  port?: number;
  /** The address probed: the IP target itself, or an instance's private IPv4; absent when not probeable. */
  address?: string;
  availabilityZone?: string;
  health: TargetHealth;
  /** Why the target is not probed (a Lambda or ALB target, an instance without a private IPv4). */
  skipped?: string;
}

export interface TargetGroupResult {
  arn: string;
  targets: TargetGroupTarget[];
  /** The lookup failed: no member came from the target group (the listed ones and the VIP still run). */
  error?: ProbeError;
  /** The group's proxy_protocol_v2.enabled attribute (DescribeTargetGroupAttributes); absent when it could not be read. */
  proxyProtocolV2?: boolean;
}

/**
 * Finds the members of a target group: every registered target, whatever its health. Never throws. The probe is
 * given one (lambda/aws does the AWS I/O); without one, a target-group endpoint says so.
 */
export type TargetGroupLookup = (arn: string, signal?: AbortSignal) => Promise<TargetGroupResult>;

/** A client certificate read from its secret (lambda/aws), or why it could not be. Never throws. */
export type ClientCertificateLookup = (secretArn: string, signal?: AbortSignal) => Promise<{ credentials: ClientCredentials } | { error: ProbeError }>;

/** The client certificate an endpoint's probe presented: where from and which (never the key), or why it could not be read. */
export interface ClientCertificateUse {
  source: "files" | "secret";
  secretArn?: string;
  /** sha256 fingerprint of the leaf, as every fingerprint here. */
  fingerprint256?: string;
  subject?: string;
  error?: ProbeError;
}

export interface DiscoveryResult {
  method: "dns" | "none";
  addresses: string[];
  error?: ProbeError;
  note?: string;
}

export interface EndpointProbe {
  endpoint: { name: string; host: string; port: number; servername: string; attempts: number };
  startedAt: string;
  durationMs: number;
  discovery: DiscoveryResult;
  /** The endpoint's target group and what it listed, when it has one. */
  targetGroup?: TargetGroupResult;
  vip: { target: string; chains: Record<ResumptionMechanism, ChainConnection[]> };
  members: MemberProbe[];
  matrix: MatrixCell[];
  /** What the matrix covers: every pair, or a sample (`pairs` of `possible` per mechanism); absent without members. */
  matrixPlan?: { full: boolean; pairs: number; possible: number };
  /** Every certificate seen, by sha256 fingerprint. */
  certificates: Record<string, CertificateInfo>;
  /** The client certificate configured for the endpoint (mutual TLS), when there is one. */
  clientCertificate?: ClientCertificateUse;
  /** The PROXY protocol header the member probes sent (the entry's setting, or the target group's attribute). */
  memberProxyProtocol?: "v1" | "v2";
  /** Set when the endpoint could not be probed at all (bad input, deadline). */
  error?: ProbeError;
}
