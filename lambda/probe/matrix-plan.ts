/**
 * Which cross-member offers to make: the plan is data, decided from the member probes before any matrix connection.
 * Every pair for small pools; above FULL_MATRIX_MAX_MEMBERS a sample in which every member's session is offered to
 * MATRIX_SAMPLE_DEGREE others and every member is offered MATRIX_SAMPLE_DEGREE others' sessions, pairs across
 * different certificates first. The full matrix is 2·m² handshakes: 20,000 at 100 members, 500,000 at 500.
 */

export const FULL_MATRIX_MAX_MEMBERS = 12;
export const MATRIX_SAMPLE_DEGREE = 3;

export interface MatrixPlan {
  /** (from, to) member labels, offered once per mechanism; a member's own session always included. */
  pairs: Array<[from: string, to: string]>;
  full: boolean;
  /** m², what the full matrix would offer per mechanism. */
  possible: number;
}

/**
 * Members ordered so that neighbours present different certificates where the pool has several (round-robin over
 * the groups of one leaf): the sample's offsets 1..k then pair different certificates first.
 */
function interleaved(members: Array<{ label: string; leaf?: string }>): string[] {
  const groups = new Map<string, string[]>();
  for (const m of members) {
    const key = m.leaf ?? `?${m.label}`;
    groups.set(key, [...(groups.get(key) ?? []), m.label]);
  }
  const lists = [...groups.values()];
  const order: string[] = [];
  for (let i = 0; order.length < members.length; i++) for (const list of lists) if (i < list.length) order.push(list[i]!);
  return order;
}

export function planMatrix(members: Array<{ label: string; leaf?: string }>, fullMax = FULL_MATRIX_MAX_MEMBERS, degree = MATRIX_SAMPLE_DEGREE): MatrixPlan {
  const labels = members.map((m) => m.label);
  const possible = labels.length * labels.length;
  if (labels.length <= fullMax) return { pairs: labels.flatMap((from) => labels.map((to) => [from, to] as [string, string])), full: true, possible };
  const order = interleaved(members);
  const pairs: Array<[string, string]> = order.map((m) => [m, m]);
  for (let d = 1; d <= Math.min(degree, order.length - 1); d++) for (let i = 0; i < order.length; i++) pairs.push([order[i]!, order[(i + d) % order.length]!]);
  return { pairs, full: false, possible };
}
