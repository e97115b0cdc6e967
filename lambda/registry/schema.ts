/**
 * The endpoint registry: one definition of its shape, used by the probe core, the CLI, the Lambda handler and
 * (at synth time) the CDK app. Every error names the endpoint and the field it is about.
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import * as z from "zod/mini";
import type { ClientCredentials } from "../probe/tls-context.js";
import { checkClientCertificate } from "./client-certificate.js";

export const DEFAULT_PORT = 443;
export const DEFAULT_ATTEMPTS = 8;
export const DEFAULT_TIMEOUT_MS = 5000;

/** A member address as written in a registry or on the command line: `ip`, `ip:port`, `[v6]`, `[v6]:port`. */
export interface MemberAddress {
  address: string;
  port: number;
  /** Canonical `ip:port` / `[v6]:port`, used as the member's name in reports and metrics. */
  label: string;
}

export function formatHostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * One spelling per address, so that a member is one member however it is written or discovered: IPv6 in its
 * canonical compressed form (RFC 5952, as the WHATWG URL parser writes it: `0:0:0:0:0:0:0:1` and `0::1` are `::1`),
 * and an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as the IPv4 address it is (the same host, the same socket).
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const compressed = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** Parses `ip[:port]` (IPv6 as `[addr]:port`, or a bare IPv6 address). Throws with the reason when malformed. */
export function parseMemberAddress(text: string, defaultPort: number): MemberAddress {
  const value = text.trim();
  let address: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    address = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(address) !== 6) throw new Error(`"${text}" is not an IPv6 address in brackets`);
  } else if (isIP(value) === 6) {
    // `::1:3203` is an IPv6 address, and also `::1` on port 3203: refuse to guess.
    const colon = value.lastIndexOf(":");
    if (/^\d{1,5}$/.test(value.slice(colon + 1)) && isIP(value.slice(0, colon)) === 6)
      throw new Error(`"${text}" is ambiguous: write [${value.slice(0, colon)}]:${value.slice(colon + 1)} for a port, or [${value}] for the address`);
    address = value;
  } else {
    const colon = value.lastIndexOf(":");
    address = colon >= 0 ? value.slice(0, colon) : value;
    portText = colon >= 0 ? value.slice(colon + 1) : undefined;
    if (isIP(address) !== 4) throw new Error(`"${text}" is not an IP address (expected ip[:port], IPv6 as [addr]:port)`);
  }
  const port = portText === undefined ? defaultPort : parsePort(portText);
  if (port === undefined) throw new Error(`"${text}" has an invalid port (expected 1-65535)`);
  address = canonicalAddress(address);
  return { address, port, label: formatHostPort(address, port) };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

const HOSTNAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;

const hostField = z.string().check(
  z.minLength(1, "must not be empty"),
  z.refine((h) => isIP(h) !== 0 || HOSTNAME.test(h), "must be a DNS name or an IP address"),
);

/**
 * An ELBv2 target group ARN: `arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`
 * (a name of 1-32 letters, digits and hyphens, not at either end; a 16-hex-digit id).
 */
export const TARGET_GROUP_ARN =
  /^arn:aws(-[a-z]+)*:elasticloadbalancing:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):targetgroup\/((?!-)[A-Za-z0-9-]{1,32}(?<!-))\/([0-9a-f]{16})$/;

/** A Secrets Manager secret ARN (complete, with AWS's 6-character suffix, or partial without it). */
export const SECRET_ARN = /^arn:aws(-[a-z]+)*:secretsmanager:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/** The region an ARN names (the lookup goes to the target group's own region). */
export const arnRegion = (arn: string): string => arn.split(":")[3]!;

const integer = (min: number, max: number, tooSmall: string, tooBig: string) =>
  z.number().check(z.refine(Number.isInteger, "must be an integer"), z.minimum(min, tooSmall), z.maximum(max, tooBig));

/**
 * zod/mini: the same checks and messages as zod's classic API at a fraction of the bundle (the schema is most of the
 * Lambda's start-up cost otherwise).
 */
