/**
 * Every test file ends with no socket, server, child process or timer of its own still open: the count of each
 * kind of handle Node lists must be back to what it was before the file's first test (vitest's own hook timer
 * is there both times).
 */
import { afterAll, beforeAll, expect } from "vitest";

const WATCHED = new Set(["TCPSocketWrap", "TCPServerWrap", "Timeout", "ProcessWrap", "UDPWrap", "GetAddrInfoReqWrap", "QueryReqWrap", "PipeWrap"]);

function counts(): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.has(r)) c[r] = (c[r] ?? 0) + 1;
  return c;
}

let baseline: Record<string, number> = {};

beforeAll(() => {
  baseline = counts();
});

function leaked(): Record<string, number> {
  const now = counts();
  const extra: Record<string, number> = {};
  for (const [kind, n] of Object.entries(now)) if (n > (baseline[kind] ?? 0)) extra[kind] = n - (baseline[kind] ?? 0);
  return extra;
}

afterAll(async () => {
  // Closed sockets release their handles within a few turns of the loop.
  for (let i = 0; i < 50 && Object.keys(leaked()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(leaked(), "resources left open by this test file").toEqual({});
});
