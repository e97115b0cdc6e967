/** An endpoint's memory as text: what subscribers were told, the rollout, and each member's certificates with when. */
import type { EndpointMemory } from "../memory/model.js";

export function renderTimeline(endpoint: string, memory: EndpointMemory): string {
  if (memory.version === 0) return `${endpoint}: nothing remembered yet (no run has written its memory).`;
  const lines = [
    `${endpoint}: told ${memory.told ?? "nothing yet"}${memory.toldAt ? ` (since ${memory.toldAt})` : ""}; last states, newest first: ${memory.observed.join(", ") || "none"}`,
  ];
  if (memory.rollout) {
    lines.push(
      `rollout in progress since ${memory.rollout.since}${memory.rollout.stallTold ? " (announced stalled)" : ""}; old certificate(s): ${memory.rollout.old.join(", ")}`,
    );
  }
  for (const p of memory.pending) lines.push(`not confirmed sent: ${p.kind} ${p.id} (first claimed ${p.firstClaimedAt})`);
  const members = [...new Set(memory.timeline.map((e) => e.member))].sort();
  for (const m of members) {
    lines.push(`${m}:`);
    for (const e of memory.timeline.filter((x) => x.member === m).sort((a, b) => a.firstSeen.localeCompare(b.firstSeen)))
      lines.push(`  ${e.firstSeen} .. ${e.lastSeen}  ${e.subject}  serial ${e.serial}  expires ${e.notAfter.slice(0, 10)}  sha256 ${e.fingerprint}`);
  }
  return lines.join("\n");
}
