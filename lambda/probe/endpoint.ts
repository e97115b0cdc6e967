import { setMaxListeners } from "node:events";
import { X509Certificate } from "node:crypto";
import type { Endpoint } from "../registry/schema.js";
import { canonicalAddress, clientSecretArn, formatHostPort } from "../registry/schema.js";
import { CertificateCatalog, fingerprintOf, visible } from "./certificate.js";
import { discoverAddresses } from "./discover.js";
import { classifyError } from "./errors.js";
import { connectionLimiter, type ConnectionLimiter } from "./limiter.js";
import { planMatrix } from "./matrix-plan.js";
import { endpointBudgetMs, planEndpoint } from "./plan.js";
import { probeMember, resumptionMatrix, type MemberTarget } from "./members.js";
import type { ClientCredentials } from "./tls-context.js";
import type {
  ChainConnection,
  ClientCertificateLookup,
  ClientCertificateUse,
  DiscoveryResult,
  EndpointProbe,
  ResumptionMechanism,
  TargetGroupLookup,
  TargetGroupResult,
} from "./types.js";
import { RESUMPTION_MECHANISMS } from "./types.js";
import { runChain } from "./vip-chain.js";

export interface ProbeOptions {
  limit?: ConnectionLimiter;
  now?: () => Date;
  /** Aborted at the run's deadline: open connections end, queued ones are skipped, the result says so. */
  signal?: AbortSignal;
  /** Reads an endpoint's target group (lambda/aws); required only by endpoints with a targetGroupArn. */
  targetGroups?: TargetGroupLookup;
  /** Reads a client certificate from its secret (lambda/aws); required only by endpoints whose certificate is a secret. */
  clientCertificates?: ClientCertificateLookup;
}

/**
 * The endpoint's client certificate: read from files at load time, or from its secret now. A secret that cannot be
 * read is this endpoint's fact (reported, probed without a certificate), never the run's failure.
 */
async function resolveCredentials(
  endpoint: Endpoint,
  lookup: ClientCertificateLookup | undefined,
  signal: AbortSignal | undefined,
): Promise<{ credentials?: ClientCredentials; use?: ClientCertificateUse }> {
  const describe = (c: ClientCredentials) => {
    const leaf = new X509Certificate(c.certPem);
    return { fingerprint256: fingerprintOf(leaf), subject: visible(leaf.subject.replace(/\n/g, ", ")) };
  };
  if (endpoint.credentials) return { credentials: endpoint.credentials, use: { source: "files", ...describe(endpoint.credentials) } };
  const arn = clientSecretArn(endpoint);
  if (arn === undefined) return {};
  const use: ClientCertificateUse = { source: "secret", secretArn: arn };
  if (!lookup)
    return {
      use: {
        ...use,
        error: {
          class: "aws",
          code: "NoLookup",
          message: "client certificate secrets are read only with AWS access (the function, or the CLI with AWS credentials)",
        },
      },
    };
  const found = await lookup(arn, signal).catch((err: unknown) => ({ error: { ...classifyError(err), class: "aws" as const } }));
  if ("error" in found) return { use: { ...use, error: found.error } };
  return { credentials: found.credentials, use: { ...use, ...describe(found.credentials) } };
}

/** The union of the listed, DNS-discovered and target-group members, each address:port once (listed first). */
function memberTargets(endpoint: Endpoint, discovery: DiscoveryResult, group: TargetGroupResult | undefined): MemberTarget[] {
  const targets = new Map<string, MemberTarget>();
  for (const m of endpoint.members) targets.set(m.label, { ...m, source: "listed" });
  for (const found of discovery.addresses) {
    const address = canonicalAddress(found);
    const label = formatHostPort(address, endpoint.port);
    if (!targets.has(label)) targets.set(label, { address, port: endpoint.port, label, source: "dns" });
  }
  for (const t of group?.targets ?? []) {
    if (t.address === undefined || t.port === undefined) continue;
    const address = canonicalAddress(t.address);
    const label = formatHostPort(address, t.port);
    const known = targets.get(label);
    if (known) known.targetHealth = t.health;
    else targets.set(label, { address, port: t.port, label, source: "target-group", targetHealth: t.health });
  }
  return [...targets.values()];
}

