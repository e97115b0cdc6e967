/**
 * The plan of one endpoint's probe, as data, before any connection: how many connections of each kind it makes and
 * what that costs. The executor follows the same shape (chains, member probes, the matrix of planMatrix); the shard
 * planner sizes shards by it, and `tls-pool-monitor probe --plan` prints it.
 */
import { isIP } from "node:net";
import type { Endpoint } from "../registry/schema.js";
import { planMatrix } from "./matrix-plan.js";
import { RESUMPTION_MECHANISMS } from "./types.js";

/**
 * Connections per member: best version, TLS 1.2 session ID, TLS 1.2 ticket, renegotiation, the EMS-less pair, one
 * without SNI, SSL 3.0 (a raw hello), TLS 1.0 and TLS 1.1, and one per TLS 1.2 suite family (4) (probeMember); one more without the client
 * certificate when one is configured.
 */
export const MEMBER_CONNECTIONS = 14;
/** Matrix mechanisms: session ID and ticket. */
export const MATRIX_MECHANISMS = 2;
/** DNS-discovered members are not known before the run; synth plans for this many (the run says when it finds more). */
export const DNS_MEMBERS_ESTIMATE = 3;
/**
 * Nor are a target group's: an NLB pool is usually a few targets per Availability Zone, so synth plans for two
 * zones of two (the run says when the group has more; list them or raise the endpoint's budget then).
 */
export const TARGET_GROUP_MEMBERS_ESTIMATE = 4;
/** What a connection can hold its slot for beyond its timeout: the TLS 1.3 ticket wait and the close_notify wait. */
const CONNECTION_TAIL_SECONDS = 1.25;

export interface EndpointPlan {
  endpoint: string;
  members: { listed: number; planned: number; dns: boolean; targetGroup: boolean };
  connections: { chain: number; member: number; matrix: number; total: number };
  matrix: { full: boolean; pairs: number; possible: number };
  /** The chains run one after another: the endpoint's shortest possible run, at the worst (every connection timing out). */
  worstCaseChainSeconds: number;
}

/** Whether the probe will look for members in DNS (an IP address has nothing to discover). */
const discovers = (endpoint: Endpoint) => endpoint.discover === "dns" && isIP(endpoint.host) === 0;

export function planEndpoint(
  endpoint: Endpoint,
  discovered = (discovers(endpoint) ? DNS_MEMBERS_ESTIMATE : 0) + (endpoint.targetGroupArn ? TARGET_GROUP_MEMBERS_ESTIMATE : 0),
): EndpointPlan {
  const planned = endpoint.members.length + discovered;
  const matrix = planMatrix(Array.from({ length: planned }, (_, i) => ({ label: `m${i}` })));
  const chain = RESUMPTION_MECHANISMS.length * endpoint.attempts;
  const member = (MEMBER_CONNECTIONS + (endpoint.clientCertificate ? 1 : 0)) * planned;
  const matrixConnections = MATRIX_MECHANISMS * matrix.pairs.length;
  return {
    endpoint: endpoint.name,
    members: { listed: endpoint.members.length, planned, dns: discovers(endpoint), targetGroup: endpoint.targetGroupArn !== undefined },
    connections: { chain, member, matrix: matrixConnections, total: chain + member + matrixConnections },
    matrix: { full: matrix.full, pairs: matrix.pairs.length, possible: matrix.possible },
    worstCaseChainSeconds: chain * (endpoint.timeoutMs / 1000 + CONNECTION_TAIL_SECONDS),
  };
}

/**
 * The longest one endpoint may run: the worse of its chains at the worst and its member and matrix connections at
 * the worst over the slots it can use. A cap against a member that makes every connection wait for its timeout,
 * never reached by a healthy pool; the run's own deadline still applies.
 */
export function endpointBudgetMs(plan: EndpointPlan, timeoutMs: number, concurrency: number): number {
  const perConnection = timeoutMs / 1000 + CONNECTION_TAIL_SECONDS;
  const fanOut = plan.connections.member + plan.connections.matrix;
  const fanOutSeconds = fanOut === 0 ? 0 : Math.ceil(fanOut / Math.max(1, Math.min(concurrency, fanOut))) * perConnection;
  return Math.ceil(1000 * Math.max(plan.worstCaseChainSeconds, fanOutSeconds + MEMBER_CONNECTIONS * perConnection));
}

/** One line per plan, for `probe --plan`. */
export function describePlan(p: EndpointPlan): string {
  const found = [p.members.dns ? "DNS-discovered" : "", p.members.targetGroup ? "target-group" : ""].filter(Boolean).join(" and ");
  const members = `${p.members.listed} listed member(s)${found ? ` + ${found} ones (planned as ${p.members.planned - p.members.listed}; known only at run time)` : ""}`;
  const matrix = p.matrix.full ? `full matrix ${p.matrix.pairs} pairs` : `sampled matrix ${p.matrix.pairs} of ${p.matrix.possible} pairs`;
  return (
    `${p.endpoint}: ${p.connections.total} connections (chains ${p.connections.chain}, members ${p.connections.member}, matrix ${p.connections.matrix}); ` +
    `${members}; ${matrix}; chains take at worst ${p.worstCaseChainSeconds.toFixed(1)} s`
  );
}