export const EndpointSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.minLength(1, "must not be empty"),
      z.maxLength(255, "must be at most 255 characters (it becomes a CloudWatch dimension value)"),
      z.regex(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/, "must be printable ASCII without leading/trailing spaces"),
    ),
  host: hostField,
  port: z._default(integer(1, 65535, "must be 1-65535", "must be 1-65535"), DEFAULT_PORT),
  servername: z.optional(hostField),
  members: z.optional(z.array(z.string())),
  targetGroupArn: z.optional(
    z
      .string()
      .check(
        z.regex(TARGET_GROUP_ARN, "must be an ELBv2 target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex digits>)"),
      ),
  ),
  /** Default: "dns", or "none" beside a target group (an NLB's name resolves to its own nodes, never to the members). */
  discover: z.optional(z.enum(["dns", "none"])),
  attempts: z._default(integer(1, 100, "must be at least 1", "must be at most 100"), DEFAULT_ATTEMPTS),
  ca: z.optional(z.string().check(z.minLength(1, "must not be empty"))),
  /**
   * Mutual TLS: the certificate the probe presents when a member asks for one. Files (the CLI only: a private key
   * never enters the function's bundle) or a Secrets Manager secret read at run time.
   */
  clientCertificate: z.optional(
    z.union([
      z.strictObject({
        cert: z.string().check(z.minLength(1, "must not be empty")),
        key: z.optional(z.string().check(z.minLength(1, "must not be empty"))),
      }),
      z.strictObject({
        secretArn: z.string().check(z.regex(SECRET_ARN, "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)")),
      }),
    ]),
  ),
  /**
   * Members behind a balancer that sends a PROXY protocol header (HAProxy send-proxy / send-proxy-v2, an NLB target
   * group with proxy_protocol_v2.enabled): the member probes send one too. Default: a target group's own attribute,
   * else none; "none" overrides the attribute.
   */
  proxyProtocol: z.optional(z.enum(["none", "v1", "v2"])),
  timeoutMs: z._default(integer(100, 60_000, "must be at least 100", "must be at most 60000"), DEFAULT_TIMEOUT_MS),
});

/** A registry entry as written (JSON, the CLI's flags, code): the schema's input. */
export type EndpointInput = z.input<typeof EndpointSchema>;

type EndpointOutput = z.output<typeof EndpointSchema>;

/**
 * An endpoint after validation and defaults: what the probe works on. Derived from the schema: the fields it keeps
 * as they are come from it; the ones validateEndpoint normalises are said here.
 */
export type Endpoint = Pick<EndpointOutput, "name" | "host" | "port" | "attempts" | "timeoutMs" | "proxyProtocol"> & {
  /** Defaults to the host. */
  servername: string;
  members: MemberAddress[];
  /** Members are also read from this ELBv2 target group at run time (DescribeTargetHealth). */
  targetGroupArn?: string;
  discover: NonNullable<EndpointOutput["discover"]>;
  /** PEM text of extra trust anchors, already read and checked. */
  ca?: string;
  /** Where the client certificate comes from, as written (file names or the secret's ARN). */
  clientCertificate?: ClientCertificateRef;
  /** The client certificate and key, read and checked (from files or inline PEM); a secret is read at run time. */
  credentials?: ClientCredentials;
};

export type ClientCertificateRef = NonNullable<EndpointOutput["clientCertificate"]>;

/** The secret an endpoint's client certificate is read from, if any. */
export const clientSecretArn = (e: Pick<Endpoint, "clientCertificate">): string | undefined =>
  e.clientCertificate && "secretArn" in e.clientCertificate ? e.clientCertificate.secretArn : undefined;

export class RegistryError extends Error {
  constructor(
    readonly source: string,
    readonly endpoint: string | undefined,
    readonly field: string | undefined,
    readonly reason: string,
    /** The entry's `name` when it had a usable one (for its heartbeat metric and shard). */
    readonly endpointName?: string,
  ) {
    super(`${source}: ${endpoint === undefined ? "" : `endpoint ${endpoint}: `}${field === undefined ? "" : `${field}: `}${reason}`);
    this.name = "RegistryError";
  }
}

/**
 * Checks PEM text: only CERTIFICATE blocks (a combined cert+key file would otherwise put a private key into the
 * function's bundle), at least one, each parseable. Returns the PEM unchanged.
 */
/**
 * Certificates one CA bundle may hold. Each client profile's TLS context loads them all (measured here: 140 take
 * 52 ms per context, 1,000 take 300 ms, 9,739 take 1.7 s, and as long again to check them), on the event loop.
 */
export const MAX_CA_CERTIFICATES = 500;