async function readTargetGroup(arn: string, lookup: TargetGroupLookup | undefined, signal: AbortSignal | undefined): Promise<TargetGroupResult> {
  if (!lookup)
    return {
      arn,
      targets: [],
      error: { class: "aws", code: "NoLookup", message: "target groups are read only with AWS access (the Lambda, or the CLI's --target-group)" },
    };
  // The lookup never throws by its contract; a broken one still costs only this endpoint's target-group members.
  return lookup(arn, signal).catch((err: unknown) => ({ arn, targets: [], error: { ...classifyError(err), class: "aws" as const } }));
}

/**
 * Probes one endpoint: the resumption chains through the VIP and the member-by-member probes run side by side,
 * then the cross-member matrix. Never throws: whatever goes wrong ends up in the result.
 */
export async function probeEndpoint(endpoint: Endpoint, options: ProbeOptions = {}): Promise<EndpointProbe> {
  // This endpoint's own view of the shared bound: its connections take turns with other endpoints' (limiter.ts),
  // its share kept for it while it probes, given back whatever way the probe ends.
  const limit = (options.limit ?? connectionLimiter()).for(endpoint.name);
  try {
    return await probeWithLimit(endpoint, options, limit);
  } finally {
    limit.release();
  }
}

async function probeWithLimit(endpoint: Endpoint, options: ProbeOptions, limit: ConnectionLimiter): Promise<EndpointProbe> {
  const now = options.now?.() ?? new Date();
  const started = performance.now();
  const catalog = new CertificateCatalog(now);
  const emptyChains = { "session-id": [], ticket: [], "tls13-psk": [] } as Record<ResumptionMechanism, ChainConnection[]>;
  const result: EndpointProbe = {
    endpoint: { name: endpoint.name, host: endpoint.host, port: endpoint.port, servername: endpoint.servername, attempts: endpoint.attempts },
    startedAt: now.toISOString(),
    durationMs: 0,
    discovery: { method: "none", addresses: [] },
    vip: { target: formatHostPort(endpoint.host, endpoint.port), chains: emptyChains },
    members: [],
    matrix: [],
    certificates: catalog.byFingerprint,
  };
  // The endpoint's own budget, from its plan: an endpoint over it is cut and reported, the others are not affected.
  const budgetMs = endpointBudgetMs(planEndpoint(endpoint), endpoint.timeoutMs, limit.concurrency);
  const budget = new AbortController();
  const budgetTimer = setTimeout(() => budget.abort(), budgetMs);
  // Every open connection listens on these signals (and stops listening when it ends): many at once is normal, on
  // the run's signal too (each endpoint in flight adds one).
  if (options.signal) setMaxListeners(0, options.signal);
  const signal = options.signal ? AbortSignal.any([options.signal, budget.signal]) : budget.signal;
  setMaxListeners(0, signal);
  options = { ...options, signal };
  // Not started before the deadline: nothing to wait for (DNS discovery included), and the report says so.
  const startedProbe = !signal.aborted;
  try {
    if (!startedProbe) throw new Error("the run's deadline was reached before this endpoint started");
    const ca = endpoint.ca ? { ca: endpoint.ca } : {};
    const client = await resolveCredentials(endpoint, options.clientCertificates, options.signal);
    if (client.use) result.clientCertificate = client.use;
    const credentials = client.credentials ? { credentials: client.credentials } : {};
    const chainsDone = (async () => {
      // The chains run one after another, not side by side: interleaved on a round-robin VIP, each chain can be
      // pinned to one member and never see the others, hiding exactly the divergence we look for.
      const chains = { ...emptyChains };
      const target = {
        address: endpoint.host,
        port: endpoint.port,
        servername: endpoint.servername,
        ...ca,
        ...credentials,
        timeoutMs: endpoint.timeoutMs,
        attempts: endpoint.attempts,
      };
      // Shared by the three chains: a VIP that never answers stops them all after SILENT_VIP_TIMEOUTS timeouts.
      const silence = { answered: false, timeouts: 0 };
      for (const mechanism of RESUMPTION_MECHANISMS) chains[mechanism] = await runChain(target, mechanism, catalog, limit, options.signal, silence);
      return chains;
    })();
    const membersDone = (async () => {
      const [discovery, group] = await Promise.all([
        endpoint.discover === "dns"
          ? discoverAddresses(endpoint.host, endpoint.timeoutMs)
          : Promise.resolve<DiscoveryResult>({ method: "none", addresses: [] }),
        endpoint.targetGroupArn === undefined ? Promise.resolve(undefined) : readTargetGroup(endpoint.targetGroupArn, options.targetGroups, options.signal),
      ]);
      result.discovery = discovery;
      if (group) result.targetGroup = group;
      const targets = memberTargets(endpoint, discovery, group);
      // The entry's setting wins ("none" included); else the target group's own attribute says what its targets expect.
      const proxy = endpoint.proxyProtocol ?? (group?.proxyProtocolV2 ? "v2" : "none");
      if (proxy !== "none") result.memberProxyProtocol = proxy;
      const ctx = {
        ...(proxy === "none" ? {} : { proxyProtocol: proxy }),
        servername: endpoint.servername,
        ...ca,
        ...credentials,
        timeoutMs: endpoint.timeoutMs,
        catalog,
        limit,
        ...(options.signal ? { signal: options.signal } : {}),
        silences: new Map(),
      };
      const sessions = await Promise.all(targets.map((t) => probeMember(t, ctx)));
      const plan = planMatrix(sessions.map((s) => ({ label: s.probe.label, ...(s.probe.tls12.leaf ? { leaf: s.probe.tls12.leaf } : {}) })));
      result.matrixPlan = { full: plan.full, pairs: plan.pairs.length, possible: plan.possible };
      const matrix = await resumptionMatrix(sessions, targets, ctx, plan);
      return { members: sessions.map((s) => s.probe), matrix };
    })();
    const [chains, { members, matrix }] = await Promise.all([chainsDone, membersDone]);
    result.vip.chains = chains;
    result.members = members;
    result.matrix = matrix;
  } catch (err) {
    result.error = classifyError(err);
  }
  clearTimeout(budgetTimer);
  if (budget.signal.aborted)
    result.error = {
      class: "timeout",
      code: "BUDGET",
      message: `the endpoint's own budget (${Math.round(budgetMs / 1000)} s, from its plan) ran out before its probe finished`,
    };
  else if (options.signal?.aborted) {
    const when = startedProbe ? "before this endpoint's probe finished" : "before this endpoint started";
    result.error = { class: "timeout", code: "DEADLINE", message: `the run's deadline was reached ${when}` };
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

/**
 * Endpoints probed at once by probeEach, by default as many as the connection bound: an endpoint's chains hold one
 * slot at a time, so fewer would leave slots idle (measured: 1.44 × the critical path at 1,000 endpoints with 32 in
 * flight under a bound of 128, against 0.99 all at once), and more only makes a deadline cut more endpoints (all at
 * once, they all finish at about the same time and a deadline cuts every one).
 */
export const MIN_ENDPOINTS_IN_FLIGHT = 8;

/**
 * Probes the endpoints at most `endpointsInFlight` at a time under one connection bound, handing each result to
 * `onProbe` as soon as it is done (so that its records can be folded and dropped). Once the signal is aborted, the
 * endpoints not yet started are handed over at once as not finished.
 */
export async function probeEach(
  endpoints: Endpoint[],
  onProbe: (probe: EndpointProbe, index: number) => void,
  options: ProbeOptions & { concurrency?: number; endpointsInFlight?: number } = {},
): Promise<void> {
  const limit = options.limit ?? connectionLimiter(options.concurrency);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < endpoints.length; i = next++) onProbe(await probeEndpoint(endpoints[i]!, { ...options, limit }), i);
  };
  const inFlight = options.endpointsInFlight ?? Math.max(MIN_ENDPOINTS_IN_FLIGHT, limit.concurrency);
  await Promise.all(Array.from({ length: Math.min(endpoints.length, inFlight) }, worker));
}

/**
 * Probes every endpoint under one connection bound, in order, as many in flight as probeEach allows (all at once,
 * a deadline found every endpoint half done: --json --deadline 1 cut 60 of 60 where --jsonl cut 40); one endpoint's
 * trouble stays its own.
 */
export async function probeEndpoints(endpoints: Endpoint[], options: ProbeOptions & { concurrency?: number } = {}): Promise<EndpointProbe[]> {
  const probes: EndpointProbe[] = new Array<EndpointProbe>(endpoints.length);
  await probeEach(endpoints, (probe, i) => (probes[i] = probe), options);
  return probes;
}