export function checkCaPem(pem: string): string {
  const labels = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
  const other = labels.filter((l) => l !== "CERTIFICATE");
  if (other.length) throw new Error(`holds a ${other[0]} block; only CERTIFICATE blocks are allowed (never ship a key as a trust anchor)`);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length === 0) throw new Error("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  if (blocks.length > MAX_CA_CERTIFICATES)
    throw new Error(
      `holds ${blocks.length} certificates, more than the ${MAX_CA_CERTIFICATES} a trust-anchor bundle may hold (each TLS context the probe builds would load them all: 9,739 blocked the run for 22 s); give your PKI's roots, the system roots are already trusted`,
    );
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${i + 1} of the bundle does not parse: ${(err as Error).message}`);
    }
  });
  return pem;
}

/**
 * The bundle's only CA text: each CERTIFICATE block re-encoded from its DER, nothing else (a comment, a pasted
 * password or any text around the blocks never reaches the function's bundle).
 */
export function reencodeCaPem(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b).toString().trim()).join("\n") + "\n";
}

export interface ValidateOptions {
  /** Where the endpoint came from, for messages ("registry.json", "command line"). */
  source: string;
  /** Label used before the name is known ("endpoints[3]"). */
  label: string;
  /** Reads a `ca` value that is not inline PEM (a file path relative to the registry). */
  readCa?: (ref: string) => string;
  /** CA texts already checked in this registry (each distinct bundle is parsed once). */
  checkedCa?: Map<string, string>;
  /** Reads a client certificate or key file (the CLI's loader); without it only inline PEM is accepted. */
  readClientFile?: (ref: string) => string;
  /** The passphrase of an encrypted client key (the CLI reads it from KEY_PASSPHRASE_ENV). */
  passphrase?: string;
}

/** Validates one raw endpoint object. Throws a RegistryError naming the endpoint and field. */
export function validateEndpoint(raw: unknown, opts: ValidateOptions): Endpoint {
  const rawName = raw && typeof raw === "object" && typeof (raw as { name?: unknown }).name === "string" ? (raw as { name: string }).name : undefined;
  const who = rawName ? `${opts.label} (${JSON.stringify(rawName)})` : opts.label;
  const parsed = EndpointSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.map(String).join(".") : undefined;
    let reason = issue.message;
    if (issue.code === "unrecognized_keys") reason = `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    if (issue.code === "invalid_type") {
      // zod/mini carries no English messages: say it from the issue itself.
      const value = issue.path.reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined), raw);
      reason = value === undefined ? "is required" : `must be ${issue.expected === "array" ? "an array" : `a ${issue.expected}`}`;
    }
    if (issue.code === "invalid_value") reason = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    if (issue.code === "invalid_union" && issue.path[0] === "clientCertificate")
      reason = 'must be { "cert": FILE, "key": FILE } (the CLI) or { "secretArn": ARN } (the function and the CLI)' + unionDetail(issue);
    throw new RegistryError(opts.source, who, field, reason, rawName);
  }
  const e = parsed.data;
  const members = (e.members ?? []).map((m, i) => {
    try {
      return parseMemberAddress(m, e.port);
    } catch (err) {
      throw new RegistryError(opts.source, who, `members[${i}]`, (err as Error).message, e.name);
    }
  });
  const seen = new Set<string>();
  for (const [i, m] of members.entries()) {
    if (seen.has(m.label)) throw new RegistryError(opts.source, who, `members[${i}]`, `duplicate member ${m.label}`, e.name);
    seen.add(m.label);
  }
  let ca: string | undefined;
  if (e.ca !== undefined) {
    try {
      // In a registry file a value that is not PEM names a file; elsewhere (the CLI reads --ca itself) it is content.
      const text = e.ca.includes("-----BEGIN") || !opts.readCa ? e.ca : opts.readCa(e.ca);
      // One bundle shared by many endpoints is parsed once (a 4 MB bundle took seconds per endpoint).
      const known = opts.checkedCa?.get(text);
      ca = known ?? checkCaPem(text);
      if (!known) opts.checkedCa?.set(text, ca);
    } catch (err) {
      throw new RegistryError(opts.source, who, "ca", (err as Error).message, e.name);
    }
  }
  let credentials: ClientCredentials | undefined;
  const client = e.clientCertificate;
  if (client && "cert" in client) {
    try {
      const read = (ref: string) => {
        if (ref.includes("-----BEGIN")) return ref;
        if (!opts.readClientFile) throw new Error("a file name here is read only from a registry file or the command line; give PEM text in code");
        return opts.readClientFile(ref);
      };
      const named = (ref: string) => (ref.includes("-----BEGIN") ? "inline PEM" : ref);
      credentials = checkClientCertificate(read(client.cert), client.key === undefined ? undefined : read(client.key), opts.passphrase, {
        cert: named(client.cert),
        key: client.key === undefined ? named(client.cert) : named(client.key),
      });
    } catch (err) {
      throw new RegistryError(opts.source, who, "clientCertificate", (err as Error).message, e.name);
    }
  }
  return {
    name: e.name,
    host: e.host.replace(/\.$/, ""),
    port: e.port,
    servername: (e.servername ?? e.host).replace(/\.$/, ""),
    members,
    ...(e.targetGroupArn === undefined ? {} : { targetGroupArn: e.targetGroupArn }),
    discover: e.discover ?? (e.targetGroupArn === undefined ? "dns" : "none"),
    attempts: e.attempts,
    ...(ca === undefined ? {} : { ca }),
    ...(client ? { clientCertificate: client } : {}),
    ...(e.proxyProtocol === undefined ? {} : { proxyProtocol: e.proxyProtocol }),
    ...(credentials ? { credentials } : {}),
    timeoutMs: e.timeoutMs,
  };
}

/** Which branch of the clientCertificate union came closest, in words (the union's own issues say what each lacked). */
function unionDetail(issue: { errors?: Array<Array<{ code: string; keys?: string[]; path: PropertyKey[] }>> }): string {
  const unknown = issue.errors?.flat().find((i) => i.code === "unrecognized_keys");
  return unknown?.keys ? `; unknown field(s) ${unknown.keys.map((k) => JSON.stringify(k)).join(", ")}` : "";
}

/**
 * An endpoint built in code (the lab, the bench, tests) goes through the same schema as a registry entry: one shape,
 * one set of defaults. Throws a RegistryError naming the field, like a bad registry entry.
 */
export function endpointOf(input: EndpointInput): Endpoint {
  return validateEndpoint(input, { source: "code", label: input.name });
}

/** The first key that appears twice in one object of (valid) JSON text, with its position. */
function duplicateKey(text: string): { key: string; at: number } | undefined {
  // One entry per open container: the keys seen so far for an object, undefined for an array.
  const stack: Array<Set<string> | undefined> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") stack.push(new Set());
    else if (c === "[") stack.push(undefined);
    else if (c === "}" || c === "]") stack.pop();
    else if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      const keys = stack[stack.length - 1];
      if (!keys || !/^\s*:/.test(text.slice(i + 1, i + 64))) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) return { key, at: start };
      keys.add(key);
    }
  }
  return undefined;
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return `line ${line}, column ${position - before.lastIndexOf("\n")}`;
}

export interface RegistryLoad {
  endpoints: Endpoint[];
  /** One error per rejected entry (or one for the whole file); the valid entries still load. */
  errors: RegistryError[];
}

/**
 * Validates registry text entry by entry: a bad entry is reported and skipped, the others load.
 * The whole file is rejected only when it is not JSON or not `{ "endpoints": [...] }`.
 */
export function parseRegistry(text: string, source: string, files: Pick<ValidateOptions, "readCa" | "readClientFile" | "passphrase"> = {}): RegistryLoad {
  const checkedCa = new Map<string, string>();
  let doc: unknown;
  if (text.trim() === "") return { endpoints: [], errors: [new RegistryError(source, undefined, undefined, "file is empty")] };
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    // V8's message quotes the text around the error: say where, never what (the file may be anything).
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? "" : ` (at ${lineColumn(text, Number(at))})`;
    return { endpoints: [], errors: [new RegistryError(source, undefined, undefined, `not valid JSON${where}`)] };
  }
  // JSON.parse keeps the last of two equal keys; in a registry that silently drops a setting, so it is refused.
  const duplicate = duplicateKey(text);
  if (duplicate)
    return {
      endpoints: [],
      errors: [new RegistryError(source, undefined, undefined, `duplicate key ${JSON.stringify(duplicate.key)} at ${lineColumn(text, duplicate.at)}`)],
    };
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    return { endpoints: [], errors: [new RegistryError(source, undefined, undefined, 'must be an object { "endpoints": [ ... ] }')] };
  }
  // "$schema" lets an editor validate and complete the file (schema/registry.schema.json); it changes nothing here.
  const extra = Object.keys(doc).filter((k) => k !== "endpoints" && k !== "$schema");
  const errors: RegistryError[] = [];
  if (extra.length) errors.push(new RegistryError(source, undefined, extra[0], 'unknown field (only "endpoints" and "$schema" are allowed)'));
  const list = (doc as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(list)) {
    errors.push(new RegistryError(source, undefined, "endpoints", "is required and must be an array"));
    return { endpoints: [], errors };
  }
  if (list.length === 0) errors.push(new RegistryError(source, undefined, "endpoints", "is empty"));
  const endpoints: Endpoint[] = [];
  const names = new Map<string, number>();
  list.forEach((raw, i) => {
    try {
      const endpoint = validateEndpoint(raw, { source, label: `endpoints[${i}]`, checkedCa, ...files });
      const first = names.get(endpoint.name);
      if (first !== undefined) {
        throw new RegistryError(source, `endpoints[${i}] (${JSON.stringify(endpoint.name)})`, "name", `duplicate of endpoints[${first}]`, endpoint.name);
      }
      names.set(endpoint.name, i);
      endpoints.push(endpoint);
    } catch (err) {
      errors.push(err instanceof RegistryError ? err : new RegistryError(source, `endpoints[${i}]`, undefined, String(err)));
    }
  });
  return { endpoints, errors };
}
